"""Whether a rule set gives a custom endpoint back unchanged (decided at generation).

With a custom endpoint (``endpoint_url``, or one configured in the environment or the
config file), the runtime refuses FIPS and dualstack before evaluating the rules, then
evaluates them with ``SDK::Endpoint`` set and both flags off, and keeps only the
resulting URL. Most AWS rule sets start with the same branch for that case: errors for
FIPS and for dualstack, then the endpoint ``{"ref": "Endpoint"}``. When the rule set is
exactly that, the generated ``ServiceSpec`` says so (``custom_endpoint_as_is=True``) and
the runtime returns the custom URL without loading and evaluating the rules (~3 ms of a
cold start: the evaluator's import, the rule set, botocore's partitions). Anything else
(another first rule, other conditions, another URL) keeps the evaluation.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["custom_endpoint_as_is"]


def _flag_is_true(condition: Any, names: set[str]) -> bool:
    """``booleanEquals({"ref": F}, true)`` for a flag F in ``names``."""
    if not isinstance(condition, Mapping) or set(condition) != {"fn", "argv"}:
        return False
    argv = condition["argv"]
    return (
        condition["fn"] == "booleanEquals"
        and isinstance(argv, list)
        and len(argv) == 2
        and argv[1] is True
        and isinstance(argv[0], Mapping)
        and set(argv[0]) == {"ref"}
        and argv[0]["ref"] in names
    )


def custom_endpoint_as_is(rules: Mapping[str, Any]) -> bool:
    """True when ``rules`` resolves any custom endpoint, FIPS and dualstack off, to
    itself: its first rule, under ``isSet(Endpoint)``, is the endpoint whose URL is the
    ``Endpoint`` parameter, or a tree of errors conditioned on FIPS or dualstack being
    true followed by that endpoint unconditioned."""
    params = rules.get("parameters")
    if not isinstance(params, Mapping):
        return False
    by_builtin = {
        spec.get("builtIn"): name for name, spec in params.items() if isinstance(spec, Mapping)
    }
    endpoint = by_builtin.get("SDK::Endpoint")
    flags = {by_builtin[b] for b in ("AWS::UseFIPS", "AWS::UseDualStack") if b in by_builtin}
    top = rules.get("rules")
    if endpoint is None or not isinstance(top, list) or not top:
        return False
    first = top[0]
    is_set = [{"fn": "isSet", "argv": [{"ref": endpoint}]}]
    if not isinstance(first, Mapping) or first.get("conditions") != is_set:
        return False
    if first.get("type") == "endpoint":  # the branch without FIPS/dualstack errors
        return _is_endpoint_ref(first.get("endpoint"), endpoint)
    if first.get("type") != "tree" or not isinstance(first.get("rules"), list):
        return False
    for rule in first["rules"]:
        if not isinstance(rule, Mapping):
            return False
        conditions = rule.get("conditions")
        if rule.get("type") == "error":
            if not (
                isinstance(conditions, list)
                and len(conditions) == 1
                and _flag_is_true(conditions[0], flags)
            ):
                return False
            continue
        return (
            rule.get("type") == "endpoint"
            and conditions == []
            and _is_endpoint_ref(rule.get("endpoint"), endpoint)
        )
    return False


def _is_endpoint_ref(target: Any, endpoint: str) -> bool:
    """An endpoint whose URL is the ``Endpoint`` parameter itself (only the URL is used)."""
    return isinstance(target, Mapping) and target.get("url") == {"ref": endpoint}

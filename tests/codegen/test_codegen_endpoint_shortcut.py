"""``codegen.endpoint_shortcut``: which rule sets give a custom endpoint back unchanged.

A True answer lets the runtime skip the rule set for custom endpoints, so it must be
sound: for every rule set said True here, the runtime's evaluator returns the custom
URL itself (FIPS and dualstack off), checked on the shipped rule sets and on
botocore's for a few services.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from codegen_support import ROOT

from aiosagemaker_runtime._endpoints.rules import RuleSet, load_botocore_rules, load_partitions
from codegen.endpoint_shortcut import custom_endpoint_as_is

SHIPPED = ROOT / "src" / "aiosagemaker_runtime" / "_generated" / "endpoint_rules.json"
WIDGETS = ROOT / "tests" / "codegen" / "fixtures" / "widgets-2020-01-01.endpoint-rule-set-1.json"
URLS = ("http://127.0.0.1:8080", "https://vpce-1.example.com/base/", "HTTPS://Upper.example:1")


def load(path: Any) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def evaluates_to_itself(rules: dict[str, Any]) -> bool:
    rule_set = RuleSet(rules, load_partitions())
    names = rule_set.builtins()  # parameter name -> built-in
    for url in URLS:
        values = {"AWS::Region": "us-east-1", "AWS::UseFIPS": False, "AWS::UseDualStack": False}
        params = {name: values.get(builtin) for name, builtin in names.items()}
        params[next(n for n, b in names.items() if b == "SDK::Endpoint")] = url
        if rule_set.evaluate(params).url != url:
            return False
    return True


@pytest.mark.parametrize("path", [SHIPPED, WIDGETS], ids=["sagemaker-runtime", "widgets"])
def test_shipped_rule_sets_pass_through_and_really_do(path: Any) -> None:
    rules = load(path)
    assert custom_endpoint_as_is(rules)
    assert evaluates_to_itself(rules)


@pytest.mark.parametrize("service", ["sagemaker-runtime", "sts", "dynamodb", "s3", "lambda"])
def test_botocore_rule_sets_said_true_are_sound(service: str) -> None:
    rules = load_botocore_rules(service, "")
    if rules is None:
        pytest.fail(f"botocore has no rule set for {service}")
    if custom_endpoint_as_is(rules):
        assert evaluates_to_itself(dict(rules))


def _branch(rules: dict[str, Any]) -> dict[str, Any]:
    branch: dict[str, Any] = rules["rules"][0]
    return branch


def _template_url(r: dict[str, Any]) -> None:
    _branch(r)["rules"][-1]["endpoint"]["url"] = "{Endpoint}/v2"


def _extra_condition(r: dict[str, Any]) -> None:
    _branch(r)["rules"][-1]["conditions"] = [{"fn": "isSet", "argv": [{"ref": "Region"}]}]


def _error_on_region(r: dict[str, Any]) -> None:
    _branch(r)["rules"][0]["conditions"][0]["argv"][0] = {"ref": "Region"}


def _error_when_false(r: dict[str, Any]) -> None:
    _branch(r)["rules"][0]["conditions"][0]["argv"][1] = False


def _other_first_rule(r: dict[str, Any]) -> None:
    r["rules"].insert(0, copy.deepcopy(r["rules"][-1]))


def _no_endpoint_parameter(r: dict[str, Any]) -> None:
    r["parameters"]["Endpoint"].pop("builtIn")


def _endpoint_after_a_tree(r: dict[str, Any]) -> None:
    _branch(r)["rules"].insert(0, {"type": "tree", "conditions": [], "rules": []})


@pytest.mark.parametrize(
    "change",
    [
        _template_url,
        _extra_condition,
        _error_on_region,
        _error_when_false,
        _other_first_rule,
        _no_endpoint_parameter,
        _endpoint_after_a_tree,
    ],
)
def test_anything_else_keeps_the_evaluation(change: Any) -> None:
    rules = load(SHIPPED)
    change(rules)
    assert not custom_endpoint_as_is(rules)

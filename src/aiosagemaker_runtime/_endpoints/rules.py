"""A small evaluator for Smithy endpoint rule sets (``endpoint-rule-set-1.json``).

Rules are tried in order; a rule applies when all its conditions hold (a condition holds
unless its function returns ``None`` or ``False``; ``assign`` binds the result for the
rule's subtree). ``tree`` rules descend, ``endpoint`` rules give a URL (plus properties
and headers) and ``error`` rules fail with their message. Strings may be templates:
``"https://runtime.sagemaker.{Region}.{PartitionResult#dnsSuffix}"``.

The standard library is the one AWS SDKs implement: ``isSet``, ``not``,
``booleanEquals``, ``stringEquals``, ``getAttr``, ``substring``, ``uriEncode``,
``parseURL``, ``isValidHostLabel``, ``aws.partition``, ``aws.parseArn`` and
``aws.isVirtualHostableS3Bucket``. Partitions come from botocore's
``data/partitions.json``, read as plain JSON (botocore itself is not imported).
"""

from __future__ import annotations

import importlib.util
import json
import re
from collections.abc import Callable, Mapping
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import Any, NamedTuple
from urllib.parse import quote, urlparse

from .._http import remove_dot_segments

__all__ = [
    "EndpointResolutionError",
    "RuleSet",
    "RuleSetEndpoint",
    "botocore_data_dir",
    "load_botocore_rules",
    "load_partitions",
]


class EndpointResolutionError(Exception):
    """The rule set produced an error, or could not be evaluated."""


class RuleSetEndpoint(NamedTuple):
    """What an ``endpoint`` rule gives."""

    url: str
    properties: Mapping[str, Any] = MappingProxyType({})
    headers: Mapping[str, list[str]] = MappingProxyType({})


# ----------------------------------------------------------------- data files


def botocore_data_dir() -> Path:
    """botocore's ``data`` directory, located without importing botocore."""
    spec = importlib.util.find_spec("botocore")
    if spec is None or not spec.submodule_search_locations:
        raise EndpointResolutionError("botocore is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "data"


def _read_json(path: Path) -> Any:
    if path.is_file():
        return json.loads(path.read_bytes())
    gz = path.with_name(path.name + ".gz")
    if gz.is_file():
        import gzip  # botocore's rule sets (a fallback: ours are generated); not partitions

        return json.loads(gzip.decompress(gz.read_bytes()))
    raise FileNotFoundError(str(path))


@lru_cache(maxsize=1)
def load_partitions() -> Mapping[str, Any]:
    """botocore's ``partitions.json``."""
    data: Mapping[str, Any] = _read_json(botocore_data_dir() / "partitions.json")
    return data


@lru_cache(maxsize=32)
def load_botocore_rules(service_name: str, api_version: str = "") -> Mapping[str, Any] | None:
    """The rule set botocore ships for ``service_name`` (``api_version`` if present, else
    the newest), or ``None`` when there is none."""
    folder = botocore_data_dir() / service_name
    if not folder.is_dir():
        return None
    versions = sorted(p.name for p in folder.iterdir() if p.is_dir())
    if api_version in versions:
        versions.append(api_version)
    for version in reversed(versions):
        try:
            data: Mapping[str, Any] = _read_json(folder / version / "endpoint-rule-set-1.json")
        except FileNotFoundError:
            continue
        return data
    return None


# ----------------------------------------------------------------- functions

_HOST_LABEL = re.compile(r"^(?!-)[a-zA-Z\d-]{1,63}(?<!-)$")
_IPV4 = re.compile(r"^(?:[0-9]{1,3}\.){3}[0-9]{1,3}$")
_INDEXED = re.compile(r"^(\w*)\[(\d+)\]$")
_URI_SAFE = "-._~"


def _is_set(value: Any) -> bool:
    return value is not None


def _not(value: Any) -> bool:
    return not value


def _boolean_equals(a: Any, b: Any) -> bool:
    if not isinstance(a, bool) or not isinstance(b, bool):
        raise EndpointResolutionError(f"booleanEquals needs two booleans, got {a!r} and {b!r}")
    return a is b


def _string_equals(a: Any, b: Any) -> bool:
    if not isinstance(a, str) or not isinstance(b, str):
        raise EndpointResolutionError(f"stringEquals needs two strings, got {a!r} and {b!r}")
    return a == b


def _get_attr(value: Any, path: str) -> Any:
    for part in path.split("."):
        indexed = _INDEXED.match(part)
        if indexed is not None:
            name, index = indexed.group(1), int(indexed.group(2))
            if name:
                value = value.get(name) if isinstance(value, Mapping) else None
            if value is None or index >= len(value):
                return None
            return value[index]
        if not isinstance(value, Mapping):
            return None
        value = value.get(part)
    return value


def _substring(value: Any, start: int, stop: int, reverse: bool) -> str | None:
    if not isinstance(value, str):
        raise EndpointResolutionError(f"substring needs a string, got {value!r}")
    if start >= stop or len(value) < stop or not value.isascii():
        return None
    if reverse:
        return value[len(value) - stop : len(value) - start]
    return value[start:stop]


def _uri_encode(value: Any) -> str | None:
    if value is None:
        return None
    return quote(str(value).encode("utf-8"), safe=_URI_SAFE)


def _is_ip(hostname: str | None) -> bool:
    if not hostname:
        return False
    if _IPV4.match(hostname):
        return True
    import ipaddress

    try:
        ipaddress.IPv6Address(hostname.split("%", 1)[0])
    except ValueError:
        return False
    return True


def _parse_url(value: Any) -> dict[str, Any] | None:
    if value is None:
        return None
    parts = urlparse(value)
    try:
        parts.port  # noqa: B018 - raises on a bad port
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or parts.query:
        return None
    path = parts.path
    normalized = quote(remove_dot_segments(path))
    if not normalized.endswith("/"):
        normalized += "/"
    return {
        "scheme": parts.scheme,
        "authority": parts.netloc,
        "path": path,
        "normalizedPath": normalized,
        "isIp": _is_ip(parts.hostname),
    }


def _is_valid_host_label(value: Any, allow_subdomains: bool) -> bool:
    if not isinstance(value, str):
        return False
    if allow_subdomains:
        return all(_HOST_LABEL.match(label) for label in value.split("."))
    return _HOST_LABEL.match(value) is not None


def _is_virtual_hostable_s3_bucket(value: Any, allow_subdomains: bool) -> bool:
    if not isinstance(value, str) or len(value) < 3 or value.lower() != value:
        return False
    if _IPV4.match(value):
        return False
    return _is_valid_host_label(value, allow_subdomains)


def _parse_arn(value: Any) -> dict[str, Any] | None:
    if not isinstance(value, str) or not value.startswith("arn:"):
        return None
    parts = value.split(":", 5)
    if len(parts) < 6:
        return None
    _, partition, service, region, account, resource = parts
    if not (partition and service and resource):
        return None
    return {
        "partition": partition,
        "service": service,
        "region": region,
        "accountId": account,
        "resourceId": resource.replace(":", "/").split("/"),
    }


class _Partitions:
    def __init__(self, data: Mapping[str, Any]) -> None:
        self._partitions = [
            (
                p["id"],
                p.get("regions", {}),
                p["regionRegex"],
                {**p["outputs"], "name": p["id"]},
            )
            for p in data["partitions"]
        ]

    def __call__(self, region: Any) -> dict[str, Any]:
        if isinstance(region, str):
            for _, regions, regex, outputs in self._partitions:
                # re's own cache compiles a partition's regex only when a region
                # is not listed (usually never: ~0.3 ms each on a cold start).
                if region in regions or re.match(regex, region):
                    return dict(outputs)
        return dict(self._partitions[0][3])


# ----------------------------------------------------------------- evaluation

_Scope = dict[str, Any]


class RuleSet:
    """A parsed rule set, evaluated with :meth:`evaluate`."""

    def __init__(self, rules: Mapping[str, Any], partitions: Mapping[str, Any]) -> None:
        self.parameters: Mapping[str, Mapping[str, Any]] = rules.get("parameters", {})
        self._rules: list[Mapping[str, Any]] = list(rules["rules"])
        partition = _Partitions(partitions)
        self._functions: dict[str, Callable[..., Any]] = {
            "isSet": _is_set,
            "not": _not,
            "booleanEquals": _boolean_equals,
            "stringEquals": _string_equals,
            "getAttr": _get_attr,
            "substring": _substring,
            "uriEncode": _uri_encode,
            "parseURL": _parse_url,
            "isValidHostLabel": _is_valid_host_label,
            "aws.partition": partition,
            "aws.parseArn": _parse_arn,
            "aws.isVirtualHostableS3Bucket": _is_virtual_hostable_s3_bucket,
        }

    def builtins(self) -> dict[str, str]:
        """Parameter name -> ``builtIn`` (``"AWS::Region"``, ``"SDK::Endpoint"``, ...)."""
        return {
            name: spec["builtIn"] for name, spec in self.parameters.items() if "builtIn" in spec
        }

    def evaluate(self, params: Mapping[str, Any]) -> RuleSetEndpoint:
        """Resolve ``params`` (parameter name -> value); raises EndpointResolutionError."""
        scope: _Scope = {}
        for name, spec in self.parameters.items():
            value = params.get(name)
            if value is None:
                value = spec.get("default")
                if value is None and spec.get("required"):
                    raise EndpointResolutionError(f"Missing required parameter {name}")
            elif not _type_ok(value, spec.get("type", "string")):
                raise EndpointResolutionError(
                    f"Parameter {name} must be of type {spec.get('type')}, got {value!r}"
                )
            if value is not None:
                scope[name] = value
        for rule in self._rules:
            result = self._rule(rule, dict(scope))
            if result is not None:
                return result
        raise EndpointResolutionError("No endpoint rule matched the parameters")

    def _rule(self, rule: Mapping[str, Any], scope: _Scope) -> RuleSetEndpoint | None:
        for condition in rule.get("conditions", ()):
            result = self._call(condition, scope)
            if result is None or result is False:
                return None
        kind = rule["type"]
        if kind == "endpoint":
            endpoint = rule["endpoint"]
            url = self._value(endpoint["url"], scope)
            if not isinstance(url, str):
                raise EndpointResolutionError(f"Endpoint URL is not a string: {url!r}")
            properties = self._deep(endpoint.get("properties") or {}, scope)
            headers = {
                name: [self._value(v, scope) for v in values]
                for name, values in (endpoint.get("headers") or {}).items()
            }
            return RuleSetEndpoint(url, properties, headers)
        if kind == "error":
            raise EndpointResolutionError(str(self._value(rule["error"], scope)))
        if kind == "tree":
            for sub in rule["rules"]:
                result = self._rule(sub, dict(scope))
                if result is not None:
                    return result
            return None
        raise EndpointResolutionError(f"Unknown rule type {kind!r}")

    def _call(self, call: Mapping[str, Any], scope: _Scope) -> Any:
        name = call["fn"]
        function = self._functions.get(name)
        if function is None:
            raise EndpointResolutionError(f"Unsupported rule function {name!r}")
        result = function(*(self._value(arg, scope) for arg in call.get("argv", ())))
        assign = call.get("assign")
        if assign is not None:
            if assign in scope:
                raise EndpointResolutionError(f"{assign} is already assigned")
            scope[assign] = result
        return result

    def _value(self, value: Any, scope: _Scope) -> Any:
        if isinstance(value, str):
            return _template(value, scope) if _IS_TEMPLATE.search(value) else value
        if isinstance(value, Mapping):
            if "fn" in value:
                return self._call(value, scope)
            if "ref" in value:
                return scope.get(value["ref"])
        return value

    def _deep(self, value: Any, scope: _Scope) -> Any:
        if isinstance(value, Mapping) and "fn" not in value and "ref" not in value:
            return {k: self._deep(v, scope) for k, v in value.items()}
        if isinstance(value, list):
            return [self._deep(v, scope) for v in value]
        return self._value(value, scope)


_TYPES: dict[str, Callable[[Any], bool]] = {
    "string": lambda v: isinstance(v, str),
    "boolean": lambda v: isinstance(v, bool),
    "stringarray": lambda v: isinstance(v, list) and all(isinstance(x, str) for x in v),
}


def _type_ok(value: Any, kind: str) -> bool:
    check = _TYPES.get(kind.lower())
    return check is None or check(value)


# As botocore: a string is a template only when it holds a "{Name}" or "{Name#attr}".
_IS_TEMPLATE = re.compile(r"\{[a-zA-Z#]+\}")
_PLACEHOLDER = re.compile(r"\{\{|\}\}|\{([^{}]*)\}")


def _template(text: str, scope: _Scope) -> str:
    def replace(match: re.Match[str]) -> str:
        token = match.group(0)
        if token == "{{":
            return "{"
        if token == "}}":
            return "}"
        path = match.group(1).split("#")
        value: Any = scope.get(path[0])
        for attr in path[1:]:
            value = _get_attr(value, attr)
        if value is None:
            raise EndpointResolutionError(f"Template value {match.group(1)!r} is not set")
        return str(value).lower() if isinstance(value, bool) else str(value)

    return _PLACEHOLDER.sub(replace, text)

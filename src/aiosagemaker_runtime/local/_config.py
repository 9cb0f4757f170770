"""What a local endpoint serves: endpoints, credentials, the local S3 directory."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._targets import InProcessModel

__all__ = [
    "DEFAULT_ACCOUNT_ID",
    "DEFAULT_VARIANT",
    "IN_PROCESS",
    "ConfigError",
    "EndpointTarget",
    "LocalConfig",
    "in_process_target",
    "parse_capacity_option",
    "parse_endpoint_option",
]

DEFAULT_ACCOUNT_ID = "123456789012"
DEFAULT_VARIANT = "AllTraffic"
DEFAULT_CONTAINER_TIMEOUT = 60.0
#: The ``target`` of an endpoint served by an in-process model.
IN_PROCESS = "in-process"

_ENDPOINT_NAME = re.compile(r"[a-zA-Z0-9](-*[a-zA-Z0-9])*")
_S3_URI = re.compile(r"s3://([^/]+)/?(.*)")


class ConfigError(ValueError):
    """The local endpoint's configuration is unusable; the message says why."""


@dataclass(frozen=True, slots=True)
class EndpointTarget:
    """What serves one endpoint: ``"echo"``, the base URL of a model container, or
    (``target`` :data:`IN_PROCESS`) ``model``, an object answering in this process.

    ``capacity``: at most this many ``InvokeEndpoint`` calls at a time; beyond it a
    call is refused as SageMaker refuses calls above an endpoint's concurrency (status
    400, ``ThrottlingException``, a null message). ``None``: no limit.
    """

    name: str
    target: str
    variant: str = DEFAULT_VARIANT
    capacity: int | None = None
    model: InProcessModel | None = field(default=None, compare=False, repr=False)

    @property
    def is_echo(self) -> bool:
        return self.target == "echo"


@dataclass(frozen=True, slots=True)
class LocalConfig:
    """Settings of a local endpoint server.

    ``credentials`` maps access key ids to secret keys; when empty, requests are not
    authenticated. ``s3_root`` is the directory standing in for S3 (``s3://bucket/key``
    is ``s3_root/bucket/key``) for ``InvokeEndpointAsync``.
    """

    endpoints: Mapping[str, EndpointTarget] = field(default_factory=dict)
    host: str = "127.0.0.1"
    port: int = 8080
    credentials: Mapping[str, str] = field(default_factory=dict)
    s3_root: Path | None = None
    async_output: str = "s3://sagemaker-local/async-output"
    async_failure: str = "s3://sagemaker-local/async-failures"
    container_timeout: float = DEFAULT_CONTAINER_TIMEOUT
    account_id: str = DEFAULT_ACCOUNT_ID
    region: str = "us-east-1"

    @classmethod
    def serving(
        cls,
        endpoints: Mapping[str, str | InProcessModel],
        *,
        capacity: Mapping[str, int] | None = None,
        **settings: Any,
    ) -> LocalConfig:
        """``LocalConfig.serving({"my-echo": "echo", "llm": "http://127.0.0.1:9000"}, port=0)``.

        A target that is not a string is an in-process model (see
        :func:`in_process_target`). ``capacity`` maps endpoint names to the number of
        ``InvokeEndpoint`` calls each serves at a time (see :class:`EndpointTarget`).
        """
        targets = {
            name: _check_target(name, target)
            if isinstance(target, str)
            else in_process_target(name, target)
            for name, target in endpoints.items()
        }
        return cls(endpoints=with_capacity(targets, capacity or {}), **settings)

    def __post_init__(self) -> None:
        for option, uri in (
            ("async output", self.async_output),
            ("async failure", self.async_failure),
        ):
            if _S3_URI.fullmatch(uri) is None:
                raise ConfigError(
                    f"{option} location must be an s3://bucket/prefix URI, got {uri!r}"
                )
        if self.container_timeout <= 0:
            raise ConfigError("container timeout must be positive")


def _check_name(name: str) -> None:
    if _ENDPOINT_NAME.fullmatch(name) is None or len(name) > 63:
        raise ConfigError(
            f"invalid endpoint name {name!r}: use letters, digits and hyphens (at most 63)"
        )


def in_process_target(
    name: str,
    model: InProcessModel,
    *,
    variant: str = DEFAULT_VARIANT,
    capacity: int | None = None,
) -> EndpointTarget:
    """Endpoint ``name`` served by ``model`` in this process (the test kit's endpoints)."""
    _check_name(name)
    if capacity is not None:
        capacity = _check_capacity(name, capacity)
    return EndpointTarget(name, IN_PROCESS, variant, capacity, model)


def _check_target(name: str, target: str) -> EndpointTarget:
    _check_name(name)
    target = target.strip()
    if target == "echo":
        return EndpointTarget(name, "echo")
    if target.startswith(("http://", "https://")):
        return EndpointTarget(name, target.rstrip("/"))
    raise ConfigError(
        f"invalid target {target!r} for endpoint {name!r}: use 'echo' or a container URL "
        "such as http://127.0.0.1:9000"
    )


def parse_endpoint_option(value: str) -> EndpointTarget:
    """Parse ``NAME=echo`` or ``NAME=http://host:port``."""
    name, sep, target = value.partition("=")
    if not sep or not name or not target:
        raise ConfigError(f"--endpoint expects NAME=TARGET, got {value!r}")
    return _check_target(name.strip(), target)


def parse_capacity_option(value: str) -> tuple[str, int]:
    """Parse ``NAME=N`` (``--capacity``): endpoint NAME serves N calls at a time."""
    name, sep, number = value.partition("=")
    try:
        capacity = int(number)
    except ValueError:
        capacity = 0
    if not sep or not name.strip() or capacity < 1:
        raise ConfigError(f"--capacity expects NAME=N with N a positive integer, got {value!r}")
    return name.strip(), capacity


def _check_capacity(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ConfigError(f"endpoint {name!r}: capacity must be a positive integer")
    return value


def with_capacity(
    endpoints: Mapping[str, EndpointTarget], capacity: Mapping[str, int]
) -> dict[str, EndpointTarget]:
    """``endpoints`` with the capacities of ``capacity`` set (every name must be served)."""
    unknown = sorted(set(capacity) - set(endpoints))
    if unknown:
        raise ConfigError(f"capacity given for endpoints not served: {', '.join(unknown)}")
    return {
        name: replace(target, capacity=_check_capacity(name, capacity[name]))
        if name in capacity
        else target
        for name, target in endpoints.items()
    }


def load_config_file(path: Path) -> dict[str, Any]:
    """Read a JSON config file into keyword arguments for :class:`LocalConfig`.

    The file looks like::

        {"endpoints": {"my-echo": "echo",
                       "llm": {"url": "http://127.0.0.1:9000", "variant": "v1", "capacity": 4}},
         "credentials": {"AKIDEXAMPLE": "secret"},
         "s3_root": "./s3", "container_timeout": 60}
    """
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise ConfigError(f"cannot read config file {str(path)!r}: {error.strerror}") from None
    except ValueError as error:
        raise ConfigError(f"config file {str(path)!r} is not valid JSON: {error}") from None
    if not isinstance(raw, dict):
        raise ConfigError(f"config file {str(path)!r} must hold a JSON object")
    known = {
        "endpoints",
        "credentials",
        "s3_root",
        "async_output",
        "async_failure",
        "container_timeout",
        "account_id",
        "region",
        "host",
        "port",
    }
    unknown = sorted(set(raw) - known)
    if unknown:
        raise ConfigError(f"unknown keys in config file {str(path)!r}: {', '.join(unknown)}")
    result: dict[str, Any] = {}
    endpoints = raw.get("endpoints", {})
    if not isinstance(endpoints, dict):
        raise ConfigError("'endpoints' must be an object of NAME: TARGET")
    parsed: dict[str, EndpointTarget] = {}
    for name, spec in endpoints.items():
        if isinstance(spec, str):
            parsed[name] = _check_target(name, spec)
        elif isinstance(spec, dict) and isinstance(url := spec.get("url", spec.get("target")), str):
            target = _check_target(name, url)
            variant = spec.get("variant", DEFAULT_VARIANT)
            capacity = spec.get("capacity")
            if capacity is not None:
                capacity = _check_capacity(name, capacity)
            parsed[name] = EndpointTarget(target.name, target.target, str(variant), capacity)
        else:
            raise ConfigError(f"endpoint {name!r}: expected 'echo', a URL or {{'url': ...}}")
    result["endpoints"] = parsed
    credentials = raw.get("credentials", {})
    if not isinstance(credentials, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in credentials.items()
    ):
        raise ConfigError("'credentials' must map access key ids to secret keys")
    result["credentials"] = credentials
    if "s3_root" in raw:
        root = Path(str(raw["s3_root"]))
        result["s3_root"] = root if root.is_absolute() else path.parent / root
    for key in ("async_output", "async_failure", "account_id", "region", "host"):
        if key in raw:
            result[key] = str(raw[key])
    if "container_timeout" in raw:
        result["container_timeout"] = float(raw["container_timeout"])
    if "port" in raw:
        result["port"] = int(raw["port"])
    return result


def merge_endpoints(*groups: Iterable[EndpointTarget]) -> dict[str, EndpointTarget]:
    """Later groups win for the same endpoint name."""
    merged: dict[str, EndpointTarget] = {}
    for group in groups:
        for target in group:
            merged[target.name] = target
    return merged

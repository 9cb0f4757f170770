"""What a local endpoint serves: endpoints, credentials, the local S3 directory."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = [
    "DEFAULT_ACCOUNT_ID",
    "DEFAULT_VARIANT",
    "ConfigError",
    "EndpointTarget",
    "LocalConfig",
    "parse_endpoint_option",
]

DEFAULT_ACCOUNT_ID = "123456789012"
DEFAULT_VARIANT = "AllTraffic"
DEFAULT_CONTAINER_TIMEOUT = 60.0

_ENDPOINT_NAME = re.compile(r"[a-zA-Z0-9](-*[a-zA-Z0-9])*")
_S3_URI = re.compile(r"s3://([^/]+)/?(.*)")


class ConfigError(ValueError):
    """The local endpoint's configuration is unusable; the message says why."""


@dataclass(frozen=True, slots=True)
class EndpointTarget:
    """What serves one endpoint: ``"echo"`` or the base URL of a model container."""

    name: str
    target: str
    variant: str = DEFAULT_VARIANT

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
    def serving(cls, endpoints: Mapping[str, str], **settings: Any) -> LocalConfig:
        """``LocalConfig.serving({"my-echo": "echo", "llm": "http://127.0.0.1:9000"}, port=0)``."""
        targets = {name: _check_target(name, target) for name, target in endpoints.items()}
        return cls(endpoints=targets, **settings)

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


def _check_target(name: str, target: str) -> EndpointTarget:
    if _ENDPOINT_NAME.fullmatch(name) is None or len(name) > 63:
        raise ConfigError(
            f"invalid endpoint name {name!r}: use letters, digits and hyphens (at most 63)"
        )
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


def load_config_file(path: Path) -> dict[str, Any]:
    """Read a JSON config file into keyword arguments for :class:`LocalConfig`.

    The file looks like::

        {"endpoints": {"my-echo": "echo",
                       "llm": {"url": "http://127.0.0.1:9000", "variant": "v1"}},
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
            parsed[name] = EndpointTarget(target.name, target.target, str(variant))
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

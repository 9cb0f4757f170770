"""Endpoint URLs the user configured outside the code, found as botocore (>= 1.31) finds them.

In order, the first one set wins:

1. ``AWS_ENDPOINT_URL_<SERVICE_ID>`` (``SageMaker Runtime`` -> ``SAGEMAKER_RUNTIME``);
2. ``AWS_ENDPOINT_URL``;
3. the shared config file's ``services`` section named by the profile's ``services``
   setting, under the service's key (``sagemaker_runtime``), its ``endpoint_url``;
4. the profile's own ``endpoint_url``.

None of them applies when ``ignore_configured_endpoint_urls`` is true: the
``AWS_IGNORE_CONFIGURED_ENDPOINT_URLS`` variable when it is set, else the profile's
setting. The ``endpoint_url`` argument of a client comes before all of this.

The config file (``AWS_CONFIG_FILE``, else ``~/.aws/config``) is read with botocore's
own parser, once per process and (profile, file), in the caller's thread: async code
calls :func:`shared_config_loaded` first and reads it in a worker thread when it is not.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Mapping
from typing import Any, NamedTuple

from .._exceptions import ParamValidationError
from .._spec import ServiceSpec

__all__ = ["configured_endpoint_url", "endpoint_url_from_env", "shared_config_loaded"]


class _SharedConfig(NamedTuple):
    profile: Mapping[str, Any]
    services: Mapping[str, Any]


_EMPTY = _SharedConfig({}, {})
_loaded: dict[tuple[str | None, str, str], _SharedConfig] = {}
_lock = threading.Lock()


def _true(value: Any) -> bool:
    # botocore's ensure_boolean
    return value is True or (isinstance(value, str) and value.lower() == "true")


def _service_key(service: ServiceSpec) -> str:
    return service.service_id.replace(" ", "_").lower()


def _key(profile_name: str | None) -> tuple[str | None, str, str]:
    environ = os.environ
    path = environ.get("AWS_CONFIG_FILE") or "~/.aws/config"
    profile = profile_name or environ.get("AWS_PROFILE") or environ.get("AWS_DEFAULT_PROFILE")
    return (profile_name, profile or "default", path)


def shared_config_loaded(profile_name: str | None) -> bool:
    """Whether :func:`configured_endpoint_url` can answer without reading a file."""
    return bool(_env_ignore()) or _key(profile_name) in _loaded


def _load(profile_name: str | None, remember: bool = True) -> _SharedConfig:
    key = _key(profile_name)
    config = _loaded.get(key)
    if config is not None:
        return config
    explicit, profile, raw_path = key
    path = os.path.expanduser(raw_path)
    if not os.path.isfile(path):
        config = _EMPTY
    else:
        import botocore.configloader

        full = botocore.configloader.load_config(path)
        profiles = full.get("profiles", {})
        if profile not in profiles and explicit:
            raise ParamValidationError(
                f"The config profile ({profile}) could not be found",
                member="profile_name",
                constraint="exists",
            )
        scoped = profiles.get(profile, {})
        services: Mapping[str, Any] = {}
        if "services" in scoped:
            name = scoped["services"]
            services = full.get("services", {}).get(name) or {}
            if not services:
                raise ParamValidationError(
                    f"The profile is configured to use the services section but the "
                    f'"{name}" services configuration does not exist',
                    member="profile_name",
                    constraint="services",
                )
        config = _SharedConfig(scoped, services)
    if remember:
        with _lock:
            _loaded[key] = config
    return config


def _env_ignore() -> bool | None:
    value = os.environ.get("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS")
    return None if value is None else _true(value.strip())


def endpoint_url_from_env(service: ServiceSpec) -> str | None:
    """``AWS_ENDPOINT_URL_<SERVICE_ID>`` or ``AWS_ENDPOINT_URL``, unless the variable
    ``AWS_IGNORE_CONFIGURED_ENDPOINT_URLS`` is true (the config file is not read)."""
    if _env_ignore():
        return None
    return _from_env(service)


def _from_env(service: ServiceSpec) -> str | None:
    specific = "AWS_ENDPOINT_URL_" + service.service_id.replace(" ", "_").upper()
    for variable in (specific, "AWS_ENDPOINT_URL"):
        value = os.environ.get(variable, "").strip()
        if value:
            return value
    return None


def configured_endpoint_url(
    service: ServiceSpec, profile_name: str | None, remember: bool = True
) -> str | None:
    """The endpoint URL configured for ``service`` by the environment or the config file.

    Reads the config file on the first call for a (profile, file): blocking. With
    ``remember=False`` a file read is not kept for the next calls (a look ahead that
    must not fix what the client's first call will read).
    """
    ignore = _env_ignore()
    if ignore:
        return None
    config = _EMPTY if ignore is False and _from_env(service) else _load(profile_name, remember)
    if ignore is None and _true(config.profile.get("ignore_configured_endpoint_urls")):
        return None
    from_env = _from_env(service)
    if from_env:
        return from_env
    section = config.services.get(_service_key(service))
    if isinstance(section, Mapping) and section.get("endpoint_url"):
        return str(section["endpoint_url"]).strip()
    value = config.profile.get("endpoint_url")
    return str(value).strip() if value else None

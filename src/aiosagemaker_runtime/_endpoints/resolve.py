"""Region and endpoint resolution.

Region: the ``region_name`` argument, else ``AWS_REGION``, else ``AWS_DEFAULT_REGION``,
else the profile's ``region`` (read through botocore, lazily: that is file I/O, so async
callers use :func:`aresolve_region`, which runs it in a worker thread).

Endpoint: ``endpoint_url``, else one configured in the environment or the shared
config file (:mod:`.configured`, as botocore finds it), else the service's
endpoint rule set evaluated for (region, FIPS, dualstack): the model's own
``endpoint-rule-set-1.json`` when the generator found one, else botocore's copy.
Results are cached per (service, region, FIPS, dualstack).
"""

from __future__ import annotations

import functools
import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import anyio.to_thread

from .._exceptions import ParamValidationError
from .._spec import ServiceSpec
from .configured import configured_endpoint_url, endpoint_url_from_env, shared_config_loaded

if TYPE_CHECKING:
    # The rule-set evaluator is imported on a client's first endpoint resolution, not
    # with the package (it and the modules it needs are ~3-5 ms of import).
    from .rules import RuleSet

__all__ = [
    "aresolve_endpoint",
    "aresolve_region",
    "endpoint_url_from_env",
    "resolve_endpoint",
    "resolve_region",
    "rule_set_for",
]


def _valid_region(region: str) -> bool:
    """botocore's validate_region_name (the region ends up in a host name): 1-63 ASCII
    letters, digits and hyphens, not starting or ending with a hyphen. Written out
    rather than as its regular expression (~0.1 ms to compile at import), and stricter
    in one way: that expression's ``$`` let a final newline through."""
    return (
        0 < len(region) <= 63
        and region.isascii()
        and region.replace("-", "").isalnum()
        and region[0] != "-"
        and region[-1] != "-"
    )


_NO_REGION = (
    "No AWS region: pass region_name, set AWS_REGION or AWS_DEFAULT_REGION, "
    "or set 'region' in the AWS config profile"
)


def _check_region(region: str, source: str) -> str:
    if not _valid_region(region):
        raise ParamValidationError(
            f"Invalid region name {region!r} (from {source}): a region is letters, digits "
            "and hyphens, such as 'us-east-1'",
            member="region_name",
            constraint="pattern",
        )
    return region


def _region_without_profile(region_name: str | None) -> str | None:
    if region_name:
        return _check_region(region_name, "region_name")
    for variable in ("AWS_REGION", "AWS_DEFAULT_REGION"):
        value = os.environ.get(variable, "").strip()
        if value:
            return _check_region(value, variable)
    return None


def _profile_region(profile_name: str | None) -> str | None:
    import botocore.exceptions
    import botocore.session

    try:
        session = botocore.session.Session(profile=profile_name)
        region = session.get_config_variable("region")
    except botocore.exceptions.ProfileNotFound as exc:
        raise ParamValidationError(
            f"The config profile ({exc.kwargs.get('profile', profile_name)}) could not be found",
            member="profile_name",
            constraint="exists",
        ) from None
    return str(region) if region else None


def resolve_region(region_name: str | None, profile_name: str | None) -> str:
    """The region to use; raises :class:`ParamValidationError` (``member="region_name"``)
    when none is configured.

    Only when neither the argument nor the environment gives one is the AWS config
    file read (blocking file I/O: from async code, use :func:`aresolve_region`).
    """
    region = _region_without_profile(region_name)
    if region is None:
        region = _profile_region(profile_name)
        if region is None:
            raise ParamValidationError(_NO_REGION, member="region_name", constraint="required")
        region = _check_region(region, "the AWS config file")
    return region


async def aresolve_region(region_name: str | None, profile_name: str | None) -> str:
    """:func:`resolve_region` that reads the config file in a worker thread."""
    region = _region_without_profile(region_name)
    if region is not None:
        return region
    return await anyio.to_thread.run_sync(resolve_region, region_name, profile_name)


def _check_endpoint_url(url: str) -> str:
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises on a bad port
    except ValueError:
        parts = None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
        raise ParamValidationError(
            f"Invalid endpoint URL {url!r}: it needs an http:// or https:// scheme and a host",
            member="endpoint_url",
            constraint="format",
        )
    if parts.query or parts.fragment:
        raise ParamValidationError(
            f"Invalid endpoint URL {url!r}: it must not have a query or a fragment",
            member="endpoint_url",
            constraint="format",
        )
    return url


_rule_sets: dict[tuple[str, str, str], RuleSet | None] = {}
_resolved: dict[tuple[str, str, str, str, bool, bool], str] = {}
_RESOLVED_SIZE = 256


def _service_key(service: ServiceSpec) -> tuple[str, str, str]:
    return (service.service_id, service.botocore_name, service.api_version)


def rule_set_for(service: ServiceSpec) -> RuleSet | None:
    """The service's parsed endpoint rule set (the model's, else botocore's), cached."""
    key = _service_key(service)
    if key in _rule_sets:
        return _rule_sets[key]
    from .rules import RuleSet, load_botocore_rules, load_partitions

    data: Mapping[str, Any] | None = None
    if service.endpoint_rules is not None:
        data = service.endpoint_rules()
    if data is None and service.botocore_name:
        data = load_botocore_rules(service.botocore_name, service.api_version)
    rule_set = RuleSet(data, load_partitions()) if data is not None else None
    _rule_sets[key] = rule_set
    return rule_set


def _evaluate(
    service: ServiceSpec, region: str, use_fips: bool, use_dualstack: bool, endpoint: str | None
) -> str:
    rule_set = rule_set_for(service)
    if rule_set is None:
        if endpoint is not None:
            return endpoint
        raise ParamValidationError(
            f"No endpoint rule set for {service.service_id!r}: pass endpoint_url",
            member="endpoint_url",
            constraint="required",
        )
    values = {
        "AWS::Region": region,
        "AWS::UseFIPS": use_fips,
        "AWS::UseDualStack": use_dualstack,
        "SDK::Endpoint": endpoint,
    }
    params = {name: values.get(builtin) for name, builtin in rule_set.builtins().items()}
    from .rules import EndpointResolutionError

    try:
        return rule_set.evaluate(params).url
    except EndpointResolutionError as exc:
        member = "endpoint_url" if endpoint is not None else "region_name"
        raise ParamValidationError(str(exc), member=member, constraint="endpoint") from None


def resolve_endpoint(
    service: ServiceSpec,
    region: str,
    *,
    use_fips: bool,
    use_dualstack: bool,
    endpoint_url: str | None,
    profile_name: str | None = None,
) -> str:
    """The base URL for ``service`` in ``region`` (no trailing slash).

    A custom endpoint (``endpoint_url``, the environment or the config file of
    ``profile_name``) cannot be combined with FIPS or dualstack: that raises
    :class:`ParamValidationError`, as do invalid regions and URLs and rule-set errors.
    Reads the config file on first use (blocking: async code uses
    :func:`aresolve_endpoint`).
    """
    _check_region(region, "region_name")
    custom = endpoint_url if endpoint_url else configured_endpoint_url(service, profile_name)
    if custom:
        _check_endpoint_url(custom)
        if use_fips or use_dualstack:
            variant = "FIPS" if use_fips else "dualstack"
            raise ParamValidationError(
                f"Invalid configuration: {variant} endpoints cannot be combined with a custom "
                f"endpoint URL ({custom})",
                member="endpoint_url",
                constraint="endpoint",
            )
        if service.custom_endpoint_as_is:
            return custom.rstrip("/")
        return _evaluate(service, region, False, False, custom).rstrip("/")
    key = (*_service_key(service), region, use_fips, use_dualstack)
    url = _resolved.get(key)
    if url is None:
        url = _evaluate(service, region, use_fips, use_dualstack, None).rstrip("/")
        if len(_resolved) >= _RESOLVED_SIZE:
            _resolved.clear()
        _resolved[key] = url
    return url


async def aresolve_endpoint(
    service: ServiceSpec,
    region: str,
    *,
    use_fips: bool,
    use_dualstack: bool,
    endpoint_url: str | None,
    profile_name: str | None = None,
) -> str:
    """:func:`resolve_endpoint` for async code: the first resolution for a service reads
    its rule set and botocore's partitions from disk, and the first for a profile the
    config file, so they run in a worker thread; the rest is answered inline."""
    key = (*_service_key(service), region, use_fips, use_dualstack)
    if endpoint_url or (
        shared_config_loaded(profile_name)
        and (key in _resolved or _rule_sets.get(_service_key(service)) is not None)
    ):
        return resolve_endpoint(
            service,
            region,
            use_fips=use_fips,
            use_dualstack=use_dualstack,
            endpoint_url=endpoint_url,
            profile_name=profile_name,
        )
    call = functools.partial(
        resolve_endpoint,
        service,
        region,
        use_fips=use_fips,
        use_dualstack=use_dualstack,
        endpoint_url=endpoint_url,
        profile_name=profile_name,
    )
    return await anyio.to_thread.run_sync(call)

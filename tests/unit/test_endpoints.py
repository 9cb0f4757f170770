"""Region and endpoint resolution, checked against botocore's own resolver."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import anyio
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aiosagemaker_runtime._endpoints import resolve as _endpoints
from aiosagemaker_runtime._endpoints.resolve import (
    aresolve_region,
    resolve_endpoint,
    resolve_region,
    rule_set_for,
)
from aiosagemaker_runtime._endpoints.rules import (
    EndpointResolutionError,
    RuleSet,
    load_botocore_rules,
    load_partitions,
)
from aiosagemaker_runtime._exceptions import ParamValidationError
from aiosagemaker_runtime._spec import ServiceSpec

SERVICE_IDS = {
    "sagemaker-runtime": "SageMaker Runtime",
    "sagemaker-featurestore-runtime": "SageMaker FeatureStore Runtime",
    "sts": "STS",
    "dynamodb": "DynamoDB",
    "lambda": "Lambda",
    "bedrock-runtime": "Bedrock Runtime",
    "s3": "S3",
}


def spec(name: str = "sagemaker-runtime", *, own_rules: bool = False) -> ServiceSpec:
    rules = load_botocore_rules(name)
    return ServiceSpec(
        service_id=SERVICE_IDS[name],
        endpoint_prefix=name,
        signing_name=name,
        api_version="",
        protocol="rest-json",
        shapes={},
        errors={},
        endpoint_rules=(lambda: rules) if own_rules else None,
        botocore_name=name,
    )


SAGEMAKER = spec()


def all_regions() -> list[str]:
    regions = [r for p in load_partitions()["partitions"] for r in p["regions"]]
    return [*regions, "us-east-99", "eu-future-7", "cn-west-9", "mars-north-1"]


@pytest.mark.parametrize(
    ("region", "fips", "dualstack", "url"),
    [
        ("us-east-1", False, False, "https://runtime.sagemaker.us-east-1.amazonaws.com"),
        ("eu-west-1", False, False, "https://runtime.sagemaker.eu-west-1.amazonaws.com"),
        ("cn-north-1", False, False, "https://runtime.sagemaker.cn-north-1.amazonaws.com.cn"),
        ("us-east-1", True, False, "https://runtime-fips.sagemaker.us-east-1.amazonaws.com"),
        ("eu-west-1", False, True, "https://runtime.sagemaker.eu-west-1.api.aws"),
        ("us-west-2", True, True, "https://runtime.sagemaker-fips.us-west-2.api.aws"),
        ("us-gov-west-1", True, False, "https://runtime.sagemaker.us-gov-west-1.amazonaws.com"),
        ("us-gov-west-1", False, False, "https://runtime.sagemaker.us-gov-west-1.amazonaws.com"),
    ],
)
def test_design_hosts(region: str, fips: bool, dualstack: bool, url: str) -> None:
    got = resolve_endpoint(
        SAGEMAKER, region, use_fips=fips, use_dualstack=dualstack, endpoint_url=None
    )
    assert got == url


@pytest.mark.parametrize("service", sorted(SERVICE_IDS))
def test_every_region_and_variant_matches_botocore_provider(service: str) -> None:
    from botocore.endpoint_provider import EndpointProvider
    from botocore.exceptions import EndpointResolutionError as BotoError

    provider = EndpointProvider(load_botocore_rules(service), load_partitions())
    ours = spec(service, own_rules=service == "sts")
    checked = 0
    for region in all_regions():
        for fips in (False, True):
            for dualstack in (False, True):
                try:
                    want = provider.resolve_endpoint(
                        Region=region, UseFIPS=fips, UseDualStack=dualstack
                    ).url.rstrip("/")
                except BotoError as exc:
                    with pytest.raises(ParamValidationError) as info:
                        resolve_endpoint(
                            ours, region, use_fips=fips, use_dualstack=dualstack, endpoint_url=None
                        )
                    assert str(info.value) == str(exc)
                    continue
                got = resolve_endpoint(
                    ours, region, use_fips=fips, use_dualstack=dualstack, endpoint_url=None
                )
                assert got == want, (region, fips, dualstack)
                checked += 1
    assert checked > 100


@pytest.mark.parametrize(
    "region", ["us-east-1", "ap-southeast-2", "cn-northwest-1", "us-gov-west-1"]
)
def test_matches_botocore_clients(region: str) -> None:
    import botocore.session
    from botocore.config import Config

    session = botocore.session.get_session()
    for fips in (False, True):
        for dualstack in (False, True):
            client = session.create_client(
                "sagemaker-runtime",
                region_name=region,
                aws_access_key_id="AKIDEXAMPLE",
                aws_secret_access_key="secret",
                config=Config(use_fips_endpoint=fips, use_dualstack_endpoint=dualstack),
            )
            got = resolve_endpoint(
                SAGEMAKER, region, use_fips=fips, use_dualstack=dualstack, endpoint_url=None
            )
            assert got == client.meta.endpoint_url.rstrip("/")


def test_custom_endpoints(monkeypatch: pytest.MonkeyPatch) -> None:
    def resolve(endpoint_url: str | None = None, /, **kw: bool) -> str:
        return resolve_endpoint(
            SAGEMAKER,
            "us-east-1",
            use_fips=kw.get("fips", False),
            use_dualstack=kw.get("dualstack", False),
            endpoint_url=endpoint_url,
        )

    assert resolve("http://127.0.0.1:8080/") == "http://127.0.0.1:8080"
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://generic:1")
    assert resolve() == "http://generic:1"
    monkeypatch.setenv("AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME", "http://specific:2")
    assert resolve() == "http://specific:2"
    assert resolve("https://explicit:3") == "https://explicit:3"
    monkeypatch.setenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true")
    assert resolve() == "https://runtime.sagemaker.us-east-1.amazonaws.com"
    assert resolve("https://explicit:3") == "https://explicit:3"
    monkeypatch.delenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS")
    for kw in ({"fips": True}, {"dualstack": True}):
        with pytest.raises(ParamValidationError, match="custom endpoint") as info:
            resolve("http://127.0.0.1:8080", **kw)
        assert info.value.member == "endpoint_url"
        with pytest.raises(ParamValidationError, match="custom endpoint"):
            resolve(**kw)  # from the environment
    for bad in ("localhost:8080", "ftp://x", "http://", "http://x:port", "http://x/?a=1"):
        with pytest.raises(ParamValidationError, match="Invalid endpoint URL"):
            resolve(bad)


def test_other_service_env_name(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL_SAGEMAKER_FEATURESTORE_RUNTIME", "http://fs:1")
    monkeypatch.setenv("AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME", "http://rt:1")
    featurestore = spec("sagemaker-featurestore-runtime")
    got = resolve_endpoint(
        featurestore, "us-east-1", use_fips=False, use_dualstack=False, endpoint_url=None
    )
    assert got == "http://fs:1"


@pytest.mark.parametrize("region", ["", "us_east_1", "a" * 70, "evil.com/x", "us-east-1."])
def test_invalid_region(region: str) -> None:
    with pytest.raises(ParamValidationError) as info:
        resolve_endpoint(SAGEMAKER, region, use_fips=False, use_dualstack=False, endpoint_url=None)
    assert info.value.member == "region_name"


def test_model_rules_win_over_botocore() -> None:
    rules = {
        "version": "1.0",
        "parameters": {
            "Region": {"builtIn": "AWS::Region", "type": "String", "required": True},
        },
        "rules": [
            {
                "conditions": [],
                "endpoint": {"url": "https://custom.{Region}.example"},
                "type": "endpoint",
            }
        ],
    }
    service = ServiceSpec(
        "Test Service", "test", "test", "2020-01-01", "rest-json", {}, {}, lambda: rules, ""
    )
    got = resolve_endpoint(
        service, "eu-west-3", use_fips=False, use_dualstack=False, endpoint_url=None
    )
    assert got == "https://custom.eu-west-3.example"
    nothing = ServiceSpec("No Rules", "none", "none", "2020-01-01", "rest-json", {}, {})
    assert rule_set_for(nothing) is None
    with pytest.raises(ParamValidationError, match="pass endpoint_url"):
        resolve_endpoint(
            nothing, "eu-west-3", use_fips=False, use_dualstack=False, endpoint_url=None
        )
    assert (
        resolve_endpoint(
            nothing, "eu-west-3", use_fips=False, use_dualstack=False, endpoint_url="http://h:1"
        )
        == "http://h:1"
    )


def test_resolution_is_cached() -> None:
    _endpoints._resolved.clear()
    resolve_endpoint(SAGEMAKER, "eu-north-1", use_fips=True, use_dualstack=False, endpoint_url=None)
    key = ("SageMaker Runtime", "sagemaker-runtime", "", "eu-north-1", True, False)
    assert _endpoints._resolved[key] == "https://runtime-fips.sagemaker.eu-north-1.amazonaws.com"


# ------------------------------------------------------------------ the rules engine

BUCKETS = [
    None,
    "bucket",
    "my.bucket.name",
    "Bucket_Upper",
    "ab",
    "192.168.1.1",
    "mybucket--x-s3",
    "mybucket--usw2-az1--x-s3",
    "arn:aws:s3:us-west-2:123456789012:accesspoint:myendpoint",
    "arn:aws:s3:us-west-2:123456789012:accesspoint/myendpoint",
    "arn:aws-cn:s3:cn-north-1:123456789012:accesspoint:myendpoint",
    "arn:aws:s3-outposts:us-west-2:123456789012:outpost:op-01234567890123456:accesspoint:reports",
    "arn:aws:s3-object-lambda:us-east-1:123456789012:accesspoint/mybanner",
    "arn:aws:s3::123456789012:accesspoint:mfzwi23gnjvgw.mrap",
    "arn:aws:sqs:us-west-2:123456789012:someresource",
    "arn:aws:s3:us-west-2:123456789012:bucket_name:mybucket",
    "arn:",
]
ENDPOINTS = [None, "http://127.0.0.1:8080", "https://example.com/prefix/", "https://[::1]:9000"]
REGIONS = ["us-east-1", "us-west-2", "cn-north-1", "us-gov-east-1", "aws-global", "eu-isoe-west-1"]


def _compare(service: str, params: dict[str, Any]) -> None:
    from botocore.endpoint_provider import EndpointProvider
    from botocore.exceptions import EndpointResolutionError as BotoError

    data = load_botocore_rules(service)
    assert data is not None
    provider = EndpointProvider(data, load_partitions())
    params = {k: v for k, v in params.items() if v is not None}
    try:
        want = provider.resolve_endpoint(**params)
    except BotoError as exc:
        with pytest.raises(EndpointResolutionError) as info:
            RuleSet(data, load_partitions()).evaluate(params)
        assert str(info.value) == str(exc)
        return
    got = RuleSet(data, load_partitions()).evaluate(params)
    assert got.url == want.url
    assert got.properties == want.properties
    assert dict(got.headers) == dict(want.headers)


@settings(max_examples=400, deadline=None)
@given(
    bucket=st.sampled_from(BUCKETS),
    region=st.sampled_from(REGIONS),
    fips=st.booleans(),
    dualstack=st.booleans(),
    endpoint=st.sampled_from(ENDPOINTS),
    force_path=st.booleans(),
    accelerate=st.booleans(),
    arn_region=st.sampled_from([None, True, False]),
    global_endpoint=st.booleans(),
    object_lambda=st.sampled_from([None, True]),
    express_control=st.sampled_from([None, True]),
)
def test_s3_rules_match_botocore(
    bucket: str | None,
    region: str,
    fips: bool,
    dualstack: bool,
    endpoint: str | None,
    force_path: bool,
    accelerate: bool,
    arn_region: bool | None,
    global_endpoint: bool,
    object_lambda: bool | None,
    express_control: bool | None,
) -> None:
    _compare(
        "s3",
        {
            "Bucket": bucket,
            "Region": region,
            "UseFIPS": fips,
            "UseDualStack": dualstack,
            "Endpoint": endpoint,
            "ForcePathStyle": force_path,
            "Accelerate": accelerate,
            "UseArnRegion": arn_region,
            "UseGlobalEndpoint": global_endpoint,
            "UseObjectLambdaEndpoint": object_lambda,
            "UseS3ExpressControlEndpoint": express_control,
        },
    )


@settings(max_examples=200, deadline=None)
@given(
    region=st.sampled_from(REGIONS),
    fips=st.booleans(),
    dualstack=st.booleans(),
    endpoint=st.sampled_from(ENDPOINTS),
    account=st.sampled_from([None, "123456789012", "bad_account!", "a" * 70]),
    outpost=st.sampled_from([None, "op-01234567890123456", "op/bad"]),
    bucket=st.sampled_from(
        [
            None,
            "mybucket",
            "arn:aws:s3-outposts:us-west-2:123456789012:outpost:op-01234567890123456:bucket:b",
        ]
    ),
    access_point=st.sampled_from([None, "myaccesspoint"]),
    requires_account=st.sampled_from([None, True]),
)
def test_s3control_rules_match_botocore(
    region: str,
    fips: bool,
    dualstack: bool,
    endpoint: str | None,
    account: str | None,
    outpost: str | None,
    bucket: str | None,
    access_point: str | None,
    requires_account: bool | None,
) -> None:
    _compare(
        "s3control",
        {
            "Region": region,
            "UseFIPS": fips,
            "UseDualStack": dualstack,
            "Endpoint": endpoint,
            "AccountId": account,
            "OutpostId": outpost,
            "Bucket": bucket,
            "AccessPointName": access_point,
            "RequiresAccountId": requires_account,
        },
    )


@pytest.mark.parametrize("global_endpoint", [False, True])
@pytest.mark.parametrize("region", ["us-east-1", "eu-west-1", "aws-global", "cn-north-1"])
def test_sts_and_dynamodb_rules_match_botocore(global_endpoint: bool, region: str) -> None:
    _compare("sts", {"Region": region, "UseGlobalEndpoint": global_endpoint})
    for mode in (None, "preferred", "required", "disabled"):
        _compare(
            "dynamodb",
            {"Region": region, "AccountId": "123456789012", "AccountIdEndpointMode": mode},
        )


def test_rule_set_errors() -> None:
    base: dict[str, Any] = {
        "version": "1.0",
        "parameters": {"Region": {"type": "String", "required": True}},
        "rules": [{"conditions": [], "error": "bad {Region}", "type": "error"}],
    }
    rules = RuleSet(base, load_partitions())
    with pytest.raises(EndpointResolutionError, match="Missing required parameter Region"):
        rules.evaluate({})
    with pytest.raises(EndpointResolutionError, match="must be of type"):
        rules.evaluate({"Region": True})
    with pytest.raises(EndpointResolutionError, match=r"^bad us-east-1$"):
        rules.evaluate({"Region": "us-east-1"})
    unknown = {
        **base,
        "rules": [{"conditions": [{"fn": "nope", "argv": []}], "type": "error", "error": "x"}],
    }
    with pytest.raises(EndpointResolutionError, match="Unsupported rule function"):
        RuleSet(unknown, load_partitions()).evaluate({"Region": "x"})
    empty = {**base, "rules": []}
    with pytest.raises(EndpointResolutionError, match="No endpoint rule matched"):
        RuleSet(empty, load_partitions()).evaluate({"Region": "x"})


# ------------------------------------------------------------------ regions


def test_region_precedence(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ParamValidationError, match="No AWS region") as info:
        resolve_region(None, None)
    assert info.value.member == "region_name"
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-2")
    assert resolve_region(None, None) == "eu-west-2"
    monkeypatch.setenv("AWS_REGION", "eu-west-3")
    assert resolve_region(None, None) == "eu-west-3"
    assert resolve_region("ap-south-1", None) == "ap-south-1"
    monkeypatch.setenv("AWS_REGION", "not a region")
    with pytest.raises(ParamValidationError, match="AWS_REGION"):
        resolve_region(None, None)


def _write_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "config"
    config.write_text(
        "[default]\nregion = us-west-1\n\n[profile dev]\nregion = sa-east-1\n\n[profile none]\n"
    )
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))


def test_region_from_profile(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _write_config(tmp_path, monkeypatch)
    assert resolve_region(None, None) == "us-west-1"
    assert resolve_region(None, "dev") == "sa-east-1"
    monkeypatch.setenv("AWS_PROFILE", "dev")
    assert resolve_region(None, None) == "sa-east-1"
    with pytest.raises(ParamValidationError, match="No AWS region"):
        resolve_region(None, "none")
    with pytest.raises(ParamValidationError, match="could not be found") as info:
        resolve_region(None, "missing")
    assert info.value.member == "profile_name"
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-2")
    assert resolve_region(None, "dev") == "eu-west-2"


@pytest.mark.anyio
async def test_aresolve_region(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _write_config(tmp_path, monkeypatch)
    assert await aresolve_region("me-south-1", None) == "me-south-1"
    assert await aresolve_region(None, "dev") == "sa-east-1"
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "missing"))
    with pytest.raises(ParamValidationError):
        await aresolve_region(None, None)


def test_importing_does_not_import_botocore() -> None:
    code = (
        "import sys\n"
        "import aiosagemaker_runtime._auth.sigv4, aiosagemaker_runtime._auth.credentials\n"
        "import aiosagemaker_runtime._endpoints.resolve as e, aiosagemaker_runtime._spec as s\n"
        "svc = s.ServiceSpec('SageMaker Runtime', 'runtime.sagemaker', 'sagemaker', '',"
        " 'rest-json', {}, {}, None, 'sagemaker-runtime')\n"
        "print(e.resolve_endpoint(svc, 'us-east-1', use_fips=False, use_dualstack=False,"
        " endpoint_url=None))\n"
        "assert 'botocore' not in sys.modules, 'botocore imported'\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "https://runtime.sagemaker.us-east-1.amazonaws.com"


def test_generated_service_spec_resolves_like_botocore() -> None:
    from botocore.endpoint_provider import EndpointProvider

    generated = pytest.importorskip("aiosagemaker_runtime._generated.operations")
    service: ServiceSpec = generated.SERVICE
    assert service.endpoint_rules is not None and service.endpoint_rules() is not None
    provider = EndpointProvider(load_botocore_rules("sagemaker-runtime"), load_partitions())
    for region in ["us-east-1", "cn-north-1", "us-gov-west-1", "eu-central-2", "us-iso-east-1"]:
        for fips in (False, True):
            for dualstack in (False, True):
                want = provider.resolve_endpoint(
                    Region=region, UseFIPS=fips, UseDualStack=dualstack
                )
                got = resolve_endpoint(
                    service, region, use_fips=fips, use_dualstack=dualstack, endpoint_url=None
                )
                assert got == want.url.rstrip("/")


@pytest.mark.parametrize("service", ["sts", "lambda", "bedrock-runtime", "dynamodb"])
def test_other_services_match_botocore_clients(service: str) -> None:
    import botocore.session
    from botocore.config import Config

    session = botocore.session.get_session()
    for region in ("us-west-2", "cn-north-1"):
        for fips, dualstack in ((False, False), (True, False), (False, True)):
            client = session.create_client(
                service,
                region_name=region,
                aws_access_key_id="AKIDEXAMPLE",
                aws_secret_access_key="secret",
                config=Config(use_fips_endpoint=fips, use_dualstack_endpoint=dualstack),
            )
            got = resolve_endpoint(
                spec(service), region, use_fips=fips, use_dualstack=dualstack, endpoint_url=None
            )
            assert got == client.meta.endpoint_url.rstrip("/"), (region, fips, dualstack)


def test_templates() -> None:
    rules = {
        "version": "1.0",
        "parameters": {"Region": {"type": "String", "required": True}},
        "rules": [
            {
                "conditions": [{"fn": "aws.partition", "argv": [{"ref": "Region"}], "assign": "P"}],
                "endpoint": {
                    "url": "https://{Region}.{P#dnsSuffix}",
                    "properties": {"literal": "{}", "escaped": "{{Region}} is {Region}"},
                    "headers": {"x-partition": ["{P#name}"]},
                },
                "type": "endpoint",
            }
        ],
    }
    got = RuleSet(rules, load_partitions()).evaluate({"Region": "cn-north-1"})
    assert got.url == "https://cn-north-1.amazonaws.com.cn"
    assert got.properties == {"literal": "{}", "escaped": "{Region} is cn-north-1"}
    assert got.headers == {"x-partition": ["aws-cn"]}


@pytest.mark.anyio
async def test_aresolve_endpoint(monkeypatch: pytest.MonkeyPatch) -> None:
    from aiosagemaker_runtime._endpoints.resolve import aresolve_endpoint

    service = spec("bedrock-runtime")
    _endpoints._rule_sets.clear()
    _endpoints._resolved.clear()
    hops: list[Any] = []
    original = anyio.to_thread.run_sync

    async def spy(*args: Any, **kwargs: Any) -> Any:
        hops.append(args)
        return await original(*args, **kwargs)

    monkeypatch.setattr(anyio.to_thread, "run_sync", spy)
    for _ in range(3):
        got = await aresolve_endpoint(
            service, "eu-west-1", use_fips=False, use_dualstack=True, endpoint_url=None
        )
        assert got == "https://bedrock-runtime.eu-west-1.api.aws"
    assert len(hops) == 1  # only the first resolution reads files, in a thread
    custom = await aresolve_endpoint(
        service, "eu-west-1", use_fips=False, use_dualstack=False, endpoint_url="http://h:1/"
    )
    assert custom == "http://h:1"
    with pytest.raises(ParamValidationError):
        await aresolve_endpoint(
            service, "eu-west-1", use_fips=True, use_dualstack=False, endpoint_url="http://h:1"
        )


def test_custom_endpoint_skips_a_rule_set_that_gives_it_back(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The generator found that SageMaker Runtime's rules give a custom endpoint back
    # unchanged: resolving one loads no rule set, with the evaluator's answer.
    from aiosagemaker_runtime._generated.operations import SERVICE

    assert SERVICE.custom_endpoint_as_is
    evaluated = SERVICE._replace(custom_endpoint_as_is=False)
    urls = ("http://127.0.0.1:8080/", "https://vpce.example.com/base")
    expected = [
        resolve_endpoint(
            evaluated, "us-west-2", use_fips=False, use_dualstack=False, endpoint_url=u
        )
        for u in urls
    ]

    def no_rules(service: ServiceSpec) -> None:
        raise AssertionError("the rule set was loaded")

    monkeypatch.setattr(_endpoints, "rule_set_for", no_rules)
    got = [
        resolve_endpoint(SERVICE, "us-west-2", use_fips=False, use_dualstack=False, endpoint_url=u)
        for u in urls
    ]
    assert got == expected == ["http://127.0.0.1:8080", "https://vpce.example.com/base"]
    for flags in (
        {"use_fips": True, "use_dualstack": False},
        {"use_fips": False, "use_dualstack": True},
    ):
        with pytest.raises(ParamValidationError, match="custom endpoint"):
            resolve_endpoint(SERVICE, "us-west-2", endpoint_url=urls[0], **flags)
    with pytest.raises(ParamValidationError, match="Invalid region"):
        resolve_endpoint(
            SERVICE, "not a region", use_fips=False, use_dualstack=False, endpoint_url=urls[0]
        )
    with pytest.raises(AssertionError, match="rule set was loaded"):  # the control
        resolve_endpoint(
            evaluated, "us-west-2", use_fips=False, use_dualstack=False, endpoint_url=urls[0]
        )


@pytest.mark.parametrize(
    "region", ["us-east-1", "a", "a1", "x" * 63, "eu--x", "AP-SOUTHEAST-2", "0-0"]
)
def test_region_names_botocore_accepts(region: str) -> None:
    assert resolve_region(region, None) == region


@pytest.mark.parametrize(
    "region",
    ["-us", "us-", "-", "x" * 64, "us_east_1", "us.east", "us-east-1\n", "üs-east-1", "us east"],
)
def test_region_names_refused(region: str) -> None:
    # botocore's pattern, ^[a-zA-Z0-9](?:[a-zA-Z0-9\-]{0,61}[a-zA-Z0-9])?$, except that
    # its $ let a final newline through (the region goes into a host name).
    with pytest.raises(ParamValidationError, match="Invalid region name"):
        resolve_region(region, None)

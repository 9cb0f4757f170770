"""Generated clients build the requests botocore builds, for several rest-json services.

Each service's model is generated from botocore's own data into a temporary package;
the same input goes through botocore (captured at ``before-send``) and through the
generated input model and ``serialize_request``. Method, path, query, the modeled
headers (plus Content-Type) and the body must be identical.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import botocore.session
import pytest
from botocore import xform_name
from codegen_support import SEED_MODEL, botocore_model_path

from aiosagemaker_runtime._protocol.rest_json import serialize_request

ENDPOINT = "https://parity.example.com"
UTC = dt.timezone.utc
WHEN = dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)


class Captured(Exception):
    """Raised from botocore's before-send hook to stop the request there."""


def botocore_request(service: str, operation: str, params: dict[str, Any]) -> dict[str, Any]:
    session = botocore.session.Session()
    client = session.create_client(
        service,
        region_name="us-east-1",
        endpoint_url=ENDPOINT,
        aws_access_key_id="AKIDEXAMPLE",
        aws_secret_access_key="SECRET",
    )

    def before_send(request: Any, **_: Any) -> None:
        raise Captured(request)

    client.meta.events.register("before-send", before_send)
    model = client.meta.service_model.operation_model(operation)
    with pytest.raises(Captured) as info:
        getattr(client, xform_name(operation))(**params)
    request = info.value.args[0]
    body = request.body or b""
    if isinstance(body, str):
        body = body.encode("utf-8")
    elif not isinstance(body, bytes):
        body = body.read()
    return describe(request.method, request.url, dict(request.headers.items()), body, model)


def in_model_order(value: Any, shape: Any) -> Any:
    """``value`` with structure keys in the model's member order (botocore writes JSON in
    the caller's key order, the generated models in member order)."""
    if shape.type_name == "structure" and isinstance(value, dict):
        members = shape.members
        return {k: in_model_order(value[k], members[k]) for k in members if k in value}
    if shape.type_name == "list" and isinstance(value, list):
        return [in_model_order(v, shape.member) for v in value]
    if shape.type_name == "map" and isinstance(value, dict):
        return {k: in_model_order(v, shape.value) for k, v in value.items()}
    return value


def modeled(name: str, model: Any) -> bool:
    lower = name.lower()
    if lower == "content-type":
        return True
    for member in model.input_shape.members.values() if model.input_shape else ():
        location = member.serialization.get("location")
        wire = member.serialization.get("name", "").lower()
        if location == "header" and lower == wire:
            return True
        if location == "headers" and lower.startswith(wire):
            return True
    return False


def describe(
    method: str, url: str, headers: dict[str, Any], body: bytes, model: Any
) -> dict[str, Any]:
    parts = urlsplit(url)
    text = {k: v.decode() if isinstance(v, bytes) else v for k, v in headers.items()}
    return {
        "method": method,
        "host": parts.netloc,
        "path": parts.path,
        "query": sorted(parse_qsl(parts.query, keep_blank_values=True)),
        "headers": {k.lower(): v for k, v in text.items() if modeled(k, model)},
        "body": bytes(body),
    }


def our_request(
    package: ModuleType, service: str, operation: str, params: dict[str, Any]
) -> dict[str, Any]:
    spec = getattr(package.operations, xform_name(operation).upper())
    shape = spec.shapes[spec.input]
    value = shape.cls.model_validate(params)
    request = serialize_request(spec, value, ENDPOINT)
    model = botocore.session.Session().get_service_model(service).operation_model(operation)
    names = [name.lower() for name, _ in request.headers]
    assert len(names) == len(set(names)), "a header was sent twice"
    return describe(request.method, request.url, dict(request.headers), bytes(request.body), model)


CASES: dict[str, list[tuple[str, dict[str, Any]]]] = {
    "lambda": [
        (
            "CreateFunction",
            {
                "FunctionName": "my-function",
                "Runtime": "python3.12",
                "Role": "arn:aws:iam::123456789012:role/lambda-role",
                "Handler": "app.handler",
                "Code": {"ZipFile": b"PK\x03\x04 zip bytes"},
                "Description": "d\u00e9j\u00e0 vu",
                "Timeout": 30,
                "MemorySize": 256,
                "Publish": True,
                "Environment": {"Variables": {"AB": "1", "B2": "two"}},
                "Tags": {"team": "ml"},
                "Architectures": ["arm64"],
                "VpcConfig": {"SubnetIds": ["subnet-1"], "SecurityGroupIds": ["sg-1"]},
            },
        ),
        (
            "ListFunctions",
            {"MasterRegion": "us-west-2", "FunctionVersion": "ALL", "Marker": "m", "MaxItems": 10},
        ),
        (
            "Invoke",
            {
                "FunctionName": "my-function",
                "InvocationType": "Event",
                "LogType": "Tail",
                "ClientContext": "e30=",
                "Payload": b'{"k": 1}',
                "Qualifier": "v1",
            },
        ),
        (
            "CreateEventSourceMapping",
            {
                "EventSourceArn": "arn:aws:kinesis:us-east-1:123456789012:stream/s",
                "FunctionName": "f",
                "StartingPosition": "AT_TIMESTAMP",
                "StartingPositionTimestamp": WHEN,
                "BatchSize": 100,
            },
        ),
        (
            "TagResource",
            {"Resource": "arn:aws:lambda:us-east-1:123456789012:function:f", "Tags": {"a": "b"}},
        ),
        (
            "GetFunction",
            {
                "FunctionName": "arn:aws:lambda:us-east-1:123456789012:function:f",
                "Qualifier": "$LATEST",
            },
        ),
    ],
    "apigateway": [
        (
            "GetExport",
            {
                "restApiId": "abc123",
                "stageName": "prod",
                "exportType": "oas30",
                "parameters": {"extensions": "integrations", "a b": "c&d"},
                "accepts": "application/yaml",
            },
        ),
        (
            "CreateRestApi",
            {
                "name": "api",
                "description": "d",
                "binaryMediaTypes": ["image/png"],
                "endpointConfiguration": {"types": ["REGIONAL"]},
                "tags": {"k": "v"},
            },
        ),
        (
            "PutRestApi",
            {
                "restApiId": "abc",
                "mode": "merge",
                "failOnWarnings": True,
                "parameters": {"ignore": "documentation"},
                "body": b'{"openapi": "3.0"}',
            },
        ),
        (
            "GetUsage",
            {
                "usagePlanId": "p1",
                "keyId": "k",
                "startDate": "2024-01-01",
                "endDate": "2024-01-31",
                "limit": 5,
            },
        ),
        (
            "TestInvokeMethod",
            {
                "restApiId": "a",
                "resourceId": "r",
                "httpMethod": "GET",
                "pathWithQueryString": "/x?y=1",
                "headers": {"h": "v"},
                "multiValueHeaders": {"m": ["1", "2"]},
            },
        ),
    ],
    "efs": [
        (
            "CreateFileSystem",
            {
                "CreationToken": "tok-1",
                "PerformanceMode": "generalPurpose",
                "Encrypted": True,
                "ThroughputMode": "provisioned",
                "ProvisionedThroughputInMibps": 10.5,
                "Tags": [{"Key": "Name", "Value": "fs"}],
            },
        ),
        ("DescribeFileSystems", {"MaxItems": 5, "Marker": "m", "FileSystemId": "fs-12345678"}),
        (
            "PutLifecycleConfiguration",
            {
                "FileSystemId": "fs-12345678",
                "LifecyclePolicies": [{"TransitionToIA": "AFTER_30_DAYS"}],
            },
        ),
        (
            "CreateAccessPoint",
            {
                "ClientToken": "tok",
                "FileSystemId": "fs-12345678",
                "PosixUser": {"Uid": 1000, "Gid": 1000, "SecondaryGids": [1, 2]},
                "RootDirectory": {
                    "Path": "/data",
                    "CreationInfo": {"OwnerUid": 1, "OwnerGid": 1, "Permissions": "755"},
                },
            },
        ),
    ],
    "iot": [
        (
            "ListViolationEvents",
            {
                "startTime": WHEN,
                "endTime": WHEN + dt.timedelta(days=1),
                "thingName": "t",
                "maxResults": 10,
            },
        ),
        (
            "ListAuditFindings",
            {"startTime": WHEN, "endTime": WHEN, "maxResults": 5, "listSuppressedFindings": False},
        ),
        ("GetStatistics", {"queryString": "thingName:*", "aggregationField": "registry.version"}),
    ],
    "glacier": [
        (
            "UploadArchive",
            {
                "vaultName": "v",
                "accountId": "-",
                "archiveDescription": "d",
                "checksum": "abc",
                "body": b"data",
            },
        ),
        (
            "InitiateJob",
            {
                "accountId": "-",
                "vaultName": "v",
                "jobParameters": {
                    "Type": "inventory-retrieval",
                    "Format": "JSON",
                    "InventoryRetrievalParameters": {
                        "Limit": "10",
                        "StartDate": "2024-01-01T00:00:00Z",
                    },
                },
            },
        ),
        (
            "ListJobs",
            {
                "accountId": "-",
                "vaultName": "v",
                "limit": "10",
                "statuscode": "Succeeded",
                "completed": "true",
            },
        ),
    ],
}


@pytest.mark.slow
@pytest.mark.parametrize(
    ("service", "operation", "params"),
    [(service, op, params) for service, cases in CASES.items() for op, params in cases],
    ids=[f"{service}-{op}" for service, cases in CASES.items() for op, _ in cases],
)
def test_generated_client_request_matches_botocore(
    generated: Callable[[Path, str], ModuleType],
    service: str,
    operation: str,
    params: dict[str, Any],
) -> None:
    package = generated(botocore_model_path(service), "parity_" + service.replace("-", "_"))
    model = botocore.session.Session().get_service_model(service).operation_model(operation)
    ordered = in_model_order(params, model.input_shape)
    ours = our_request(package, service, operation, params)
    assert ours == botocore_request(service, operation, ordered)


SEED_PARAMS: list[dict[str, Any]] = [
    {"EndpointName": "my-endpoint", "Body": b'{"inputs": [1, 2]}'},
    {
        "EndpointName": "a-b",
        "Body": "text body \u00e9",
        "ContentType": "application/json",
        "Accept": "application/json",
        "CustomAttributes": "c000b4f9-df62-4c85-a0bf-7c525f9104a4",
    },
]


@pytest.mark.parametrize("params", SEED_PARAMS)
def test_seed_client_request_matches_botocore(
    seedclient: ModuleType, params: dict[str, Any]
) -> None:
    ours = our_request(seedclient, "sagemaker-runtime", "InvokeEndpoint", params)
    assert ours == botocore_request("sagemaker-runtime", "InvokeEndpoint", params)


def test_seed_client_refuses_a_body_over_its_5_mb_limit(seedclient: ModuleType) -> None:
    from aiosagemaker_runtime import ParamValidationError

    with pytest.raises(ParamValidationError) as info:
        seedclient.models.InvokeEndpointInput(endpoint_name="e", body=b"x" * (5 * 1024 * 1024 + 1))
    assert (info.value.member, info.value.constraint) == ("Body", "max")
    assert SEED_MODEL.exists()

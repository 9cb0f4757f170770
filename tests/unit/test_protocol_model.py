"""A small rest-json model covering every binding, as botocore and as our spec tables.

``MODEL`` is written the way botocore ships models; :func:`build` turns it into our
``ShapeSpec``/``OperationSpec``/``ServiceSpec`` tables with hand-made ``Shape`` classes
(what the generator emits), so that each protocol test can run the same input through
botocore and through us. The tests at the bottom check the tables themselves.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

import pydantic
from botocore.model import ServiceModel

from aiosagemaker_runtime._exceptions import ServiceError
from aiosagemaker_runtime._protocol.shapes import Shape
from aiosagemaker_runtime._spec import MemberSpec, OperationSpec, ServiceSpec, ShapeSpec

ENDPOINT = "https://svc.us-east-1.amazonaws.com"


def _s(shape: str, **extra: Any) -> dict[str, Any]:
    return {"shape": shape, **extra}


MODEL: dict[str, Any] = {
    "version": "2.0",
    "metadata": {
        "apiVersion": "2020-01-01",
        "endpointPrefix": "svc",
        "protocol": "rest-json",
        "serviceId": "Test Service",
        "signatureVersion": "v4",
        "signingName": "svc",
        "uid": "svc-2020-01-01",
        "jsonVersion": "1.1",
    },
    "operations": {
        "PutObject": {
            "name": "PutObject",
            "http": {"method": "PUT", "requestUri": "/{Bucket}/{Key+}?x-id=PutObject"},
            "input": _s("PutObjectInput"),
            "output": _s("PutObjectOutput"),
            "errors": [_s("NotFound")],
        },
        "CreateThing": {
            "name": "CreateThing",
            "http": {"method": "POST", "requestUri": "/things", "responseCode": 201},
            "input": _s("CreateThingInput"),
            "output": _s("CreateThingOutput"),
            "errors": [_s("NotFound"), _s("Throttled"), _s("BadThing")],
            "idempotent": True,
        },
        "UploadStruct": {
            "name": "UploadStruct",
            "http": {"method": "POST", "requestUri": "/upload/{Id}"},
            "input": _s("UploadStructInput"),
            "output": _s("UploadStructOutput"),
        },
        "Ping": {"name": "Ping", "http": {"method": "GET", "requestUri": "/ping"}},
        "StringPayload": {
            "name": "StringPayload",
            "http": {"method": "POST", "requestUri": "/text"},
            "input": _s("StringPayloadInput"),
            "output": _s("StringPayloadOutput"),
        },
        "HostOp": {
            "name": "HostOp",
            "http": {"method": "POST", "requestUri": "/host"},
            "input": _s("HostOpInput"),
            "endpoint": {"hostPrefix": "{AccountId}.data."},
        },
        "HeadersOnly": {
            "name": "HeadersOnly",
            "http": {"method": "POST", "requestUri": "/headers-only"},
            "input": _s("HeadersOnlyInput"),
        },
        "MultipartStart": {
            "name": "MultipartStart",
            "http": {"method": "POST", "requestUri": "/{Bucket}?uploads"},
            "input": _s("MultipartStartInput"),
        },
        "GetStream": {
            "name": "GetStream",
            "http": {"method": "POST", "requestUri": "/stream"},
            "input": _s("GetStreamInput"),
            "output": _s("GetStreamOutput"),
        },
    },
    "shapes": {
        "String": {"type": "string"},
        "Integer": {"type": "integer"},
        "Long": {"type": "long"},
        "Boolean": {"type": "boolean"},
        "Float": {"type": "float"},
        "Double": {"type": "double"},
        "Blob": {"type": "blob"},
        "BodyBlob": {"type": "blob", "max": 64},
        "Timestamp": {"type": "timestamp"},
        "IsoTimestamp": {"type": "timestamp", "timestampFormat": "iso8601"},
        "Document": {"type": "structure", "members": {}, "document": True},
        "Color": {"type": "string", "enum": ["red", "green"]},
        "StringList": {"type": "list", "member": _s("String")},
        "IntegerList": {"type": "list", "member": _s("Integer")},
        "TimestampList": {"type": "list", "member": _s("Timestamp")},
        "BooleanList": {"type": "list", "member": _s("Boolean")},
        "StringMap": {"type": "map", "key": _s("String"), "value": _s("String")},
        "StringListMap": {"type": "map", "key": _s("String"), "value": _s("StringList")},
        "NestedMap": {"type": "map", "key": _s("String"), "value": _s("Nested")},
        "NestedList": {"type": "list", "member": _s("Nested")},
        "Nested": {
            "type": "structure",
            "members": {
                "Name": _s("String"),
                "Count": _s("Integer"),
                "When": _s("Timestamp"),
                "Data": _s("Blob"),
                "Child": _s("Nested"),
                "Tags": _s("StringList"),
            },
        },
        "Choice": {
            "type": "structure",
            "union": True,
            "members": {"Text": _s("String"), "Number": _s("Integer"), "Inner": _s("Nested")},
        },
        "PutObjectInput": {
            "type": "structure",
            "required": ["Bucket", "Key"],
            "payload": "Body",
            "members": {
                "Bucket": _s("String", location="uri", locationName="Bucket"),
                "Key": _s("String", location="uri", locationName="Key"),
                "Body": _s("BodyBlob"),
                "ContentType": _s("String", location="header", locationName="Content-Type"),
                "Size": _s("Long", location="header", locationName="X-Size"),
                "Flag": _s("Boolean", location="header", locationName="X-Flag"),
                "Ratio": _s("Double", location="header", locationName="X-Ratio"),
                "Expires": _s("Timestamp", location="header", locationName="X-Expires"),
                "IsoWhen": _s(
                    "Timestamp",
                    location="header",
                    locationName="X-Iso-When",
                    timestampFormat="iso8601",
                ),
                "EpochWhen": _s(
                    "Timestamp",
                    location="header",
                    locationName="X-Epoch-When",
                    timestampFormat="unixTimestamp",
                ),
                "Labels": _s("StringList", location="header", locationName="X-Labels"),
                "Numbers": _s("IntegerList", location="header", locationName="X-Numbers"),
                "Attrs": _s("String", location="header", locationName="X-Attrs", jsonvalue=True),
                "Color": _s("Color", location="header", locationName="X-Color"),
                "Meta": _s("StringMap", location="headers", locationName="x-meta-"),
                "VersionId": _s("String", location="querystring", locationName="versionId"),
                "PartNumber": _s("Integer", location="querystring", locationName="partNumber"),
                "Verbose": _s("Boolean", location="querystring", locationName="verbose"),
                "Since": _s("Timestamp", location="querystring", locationName="since"),
                "Until": _s(
                    "Timestamp",
                    location="querystring",
                    locationName="until",
                    timestampFormat="unixTimestamp",
                ),
                "Scale": _s("Float", location="querystring", locationName="scale"),
                "Ids": _s("StringList", location="querystring", locationName="id"),
                "Switches": _s("BooleanList", location="querystring", locationName="sw"),
                "Extra": _s("StringListMap", location="querystring"),
            },
        },
        "PutObjectOutput": {
            "type": "structure",
            "payload": "Body",
            "members": {
                "Body": _s("BodyBlob"),
                "ContentType": _s("String", location="header", locationName="Content-Type"),
                "Size": _s("Long", location="header", locationName="X-Size"),
                "Flag": _s("Boolean", location="header", locationName="X-Flag"),
                "Ratio": _s("Double", location="header", locationName="X-Ratio"),
                "Expires": _s("Timestamp", location="header", locationName="X-Expires"),
                "IsoWhen": _s(
                    "Timestamp",
                    location="header",
                    locationName="X-Iso-When",
                    timestampFormat="iso8601",
                ),
                "EpochWhen": _s(
                    "Timestamp",
                    location="header",
                    locationName="X-Epoch-When",
                    timestampFormat="unixTimestamp",
                ),
                "Labels": _s("StringList", location="header", locationName="X-Labels"),
                "Numbers": _s("IntegerList", location="header", locationName="X-Numbers"),
                "Attrs": _s("String", location="header", locationName="X-Attrs", jsonvalue=True),
                "Meta": _s("StringMap", location="headers", locationName="x-meta-"),
                "Status": _s("Integer", location="statusCode"),
            },
        },
        "CreateThingInput": {
            "type": "structure",
            "members": {
                "ClientToken": _s("String", idempotencyToken=True),
                "Name": _s("String", locationName="name"),
                "Count": _s("Integer"),
                "Big": _s("Long"),
                "Enabled": _s("Boolean"),
                "Ratio": _s("Float"),
                "Precise": _s("Double"),
                "Created": _s("Timestamp"),
                "IsoCreated": _s("IsoTimestamp"),
                "RfcCreated": _s("Timestamp", timestampFormat="rfc822"),
                "Data": _s("Blob"),
                "Color": _s("Color"),
                "Tags": _s("StringList"),
                "Times": _s("TimestampList"),
                "Labels": _s("StringMap"),
                "Children": _s("NestedList"),
                "ByName": _s("NestedMap"),
                "Root": _s("Nested"),
                "Doc": _s("Document"),
                "Pick": _s("Choice"),
                "Trace": _s("String", location="header", locationName="X-Trace"),
                "DryRun": _s("Boolean", location="querystring", locationName="dryRun"),
            },
        },
        "CreateThingOutput": {
            "type": "structure",
            "members": {
                "Id": _s("String"),
                "Name": _s("String", locationName="name"),
                "Count": _s("Integer"),
                "Big": _s("Long"),
                "Enabled": _s("Boolean"),
                "Ratio": _s("Float"),
                "Precise": _s("Double"),
                "Created": _s("Timestamp"),
                "IsoCreated": _s("IsoTimestamp"),
                "RfcCreated": _s("Timestamp", timestampFormat="rfc822"),
                "Data": _s("Blob"),
                "Color": _s("Color"),
                "Tags": _s("StringList"),
                "Times": _s("TimestampList"),
                "Labels": _s("StringMap"),
                "Children": _s("NestedList"),
                "ByName": _s("NestedMap"),
                "Root": _s("Nested"),
                "Doc": _s("Document"),
                "Pick": _s("Choice"),
                "RequestTrace": _s("String", location="header", locationName="X-Trace"),
                "Status": _s("Integer", location="statusCode"),
            },
        },
        "UploadStructInput": {
            "type": "structure",
            "required": ["Id"],
            "payload": "Config",
            "members": {
                "Id": _s("String", location="uri", locationName="Id"),
                "Config": _s("Nested"),
                "Mode": _s("String", location="header", locationName="X-Mode"),
            },
        },
        "UploadStructOutput": {
            "type": "structure",
            "payload": "Config",
            "members": {
                "Config": _s("Nested"),
                "Mode": _s("String", location="header", locationName="X-Mode"),
            },
        },
        "StringPayloadInput": {
            "type": "structure",
            "payload": "Text",
            "members": {"Text": _s("String")},
        },
        "StringPayloadOutput": {
            "type": "structure",
            "payload": "Text",
            "members": {"Text": _s("String")},
        },
        "HostOpInput": {
            "type": "structure",
            "required": ["AccountId"],
            "members": {
                "AccountId": _s(
                    "String", hostLabel=True, location="header", locationName="x-account"
                ),
                "Note": _s("String"),
            },
        },
        "HeadersOnlyInput": {
            "type": "structure",
            "members": {
                "Trace": _s("String", location="header", locationName="X-Trace"),
                "Page": _s("Integer", location="querystring", locationName="page"),
            },
        },
        "MultipartStartInput": {
            "type": "structure",
            "required": ["Bucket"],
            "members": {
                "Bucket": _s("String", location="uri", locationName="Bucket"),
                "Prefix": _s("String", location="querystring", locationName="prefix"),
            },
        },
        "GetStreamInput": {
            "type": "structure",
            "payload": "Body",
            "members": {
                "Body": _s("Blob"),
                "Accept": _s("String", location="header", locationName="X-Accept"),
            },
        },
        "GetStreamOutput": {
            "type": "structure",
            "payload": "Events",
            "members": {
                "Events": _s("EventStream"),
                "ContentType": _s("String", location="header", locationName="X-Content-Type"),
            },
        },
        "EventStream": {
            "type": "structure",
            "eventstream": True,
            "members": {"Chunk": _s("Chunk"), "StreamFailure": _s("StreamFailure")},
        },
        "Chunk": {
            "type": "structure",
            "event": True,
            "members": {"Bytes": _s("Blob", eventpayload=True)},
        },
        "StreamFailure": {
            "type": "structure",
            "exception": True,
            "members": {"Message": _s("String"), "ErrorCode": _s("String")},
        },
        "NotFound": {
            "type": "structure",
            "exception": True,
            "error": {"httpStatusCode": 404},
            "members": {"Message": _s("String"), "Resource": _s("String")},
        },
        "Throttled": {
            "type": "structure",
            "exception": True,
            "error": {"code": "ThrottlingException", "httpStatusCode": 429, "senderFault": True},
            "members": {
                "message": _s("String"),
                "RetryAfter": _s("Integer", location="header", locationName="Retry-After"),
                "Quota": _s("Integer"),
            },
        },
        "BadThing": {
            "type": "structure",
            "exception": True,
            "fault": True,
            "error": {"httpStatusCode": 500},
            "members": {
                "Message": _s("String"),
                "OriginalStatusCode": _s("Integer"),
                "OriginalMessage": _s("String"),
                "When": _s("Timestamp"),
                "Details": _s("StringMap"),
            },
        },
    },
}


def snake(name: str) -> str:
    """The attribute for a member name (a trailing ``_`` when it would shadow BaseModel's)."""
    attr = _snake(name)
    if hasattr(Shape, attr) or attr.startswith("model_") or attr in ("register",):
        attr += "_"
    return attr


def _snake(name: str) -> str:
    out = ""
    for index, char in enumerate(name):
        if (
            char.isupper()
            and index
            and (
                not name[index - 1].isupper()
                or (index + 1 < len(name) and name[index + 1].islower())
            )
        ):
            out += "_"
        out += char.lower()
    return out


@dataclass
class Tables:
    shapes: dict[str, ShapeSpec]
    operations: dict[str, OperationSpec]
    service: ServiceSpec
    classes: dict[str, type[Any]]


def _shape_type(shape: dict[str, Any]) -> str:
    if shape.get("document"):
        return "document"
    if shape.get("union"):
        return "union"
    return str(shape["type"])


def build(model: dict[str, Any] | None = None) -> Tables:
    """Our tables and classes for a botocore-style model dict (what codegen would emit)."""
    model = model if model is not None else MODEL
    classes: dict[str, type[Any]] = {}
    errors: dict[str, type[Any]] = {}
    for name, shape in model["shapes"].items():
        if shape["type"] != "structure" or shape.get("document"):
            continue
        attrs = {member: snake(member) for member in shape["members"]}
        if shape.get("exception"):
            code = shape.get("error", {}).get("code", name)
            cls: type[Any] = type(
                name,
                (ServiceError,),
                {
                    "error_code_default": code,
                    "status_code_default": shape.get("error", {}).get("httpStatusCode", 0),
                    "fault": bool(shape.get("fault")),
                    "members": tuple(a for a in attrs.values() if a != "message"),
                },
            )
            errors[code] = cls
        else:
            fields: dict[str, Any] = {
                attr: (Any, pydantic.Field(default=None, alias=member))
                for member, attr in attrs.items()
            }
            cls = pydantic.create_model(name, __base__=Shape, **fields)
        classes[name] = cls
    shapes: dict[str, ShapeSpec] = {}
    for name, shape in model["shapes"].items():
        members = []
        for member, ref in shape.get("members", {}).items():
            target = model["shapes"][ref["shape"]]
            members.append(
                MemberSpec(
                    name=member,
                    attr=snake(member),
                    target=ref["shape"],
                    location=ref.get("location", ""),
                    wire_name=ref.get(
                        "locationName", "" if ref.get("location") == "headers" else member
                    ),
                    timestamp_format=ref.get("timestampFormat", target.get("timestampFormat", "")),
                    json_value=bool(ref.get("jsonvalue")),
                    idempotency_token=bool(ref.get("idempotencyToken")),
                    host_label=bool(ref.get("hostLabel")),
                    event_header=bool(ref.get("eventheader")),
                    event_payload=bool(ref.get("eventpayload")),
                    required=member in shape.get("required", ()),
                )
            )
        payload = shape.get("payload", "")
        shapes[name] = ShapeSpec(
            name=name,
            type=_shape_type(shape),  # type: ignore[arg-type]
            members=tuple(members),
            member=shape.get("member", {}).get("shape", ""),
            key=shape.get("key", {}).get("shape", ""),
            value=shape.get("value", {}).get("shape", ""),
            payload=snake(payload) if payload else "",
            timestamp_format=shape.get("timestampFormat", ""),
            streaming=bool(shape.get("streaming")),
            event_stream=bool(shape.get("eventstream")),
            event=bool(shape.get("event")),
            exception=bool(shape.get("exception")),
            fault=bool(shape.get("fault")),
            status_code=shape.get("error", {}).get("httpStatusCode", 0),
            error_code=shape.get("error", {}).get("code", name) if shape.get("exception") else "",
            class_ref=classes.get(name),
        )
    operations: dict[str, OperationSpec] = {}
    for name, op in model["operations"].items():
        output = op.get("output", {}).get("shape", "")
        stream_attr = ""
        if output:
            out_shape = model["shapes"][output]
            payload = out_shape.get("payload")
            if payload and model["shapes"][out_shape["members"][payload]["shape"]].get(
                "eventstream"
            ):
                stream_attr = snake(payload)
        operations[name] = OperationSpec(
            name=name,
            method=op["http"]["method"],
            uri=op["http"]["requestUri"],
            input=op.get("input", {}).get("shape", ""),
            output=output,
            shapes=shapes,
            errors=tuple(e["shape"] for e in op.get("errors", ())),
            success_code=op["http"].get("responseCode", 200),
            host_prefix=op.get("endpoint", {}).get("hostPrefix", ""),
            event_stream_output=stream_attr,
        )
    meta = model["metadata"]
    service = ServiceSpec(
        service_id=meta["serviceId"],
        endpoint_prefix=meta["endpointPrefix"],
        signing_name=meta.get("signingName", meta["endpointPrefix"]),
        api_version=meta["apiVersion"],
        protocol=meta["protocol"],
        shapes=shapes,
        errors=errors,
    )
    return Tables(shapes, operations, service, classes)


def botocore_model(model: dict[str, Any] | None = None) -> ServiceModel:
    return ServiceModel(copy.deepcopy(model if model is not None else MODEL), service_name="svc")


def make_input(tables: Tables, shape_name: str, params: Any) -> Any:
    """A model instance (as a validated generated model would hold it) for botocore params."""
    spec = tables.shapes[shape_name]
    if params is None:
        return None
    if spec.type in ("structure", "union") and not spec.exception:
        values = {}
        for member in spec.members:
            if member.name in params:
                values[member.attr] = make_input(tables, member.target, params[member.name])
        cls = spec.cls
        assert cls is not None
        return cls.model_construct(**values)
    if spec.type == "list":
        return [make_input(tables, spec.member, item) for item in params]
    if spec.type == "map":
        return {key: make_input(tables, spec.value, value) for key, value in params.items()}
    return params


TABLES = build()


def test_tables_cover_every_binding() -> None:
    locations = {m.location for s in TABLES.shapes.values() for m in s.members}
    assert locations == {"", "uri", "querystring", "header", "headers", "statusCode"}
    types = {s.type for s in TABLES.shapes.values()}
    assert {"structure", "union", "document", "list", "map", "blob", "timestamp"} <= types
    assert TABLES.operations["GetStream"].event_stream_output == "events"


def test_make_input_builds_nested_models() -> None:
    value = make_input(
        TABLES, "CreateThingInput", {"Root": {"Child": {"Name": "x"}}, "Tags": ["a"]}
    )
    assert value.root.child.name == "x"
    assert value.tags == ["a"]
    assert value.model_dump(by_alias=True, exclude_unset=True) == {
        "Root": {"Child": {"Name": "x"}},
        "Tags": ["a"],
    }


#: Operations of MODEL that have an output.
BOTO_MODEL_OPS = frozenset(name for name, op in MODEL["operations"].items() if "output" in op)

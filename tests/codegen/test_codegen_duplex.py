"""Input event streams (duplex operations), the HTTP/2 setting, shared error classes, and
the models that use them: the fixture, the SageMaker HTTP2 model, botocore's bedrock-runtime.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from codegen_support import ROOT, botocore_model_path
from test_codegen_golden import assert_same_tree
from test_codegen_problems import model, problems_of

from codegen import ir
from codegen.build import build
from codegen.render import generate
from codegen.reuse import Reusable, apply_reuse, load_reusable
from codegen.spec import parse_model

HTTP2_MODEL = ROOT / "service-model" / "sagemaker-runtime-http2-2025-10-01.json"
FIRST_ERRORS = "aiosagemaker_runtime._generated.errors"


# -- the fixture's duplex operation ------------------------------------------------------


def test_the_input_stream_is_not_an_argument_and_the_output_is_a_duplex_stream(
    widgets: ModuleType,
) -> None:
    from widgets.operations import CHAT_WITH_WIDGET, PUT_WIDGET, SHAPES

    from aiosagemaker_runtime._protocol.duplex import DuplexStreamOutput

    assert CHAT_WITH_WIDGET.event_stream_input == "messages"
    assert CHAT_WITH_WIDGET.event_stream_output == "replies"
    assert CHAT_WITH_WIDGET.http2 == PUT_WIDGET.http2 == "eventstream"
    request = widgets.models.ChatWithWidgetRequest
    assert set(request.model_fields) == {"widget_id", "mood"}
    # The keyword-argument TypedDicts exist for type checkers only: read the source.
    client = ast.parse(Path(widgets.client.__file__).read_text(encoding="utf-8"))
    params = next(
        n
        for n in ast.walk(client)
        if isinstance(n, ast.ClassDef) and n.name == "ChatWithWidgetParams"
    )
    fields = {n.target.id for n in params.body if isinstance(n, ast.AnnAssign)}  # type: ignore[union-attr]
    assert fields == {"widget_id", "mood"}
    stream_member = next(m for m in SHAPES["ChatWithWidgetRequest"].members if m.attr == "messages")
    assert stream_member.target == "ChatInputStream" and not stream_member.required
    response = widgets.models.ChatWithWidgetResponse
    assert issubclass(response, DuplexStreamOutput)
    assert response._event_stream_attr_ == "replies"
    say = SHAPES["SayEvent"]
    assert say.event and [m.attr for m in say.members if m.event_header] == [
        "kind",
        "final",
        "seq",
        "sent_at",
    ]


def test_the_duplex_method_hands_the_operation_to_invoke_duplex(widgets: ModuleType) -> None:
    import inspect

    source = inspect.getsource(widgets.WidgetStoreClient.chat_with_widget)
    assert "self._invoke_duplex(CHAT_WITH_WIDGET, input, params)" in source
    assert "_invoke_duplex" not in inspect.getsource(widgets.WidgetStoreClient.put_widget)


# -- what cannot be generated --------------------------------------------------------------


def duplex_model(**changes: Any) -> dict[str, Any]:
    shapes: dict[str, Any] = {
        "OpInput": {
            "type": "structure",
            "members": {"Events": {"shape": "InStream"}},
            "payload": "Events",
        },
        "OpOutput": {
            "type": "structure",
            "members": {"Events": {"shape": "OutStream"}},
            "payload": "Events",
        },
        "InStream": {"type": "structure", "members": {"E": {"shape": "Ev"}}, "eventstream": True},
        "OutStream": {"type": "structure", "members": {"E": {"shape": "Ev"}}, "eventstream": True},
        "Ev": {
            "type": "structure",
            "members": {"Data": {"shape": "Blob", "eventpayload": True}},
            "event": True,
        },
        "Blob": {"type": "blob"},
    }
    for name, shape in changes.items():
        shapes[name] = shape
    return model(shapes, output={"shape": "OpOutput"})


def test_a_duplex_model_builds() -> None:
    build(parse_model(json.dumps(duplex_model())), has_endpoint_rules=False)


def test_errors_in_the_input_and_events_that_cannot_be_encoded() -> None:
    data = duplex_model(
        InStream={
            "type": "structure",
            "members": {"E": {"shape": "Ev"}, "Oops": {"shape": "Oops"}, "Two": {"shape": "Two"}},
            "eventstream": True,
        },
        Oops={"type": "structure", "members": {}, "exception": True},
        Two={
            "type": "structure",
            "members": {
                "A": {"shape": "Blob", "eventpayload": True},
                "B": {"shape": "Blob", "eventpayload": True},
                "C": {"shape": "Ev", "eventheader": True},
            },
            "event": True,
        },
    )
    found = problems_of(data)
    assert "InStream.Oops: an input event must be a structure" in found
    assert "Two.B: an event has one payload member" in found
    assert "Two.C: an event header of type 'structure'" in found


def test_http2_required_needs_an_input_stream_and_settings_are_known() -> None:
    data = model(
        {"OpInput": {"type": "structure", "members": {}}},
    )
    data["metadata"]["protocolSettings"] = {"h2": "required"}
    assert problems_of(data) == ["Op: HTTP/2 is required but there is no input event stream"]
    data["metadata"]["protocolSettings"] = {"h2": "sometimes"}
    assert problems_of(data) == ["metadata.protocolSettings: unknown h2 setting 'sometimes'"]


# -- error classes shared with another package -------------------------------------------


def error(name: str, *attrs: str, code: str = "", status: int = 0) -> ir.ErrorClass:
    return ir.ErrorClass(
        name=name,
        doc="",
        code=code or name,
        status_code=status,
        fault=False,
        attrs=tuple(ir.ErrorAttr(a, "str | None") for a in attrs),
    )


def test_reuse_is_decided_by_name_code_status_fault_and_attributes() -> None:
    other = {
        "Same": Reusable("m", "Same", "Same", 0, False, (("a", "str | None"),)),
        "More": Reusable("m", "More", "More", 424, False, (("a", "str | None"),)),
        "Status": Reusable("m", "Status", "Status", 500, False, ()),
        "Typed": Reusable("m", "Typed", "Typed", 0, False, (("a", "int | None"),)),
    }
    same, more, status, typed, alone = apply_reuse(
        (
            error("Same", "a"),
            error("More", "a", "b", status=424),
            error("Status", status=503),
            error("Typed", "a"),
            error("Alone"),
        ),
        other,
    )
    assert (same.reuse_module, same.extends) == ("m", False)
    assert (more.reuse_module, more.extends, more.inherited) == ("m", True, ("a",))
    assert status.reuse_module == typed.reuse_module == alone.reuse_module == ""


def test_load_reusable_reads_a_generated_errors_module() -> None:
    found = load_reusable(FIRST_ERRORS)
    assert found["ModelError"] == Reusable(
        FIRST_ERRORS,
        "ModelError",
        "ModelError",
        424,
        False,
        (
            ("original_status_code", "int | None"),
            ("original_message", "str | None"),
            ("log_stream_arn", "str | None"),
        ),
    )
    assert found["InternalStreamFailure"].fault


def test_the_http2_errors_are_shared_with_the_first_model() -> None:
    from aiosagemaker_runtime import errors
    from aiosagemaker_runtime._generated import errors as first
    from aiosagemaker_runtime._generated_http2 import errors as second

    assert second.ModelStreamError is first.ModelStreamError is errors.ModelStreamError
    assert second.InternalStreamFailure is first.InternalStreamFailure
    assert (
        issubclass(second.ModelError, first.ModelError)
        and second.ModelError is not first.ModelError
    )
    assert second.ModelError.members == (
        "original_status_code",
        "original_message",
        "log_stream_arn",
        "error_code",
    )
    assert second.ModelError.status_code_default == 424
    assert not issubclass(second.InternalServerError, first.InternalFailure)
    for name in ("InputValidationError", "InternalServerError", "ServiceUnavailableError"):
        assert getattr(errors, name) is getattr(second, name)


def test_committed_http2_layer_is_fresh(tmp_path: Path) -> None:
    """What ``make check-generated`` checks for the second model."""
    written = generate(HTTP2_MODEL, tmp_path / "_generated_http2", reuse_errors=FIRST_ERRORS)
    assert_same_tree(written, ROOT / "src" / "aiosagemaker_runtime" / "_generated_http2")


def test_http2_client_is_named_from_the_service_id() -> None:
    from aiosagemaker_runtime._generated_http2 import SageMakerRuntimeHTTP2Client
    from aiosagemaker_runtime._generated_http2.operations import (
        INVOKE_ENDPOINT_WITH_BIDIRECTIONAL_STREAM as OP,
    )

    assert OP.http2 == "required" and OP.event_stream_input == "body"
    assert callable(SageMakerRuntimeHTTP2Client.invoke_endpoint_with_bidirectional_stream)


# -- botocore's bedrock-runtime --------------------------------------------------------------


BEDROCK_OPERATIONS = [
    "apply_guardrail",
    "converse",
    "converse_stream",
    "count_tokens",
    "get_async_invoke",
    "invoke_guardrail_checks",
    "invoke_model",
    "invoke_model_with_bidirectional_stream",
    "invoke_model_with_response_stream",
    "list_async_invokes",
    "start_async_invoke",
]


def test_bedrock_runtime_generates_every_operation_from_the_command_line(tmp_path: Path) -> None:
    model_path = botocore_model_path("bedrock-runtime")
    command = [sys.executable, "-m", "codegen", "--model", str(model_path), "--out", str(tmp_path)]
    result = subprocess.run(
        [*command, "--package", "bedrockrt"], cwd=ROOT, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    probe = (
        "import bedrockrt as p, inspect\n"
        "from aiosagemaker_runtime._protocol.duplex import DuplexStreamOutput\n"
        "from bedrockrt.operations import INVOKE_MODEL_WITH_BIDIRECTIONAL_STREAM as op\n"
        "names = [n for n, f in inspect.getmembers(p.BedrockRuntimeClient, "
        "inspect.iscoroutinefunction) if not n.startswith('_') and n != 'aclose']\n"
        "print(' '.join(names))\n"
        "print(issubclass(p.models.InvokeModelWithBidirectionalStreamResponse, "
        "DuplexStreamOutput), op.event_stream_input, op.http2)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], cwd=tmp_path, capture_output=True, text=True, check=True
    )
    names, duplex = out.stdout.splitlines()
    assert names.split() == BEDROCK_OPERATIONS
    assert duplex == "True body optional"


def test_bedrock_input_events_encode_as_json(
    generated: Callable[[Path, str], ModuleType],
) -> None:
    from aiosagemaker_runtime._protocol.event_input import input_events
    from aiosagemaker_runtime._protocol.eventstream import EventStreamDecoder

    package = generated(botocore_model_path("bedrock-runtime"), "bedrock_events")
    shapes = package.operations.SHAPES
    events = input_events(shapes, "InvokeModelWithBidirectionalStreamInput")
    (message,) = EventStreamDecoder().feed(events.encode(b'{"event": 1}'))
    assert message.headers == {
        ":message-type": "event",
        ":event-type": "chunk",
        ":content-type": "application/json",
    }
    assert json.loads(message.payload) == {"bytes": "eyJldmVudCI6IDF9"}


@pytest.mark.parametrize("setting", ["", "eventstream"])
def test_operations_carry_the_service_http2_setting(setting: str) -> None:
    data = duplex_model()
    if setting:
        data["metadata"]["protocolSettings"] = {"h2": setting}
    pkg = build(parse_model(json.dumps(data)), has_endpoint_rules=False)
    (const,) = pkg.operations
    args = dict(const.call.args)
    assert args.get("http2") == (f'"{setting}"' if setting else None)
    assert args["event_stream_input"] == '"events"'

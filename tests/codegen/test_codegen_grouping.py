"""``codegen.grouping.group_modules``: which module each model class is generated into.

A class that exactly one operation reaches (through its input or output, however
deeply) goes to ``models_<operation snake_case>``; classes several operations share,
those an error shape reaches, and error classes stay in ``models.py`` (absent from the
result). When two operations' module names clash, neither gets a module. A reference
cycle within one operation's module is generated there and still validates.
"""

from __future__ import annotations

import importlib
import json
import typing
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from codegen_support import WIDGETS_MODEL

from aiosagemaker_runtime import ParamValidationError
from codegen.classify import classify, reachable
from codegen.grouping import group_modules
from codegen.spec import parse_model


def _text() -> dict[str, Any]:
    return {"shape": "Text"}


def small_model(**operations: dict[str, Any]) -> dict[str, Any]:
    """Alpha reaches Detail -> Deeper alone, shares Common with Beta, and reaches
    ErrorInfo, which its error Oops reaches too; Tree alone reaches a cycle (Node)."""
    ops: dict[str, Any] = {
        "Alpha": {"input": {"shape": "AlphaInput"}, "output": {"shape": "AlphaOutput"}},
        "Beta": {"input": {"shape": "BetaInput"}},
        "Tree": {"output": {"shape": "TreeOutput"}},
        **operations,
    }
    for name, op in ops.items():
        op.update(name=name, http={"method": "POST", "requestUri": f"/{name.lower()}"})
    ops["Alpha"]["errors"] = [{"shape": "Oops"}]

    def struct(**members: str) -> dict[str, Any]:
        return {"type": "structure", "members": {k: {"shape": v} for k, v in members.items()}}

    shapes = {
        "AlphaInput": struct(Detail="Detail", Common="Common"),
        "Detail": struct(Deeper="Deeper"),
        "Deeper": struct(Text="Text"),
        "AlphaOutput": struct(Info="ErrorInfo"),
        "ErrorInfo": struct(Text="Text"),
        "Oops": {
            **struct(Message="Text", Info="ErrorInfo"),
            "exception": True,
            "error": {"code": "Oops", "httpStatusCode": 400, "senderFault": True},
        },
        "BetaInput": struct(Common="Common"),
        "Common": struct(Text="Text"),
        "TreeOutput": struct(Root="Node"),
        "Node": {**struct(Children="NodeList"), "required": ["Name"]},
        "NodeList": {"type": "list", "member": {"shape": "Node"}},
        "Text": {"type": "string"},
    }
    shapes["Node"]["members"]["Name"] = _text()
    meta = {
        "apiVersion": "2020-01-01",
        "endpointPrefix": "grouping",
        "protocol": "rest-json",
        "serviceFullName": "Grouping Test",
        "serviceId": "Grouping Test",
        "signatureVersion": "v4",
        "signingName": "grouping",
    }
    return {"metadata": meta, "operations": ops, "shapes": shapes}


def grouped(data: dict[str, Any]) -> dict[str, str]:
    model = parse_model(json.dumps(data))
    return group_modules(model, classify(model, reachable(model)))


def test_one_operation_classes_go_to_its_module_and_the_others_stay() -> None:
    assert grouped(small_model()) == {
        "AlphaInput": "models_alpha",
        "AlphaOutput": "models_alpha",
        "Detail": "models_alpha",
        "Deeper": "models_alpha",  # reached through Detail only
        "BetaInput": "models_beta",
        "TreeOutput": "models_tree",
        "Node": "models_tree",
        # absent: Common (Alpha and Beta), ErrorInfo (Oops reaches it), Oops (an error)
    }


def test_a_class_an_error_reaches_stays_even_when_no_operation_uses_it() -> None:
    data = small_model()
    data["shapes"]["AlphaOutput"]["members"] = {"Text": _text()}  # only Oops reaches ErrorInfo
    found = grouped(data)
    assert "ErrorInfo" not in found
    assert "Oops" not in found
    assert found["AlphaOutput"] == "models_alpha"


def test_clashing_module_names_give_neither_operation_a_module() -> None:
    # GetThing and Get_Thing are both get_thing in snake_case.
    data = small_model(
        GetThing={"input": {"shape": "GetThingInput"}},
        Get_Thing={"input": {"shape": "GetThing2Input"}},
    )
    data["shapes"]["GetThingInput"] = {"type": "structure", "members": {"A": _text()}}
    data["shapes"]["GetThing2Input"] = {"type": "structure", "members": {"B": _text()}}
    found = grouped(data)
    assert "GetThingInput" not in found
    assert "GetThing2Input" not in found
    assert "models_get_thing" not in found.values()
    assert found["BetaInput"] == "models_beta"  # the others are grouped as before


def test_the_widgets_fixture() -> None:
    found = grouped(json.loads(WIDGETS_MODEL.read_text(encoding="utf-8"), strict=False))
    for shared in ("Widget", "Person", "Part", "AttributeValue", "WidgetUpdate"):
        assert shared not in found, shared
    for error in ("WidgetNotFound", "InternalError", "ThrottledException"):
        assert error not in found, error
    assert found["PutWidgetRequest"] == found["PutWidgetResponse"] == "models_put_widget"
    assert found["NoteEvent"] == "models_stream_widget_events"  # an event, nested deeply
    assert found["PingResponse"] == "models_ping"
    assert all(module.startswith("models_") for module in found.values())


@pytest.fixture(scope="module")
def grouping_pkg(
    generated: Callable[[Path, str], ModuleType], tmp_path_factory: pytest.TempPathFactory
) -> ModuleType:
    path = tmp_path_factory.mktemp("grouping-model") / "grouping-2020-01-01.json"
    path.write_text(json.dumps(small_model()), encoding="utf-8")
    return generated(path, "grouping_pkg")


def test_generated_modules_follow_the_grouping(grouping_pkg: ModuleType) -> None:
    files = sorted(p.name for p in Path(grouping_pkg.__file__).parent.glob("models_*.py"))
    assert files == ["models_alpha.py", "models_beta.py", "models_tree.py"]
    models = grouping_pkg.models
    assert models.Common.__module__ == models.ErrorInfo.__module__ == "grouping_pkg.models"
    assert models.Deeper.__module__ == "grouping_pkg.models_alpha"
    errors = importlib.import_module("grouping_pkg.errors")
    # errors.py names ErrorInfo, which models.py itself defines.
    assert typing.get_type_hints(errors.Oops)["info"] == models.ErrorInfo | None


def test_a_cycle_within_one_operation_module_validates(grouping_pkg: ModuleType) -> None:
    node = grouping_pkg.models.Node
    assert node.__module__ == "grouping_pkg.models_tree"
    assert node.__pydantic_complete__  # rebuilt in its module, before any validation
    out = grouping_pkg.models.TreeOutput.model_validate(
        {"Root": {"Name": "a", "Children": [{"Name": "b", "Children": [{"Name": "c"}]}]}}
    )
    assert isinstance(out.root.children[0].children[0], node)
    with pytest.raises(ParamValidationError) as info:
        node.model_validate({"Name": "a", "Children": [{"Children": []}]})
    assert info.value.member == "Children[0].Name"

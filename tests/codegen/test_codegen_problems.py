"""Features the generator cannot generate are reported with their shape and member."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from codegen_support import ROOT

from codegen.build import BuildError, build
from codegen.spec import parse_model


def model(shapes: dict[str, Any], **op: Any) -> dict[str, Any]:
    operation = {
        "name": "Op",
        "http": {"method": "POST", "requestUri": "/op"},
        "input": {"shape": "OpInput"},
        **op,
    }
    return {
        "metadata": {"protocol": "rest-json", "serviceId": "Problem", "apiVersion": "2020-01-01"},
        "operations": {"Op": operation},
        "shapes": shapes,
    }


PROBLEMS = model(
    {
        "OpInput": {
            "type": "structure",
            "members": {
                "Stream": {"shape": "InStream"},
                "Greek": {"shape": "GreekText"},
                "FooBar": {"shape": "Text"},
                "Foo_Bar": {"shape": "Text"},
                "Ghost": {"shape": "Missing"},
                "Where": {"shape": "Text", "location": "cookie"},
                "Fancy": {"shape": "Text", "xmlAttribute": True},
            },
            "payload": "Stream",
        },
        "InStream": {"type": "structure", "members": {"E": {"shape": "Ev"}}, "eventstream": True},
        "Ev": {
            "type": "structure",
            "members": {"Text": {"shape": "Text"}, "Tags": {"shape": "Tags", "eventheader": True}},
            "event": True,
        },
        "Tags": {"type": "list", "member": {"shape": "Text"}},
        "GreekText": {"type": "string", "pattern": "\\p{InGreek}+"},
        "Text": {"type": "string"},
    },
    endpoint={"hostPrefix": "x.", "discovery": True},
)


def problems_of(data: dict[str, Any]) -> list[str]:
    with pytest.raises(BuildError) as info:
        build(parse_model(json.dumps(data)), has_endpoint_rules=False)
    return [str(p) for p in info.value.problems]


def test_every_problem_is_reported_with_shape_and_member() -> None:
    found = problems_of(PROBLEMS)
    expected = [
        "Op: an input event stream needs an output event stream",
        "Ev.Tags: an event header of type 'list'",
        "GreekText: pattern cannot be translated",
        "OpInput.Foo_Bar: its Python name 'foo_bar' is taken by FooBar",
        "OpInput.Ghost: refers to the unknown shape 'Missing'",
        "OpInput.Where: unsupported location 'cookie'",
        "OpInput.Fancy: unsupported member trait 'xmlAttribute'",
        "Op: unsupported operation trait 'endpoint.discovery'",
    ]
    for text in expected:
        assert any(p.startswith(text) for p in found), (text, found)


def test_other_protocols_are_refused() -> None:
    data = model({"OpInput": {"type": "structure", "members": {}}})
    data["metadata"]["protocol"] = "rest-xml"
    data["metadata"]["protocols"] = ["rest-xml"]
    assert problems_of(data) == ["metadata.protocol: protocol 'rest-xml' is not rest-json"]


def test_unknown_shape_traits_and_types() -> None:
    data = model(
        {
            "OpInput": {"type": "structure", "members": {"A": {"shape": "A"}}, "xmlNamespace": {}},
            "A": {"type": "set", "member": {"shape": "OpInput"}},
        }
    )
    found = problems_of(data)
    assert "OpInput: unsupported shape trait 'xmlNamespace'" in found
    assert "A: unsupported shape type 'set'" in found


def test_cli_lists_the_problems_and_writes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "problem-2020-01-01.json"
    path.write_text(json.dumps(PROBLEMS), encoding="utf-8")
    out = tmp_path / "out"
    result = subprocess.run(
        [sys.executable, "-m", "codegen", "--model", str(path), "--out", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1
    assert "Ev.Tags: an event header of type 'list'" in result.stderr
    assert "problem(s)" in result.stderr
    assert not out.exists()

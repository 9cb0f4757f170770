"""Generated annotations are evaluated as written; only forward references are strings."""

from __future__ import annotations

import typing

import pytest

from codegen.render import forward_annotation


@pytest.mark.parametrize(
    ("annotation", "pending", "expected"),
    [
        ("list[Part] | None", set(), "list[Part] | None"),
        ("list[Part] | None", {"Widget"}, "list[Part] | None"),
        ("Person | None", {"Person"}, '"Person | None"'),
        ("dict[str, list[Person]]", {"Person"}, '"dict[str, list[Person]]"'),
        # A word inside a string literal is not a reference.
        ('Literal["Person", "Other"] | None', {"Person"}, 'Literal["Person", "Other"] | None'),
        # A reference beside a string literal: quoted with the other quote character.
        ('Literal["a"] | list[Person]', {"Person"}, "'Literal[\"a\"] | list[Person]'"),
        # Names that merely contain a pending name are other names.
        ("PersonList | None", {"Person"}, "PersonList | None"),
    ],
)
def test_forward_annotation(annotation: str, pending: set[str], expected: str) -> None:
    assert forward_annotation(annotation, pending) == expected


def test_quoted_annotations_evaluate_to_the_written_type() -> None:
    namespace = {"Person": type("Person", (), {}), "Literal": typing.Literal}
    for annotation in ('Literal["a"] | list[Person]', "dict[str, list[Person]] | None"):
        quoted = forward_annotation(annotation, {"Person"})
        assert eval(eval(quoted), namespace) == eval(annotation, namespace)

"""Character sets of the Java-regex translator as values, and their Python ``re`` text.

Java nests, negates (``[^..]``, ``\\P{..}``) and intersects (``&&``) character classes;
Python's ``[...]`` does none of that. The parser builds a tree of :data:`Node` values
and :func:`render` writes it as a union of class fragments and one-character
expressions, using lookaheads for negation and intersection. Each leaf carries two
texts, a superset and a subset, so that an approximated property can be rendered by
polarity (see :mod:`codegen.javaregex_properties`).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "And",
    "Leaf",
    "Neg",
    "Node",
    "Or",
    "SetText",
    "approx",
    "exact",
    "literal",
    "render",
    "single",
]


@dataclass(frozen=True)
class SetText:
    """A set as Python text: a union of ``frags`` (text usable inside ``[...]``) and
    ``alts`` (expressions matching exactly one character)."""

    frags: str
    alts: tuple[str, ...] = ()


@dataclass(frozen=True)
class Leaf:
    """A set with its text where accepted (``sup``) and where refused (``sub``)."""

    sup: SetText
    sub: SetText


@dataclass(frozen=True)
class Neg:
    """``[^..]`` or ``\\P{..}``: every character not in ``child``."""

    child: Node


@dataclass(frozen=True)
class Or:
    """The items of one class, ``[ab\\d]``."""

    items: tuple[Node, ...]


@dataclass(frozen=True)
class And:
    """An intersection, ``[a-z&&[^aeiou]]``."""

    left: Node
    right: Node


Node = Leaf | Neg | Or | And


def exact(frags: str, alts: tuple[str, ...] = ()) -> Leaf:
    """A set whose Python text is exact under either polarity."""
    text = SetText(frags, alts)
    return Leaf(text, text)


def approx(sup: SetText, sub: SetText) -> Leaf:
    """An approximated set: ``sup`` where it is accepted, ``sub`` where it is refused."""
    return Leaf(sup, sub)


_META_OUTSIDE = set(".^$*+?{}[]\\|()")
_META_INSIDE = set("\\]^-[&~|")


def _char_escape(ch: str) -> str:
    code = ord(ch)
    if code < 0x100:
        return f"\\x{code:02x}"
    if code < 0x10000:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def literal(ch: str, inside: bool) -> str:
    """Python regex text for one literal character (printable ASCII; quotes escaped)."""
    if ch in "\"'" or not (" " <= ch <= "~"):
        return _char_escape(ch)
    if ch in (_META_INSIDE if inside else _META_OUTSIDE):
        return "\\" + ch
    return ch


def render(node: Node, positive: bool) -> SetText:
    """The Python text of ``node``; ``positive`` is False under an odd number of negations."""
    if isinstance(node, Leaf):
        return node.sup if positive else node.sub
    if isinstance(node, Or):
        parts = [render(item, positive) for item in node.items]
        alts: list[str] = []
        for part in parts:
            alts.extend(a for a in part.alts if a not in alts)
        return SetText("".join(p.frags for p in parts), tuple(alts))
    if isinstance(node, Neg):
        inner = render(node.child, not positive)
        rest = f"[^{inner.frags}]" if inner.frags else "[\\s\\S]"
        if not inner.alts:
            return SetText("\\s\\S") if not inner.frags else SetText("", (rest,))
        return SetText("", (f"(?:(?!{'|'.join(inner.alts)}){rest})",))
    left = single(render(node.left, positive))
    right = single(render(node.right, positive))
    return SetText("", (f"(?:(?={left}){right})",))


def single(text: SetText) -> str:
    """One expression matching one character of ``text`` (``(?!)`` when it is empty)."""
    options = ([f"[{text.frags}]"] if text.frags else []) + list(text.alts)
    if not options:
        return "(?!)"
    if len(options) == 1:
        return options[0]
    return "(?:" + "|".join(options) + ")"

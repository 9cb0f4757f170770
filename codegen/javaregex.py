"""Translate the Java regular expressions of service models into Python ``re`` syntax.

The service applies a member's ``pattern`` with Java's engine to the whole value; the
generated code applies the translation with :func:`re.fullmatch`. Java-only syntax is
rewritten rather than dropped: POSIX and Unicode property classes, ``\\z``/``\\Z``,
``\\Q...\\E``, ``\\x{...}``, nested and intersected character classes, inline flags in
the middle of a pattern, possessive quantifiers and atomic groups (emulated with a
lookahead and a back-reference, so the output also runs on Python 3.10).

Python's ``re`` knows no Unicode general categories. Those with a short, stable
definition are spelled out exactly; the large ones (letters, numbers, marks,
punctuation, symbols, "other") are approximated from Python's Unicode-aware ``\\w``
and ``\\s``. An approximation is chosen by polarity: where the category is accepted
it is a superset, where it is refused (``\\P{..}``, ``[^..]``) a subset, so a value
the service accepts is never refused client-side. Anything else Java-specific raises
:class:`RegexError` with the reason, and the caller reports it.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

__all__ = ["RegexError", "translate"]


class RegexError(ValueError):
    """The pattern uses Java syntax that has no translation."""


# A character set is a union of ``frags`` (text usable inside ``[...]``) and
# ``alts`` (expressions matching exactly one character).
@dataclass(frozen=True)
class _Union:
    frags: str
    alts: tuple[str, ...] = ()


@dataclass(frozen=True)
class _Leaf:
    sup: _Union
    sub: _Union


@dataclass(frozen=True)
class _Neg:
    child: _Node


@dataclass(frozen=True)
class _Or:
    items: tuple[_Node, ...]


@dataclass(frozen=True)
class _And:
    left: _Node
    right: _Node


_Node = _Leaf | _Neg | _Or | _And


def _exact(frags: str, alts: tuple[str, ...] = ()) -> _Leaf:
    u = _Union(frags, alts)
    return _Leaf(u, u)


def _approx(sup: _Union, sub: _Union) -> _Leaf:
    return _Leaf(sup, sub)


_WS = " \\t\\n\\x0b\\f\\r"
_NOT_WORD_OR_SPACE = "[^\\w\\s]"
_CC = "\\x00-\\x1f\\x7f-\\x9f"
_CF = (
    "\\u0600-\\u0605\\u061c\\u06dd\\u070f\\u0890\\u0891\\u08e2\\u180e\\u200b-\\u200f"
    "\\u202a-\\u202e\\u2060-\\u2064\\u2066-\\u206f\\ufeff\\ufff9-\\ufffb\\U000110bd"
    "\\U000110cd\\U00013430-\\U0001343f\\U0001bca0-\\U0001bca3\\U0001d173-\\U0001d17a"
    "\\U000e0001\\U000e0020-\\U000e007f"
)
_CS_CO = "\\ud800-\\uf8ff\\U000f0000-\\U0010ffff"
_Z = " \\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000"
_ZS = " \\xa0\\u1680\\u2000-\\u200a\\u202f\\u205f\\u3000"
_WHITE_SPACE = "\\t-\\r \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000"
_PC = "_\\u203f\\u2040\\u2054\\ufe33\\ufe34\\ufe4d-\\ufe4f\\uff3f"
_PD = (
    "\\-\\u058a\\u05be\\u1400\\u1806\\u2010-\\u2015\\u2e17\\u2e1a\\u2e3a\\u2e3b\\u2e40"
    "\\u2e5d\\u301c\\u3030\\u30a0\\ufe31\\ufe32\\ufe58\\ufe63\\uff0d\\U00010ead"
)
_NON_LATIN1 = "(?![\\x00-\\xff])"
_WORDISH = "[^\\W\\d_]"
_ALNUM = "[^\\W_]"


def _latin1(categories: tuple[str, ...]) -> str:
    """Exact class text for the characters below U+0100 in the general categories
    (stable across Unicode versions, so generated output does not depend on Python's)."""
    out = ""
    start = -1
    for code in range(0x101):
        inside = code < 0x100 and unicodedata.category(chr(code)).startswith(categories)
        if inside and start < 0:
            start = code
        elif not inside and start >= 0:
            first, last = _class_char(chr(start)), _class_char(chr(code - 1))
            out += first if start == code - 1 else f"{first}-{last}"
            start = -1
    return out


def _class_char(ch: str) -> str:
    return ch if ch.isalnum() and ch.isascii() else f"\\x{ord(ch):02x}"


def _category(
    categories: tuple[str, ...], base: str | None, known: str = "", extra: tuple[str, ...] = ()
) -> _Leaf:
    """Exact below U+0100 and in ``known``; above, ``base`` (one-character expression
    built from Python's Unicode classes) as the superset, nothing more as the subset."""
    exact = _latin1(categories) + known
    if base is None:
        return _exact(exact)
    alts = tuple(f"(?:{_NON_LATIN1}{b})" for b in (base, *extra))
    return _approx(_Union(exact, alts), _Union(exact))


_UNICODE: dict[str, _Leaf] = {
    "L": _category(
        ("L",), _WORDISH, "\\u0100-\\u017f\\u0391-\\u03a1\\u03a3-\\u03a9\\u4e00-\\u9ffc"
    ),
    "Lu": _category(("Lu",), _WORDISH, "\\u0391-\\u03a1\\u03a3-\\u03a9"),
    "Ll": _category(("Ll",), _WORDISH, "\\u03b1-\\u03c9"),
    "Lt": _category(("Lt",), _WORDISH),
    "Lm": _category(("Lm",), _WORDISH),
    "Lo": _category(("Lo",), _WORDISH, "\\u4e00-\\u9ffc"),
    "Alphabetic": _category(("L",), _WORDISH, "\\u0100-\\u017f", (_NOT_WORD_OR_SPACE,)),
    "N": _category(("N",), _ALNUM, "\\d"),
    "Nd": _exact("\\d"),
    "Nl": _category(("Nl",), _ALNUM, "\\u2160-\\u2188"),
    "No": _category(("No",), _ALNUM),
    "Z": _exact(_Z),
    "Zs": _exact(_ZS),
    "Zl": _exact("\\u2028"),
    "Zp": _exact("\\u2029"),
    "White_Space": _exact(_WHITE_SPACE),
    "C": _category(("C",), _NOT_WORD_OR_SPACE, _CF + _CS_CO),
    "Cc": _exact(_CC),
    "Cf": _category(("Cf",), _NOT_WORD_OR_SPACE, _CF),
    "Cs": _exact("\\ud800-\\udfff"),
    "Co": _exact("\\ue000-\\uf8ff\\U000f0000-\\U000ffffd\\U00100000-\\U0010fffd"),
    "Cn": _category(("Cn",), _NOT_WORD_OR_SPACE),
    "M": _category(("M",), _NOT_WORD_OR_SPACE, "\\u0300-\\u036f\\u20d0-\\u20f0\\ufe20-\\ufe2f"),
    "Mn": _category(("Mn",), _NOT_WORD_OR_SPACE, "\\u0300-\\u036f"),
    "Mc": _category(("Mc",), _NOT_WORD_OR_SPACE),
    "Me": _category(("Me",), _NOT_WORD_OR_SPACE, "\\u20dd-\\u20e0"),
    "P": _category(("P",), _NOT_WORD_OR_SPACE, "\\u2010-\\u2027\\u2030-\\u2043\\u3001-\\u3003"),
    "Pc": _exact(_PC),
    "Pd": _exact(_PD),
    "Ps": _category(("Ps",), _NOT_WORD_OR_SPACE),
    "Pe": _category(("Pe",), _NOT_WORD_OR_SPACE),
    "Pi": _category(("Pi",), _NOT_WORD_OR_SPACE, "\\u2018\\u201c"),
    "Pf": _category(("Pf",), _NOT_WORD_OR_SPACE, "\\u2019\\u201d"),
    "Po": _category(("Po",), _NOT_WORD_OR_SPACE),
    "S": _category(("S",), _NOT_WORD_OR_SPACE),
    "Sm": _category(("Sm",), _NOT_WORD_OR_SPACE),
    "Sc": _category(("Sc",), _NOT_WORD_OR_SPACE),
    "Sk": _category(("Sk",), _NOT_WORD_OR_SPACE),
    "So": _category(("So",), _NOT_WORD_OR_SPACE),
}
_POSIX: dict[str, _Leaf] = {
    "Lower": _exact("a-z"),
    "Upper": _exact("A-Z"),
    "ASCII": _exact("\\x00-\\x7f"),
    "Alpha": _exact("a-zA-Z"),
    "Digit": _exact("0-9"),
    "Alnum": _exact("a-zA-Z0-9"),
    "Punct": _exact("!-/:-@\\[-`{-~"),
    "Graph": _exact("!-~"),
    "Print": _exact(" -~"),
    "Blank": _exact(" \\t"),
    "Cntrl": _exact("\\x00-\\x1f\\x7f"),
    "XDigit": _exact("0-9a-fA-F"),
    "Space": _exact(_WS),
    "all": _exact("\\s\\S"),
}

_UNICODE_ALIASES = {
    "Letter": "L",
    "IsLetter": "L",
    "IsAlphabetic": "Alphabetic",
    "IsDigit": "Nd",
    "IsWhite_Space": "White_Space",
    "IsWhiteSpace": "White_Space",
    "IsWhitespace": "White_Space",
    "IsUppercase": "Lu",
    "IsLowercase": "Ll",
    "IsPunctuation": "P",
    "IsControl": "Cc",
    "javaWhitespace": "White_Space",
}

_BUILTIN: dict[str, _Node] = {
    "d": _exact("0-9"),
    "w": _exact("a-zA-Z0-9_"),
    "s": _exact(_WS),
    "h": _exact(" \\t\\xa0\\u1680\\u180e\\u2000-\\u200a\\u202f\\u205f\\u3000"),
    "v": _exact("\\n\\x0b\\f\\r\\x85\\u2028\\u2029"),
}
for _letter in "dwshv":
    _BUILTIN[_letter.upper()] = _Neg(_BUILTIN[_letter])

_CONTROL_ESCAPES = {"t": "\t", "n": "\n", "r": "\r", "f": "\f", "a": "\x07", "e": "\x1b"}
_META_OUTSIDE = set(".^$*+?{}[]\\|()")
_META_INSIDE = set("\\]^-[&~|")


def _char_escape(ch: str) -> str:
    code = ord(ch)
    if code < 0x100:
        return f"\\x{code:02x}"
    if code < 0x10000:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def _literal(ch: str, inside: bool) -> str:
    """Python regex text for one literal character (printable ASCII; quotes escaped)."""
    if ch in "\"'" or not (" " <= ch <= "~"):
        return _char_escape(ch)
    if ch in (_META_INSIDE if inside else _META_OUTSIDE):
        return "\\" + ch
    return ch


def _render(node: _Node, positive: bool) -> _Union:
    if isinstance(node, _Leaf):
        return node.sup if positive else node.sub
    if isinstance(node, _Or):
        parts = [_render(item, positive) for item in node.items]
        alts: list[str] = []
        for part in parts:
            alts.extend(a for a in part.alts if a not in alts)
        return _Union("".join(p.frags for p in parts), tuple(alts))
    if isinstance(node, _Neg):
        inner = _render(node.child, not positive)
        rest = f"[^{inner.frags}]" if inner.frags else "[\\s\\S]"
        if not inner.alts:
            return _Union("\\s\\S") if not inner.frags else _Union("", (rest,))
        return _Union("", (f"(?:(?!{'|'.join(inner.alts)}){rest})",))
    left = _single(_render(node.left, positive))
    right = _single(_render(node.right, positive))
    return _Union("", (f"(?:(?={left}){right})",))


def _single(union: _Union) -> str:
    options = ([f"[{union.frags}]"] if union.frags else []) + list(union.alts)
    if not options:
        return "(?!)"
    if len(options) == 1:
        return options[0]
    return "(?:" + "|".join(options) + ")"


_FLAG_LETTERS = set("imsxdu")
_JAVA_END = "(?=(?:\\r\\n|[\\n\\r\\x85\\u2028\\u2029])?\\Z)"
_ANCHORS = {"^", _JAVA_END, "(?m:^)", "(?m:$)", "\\b", "\\B", "\\A", "\\Z"}


class _Parser:
    def __init__(self, source: str) -> None:
        self.src = source
        self.pos = 0
        self.py_groups = 0
        self.java_to_py: dict[int, int] = {}
        self.java_groups = 0
        self.helpers = 0
        self.depth = 0

    # -- helpers -------------------------------------------------------------
    def error(self, message: str) -> RegexError:
        return RegexError(f"{message} at offset {self.pos} of {self.src!r}")

    def peek(self, text: str) -> bool:
        return self.src.startswith(text, self.pos)

    def next(self) -> str:
        if self.pos >= len(self.src):
            raise self.error("unexpected end of pattern")
        ch = self.src[self.pos]
        self.pos += 1
        return ch

    def skip_extended(self, flags: frozenset[str]) -> None:
        if "x" not in flags:
            return
        while self.pos < len(self.src):
            ch = self.src[self.pos]
            if ch.isspace():
                self.pos += 1
            elif ch == "#":
                end = self.src.find("\n", self.pos)
                self.pos = len(self.src) if end < 0 else end + 1
            else:
                return

    # -- structure -----------------------------------------------------------
    def alternation(self, flags: frozenset[str]) -> str:
        branches = [self.sequence(flags)]
        while self.peek("|"):
            self.pos += 1
            branches.append(self.sequence(flags))
        return "|".join(branches)

    def sequence(self, flags: frozenset[str]) -> str:
        atoms: list[str] = []
        while True:
            self.skip_extended(flags)
            if self.pos >= len(self.src) or self.src[self.pos] in "|)":
                if self.depth == 0 and atoms and atoms[-1] == _JAVA_END:
                    # Ending the whole pattern, Python's "$" means the same under fullmatch.
                    atoms[-1] = "$"
                return "".join(atoms)
            inline = self.inline_flags(flags)
            if inline is not None:
                flags = inline
                continue
            atom = self.atom(flags)
            self.skip_extended(flags)
            atoms.append(self.quantified(atom, flags))

    def inline_flags(self, flags: frozenset[str]) -> frozenset[str] | None:
        """``(?i)``-style flags: Java applies them to the rest of the enclosing group."""
        if not self.peek("(?"):
            return None
        end = self.pos + 2
        while end < len(self.src) and (self.src[end] in _FLAG_LETTERS or self.src[end] == "-"):
            end += 1
        if end >= len(self.src) or self.src[end] != ")" or end == self.pos + 2:
            return None
        new = self.apply_flags(flags, self.src[self.pos + 2 : end])
        self.pos = end + 1
        return new

    def apply_flags(self, flags: frozenset[str], spec: str) -> frozenset[str]:
        on, _, off = spec.partition("-")
        unknown = set(on + off) - _FLAG_LETTERS
        if unknown:
            raise self.error(f"unsupported inline flag {''.join(sorted(unknown))!r}")
        return (flags | set(on)) - set(off)

    def quantified(self, atom: str, flags: frozenset[str]) -> str:
        quant = ""
        if self.pos < len(self.src) and self.src[self.pos] in "*+?":
            quant = self.next()
        elif self.peek("{"):
            end = self.src.find("}", self.pos)
            body = self.src[self.pos + 1 : end] if end > 0 else ""
            lo, _, hi = body.partition(",")
            if end > 0 and lo.isdigit() and (hi == "" or hi.isdigit()):
                quant = self.src[self.pos : end + 1]
                self.pos = end + 1
        if not quant:
            return atom
        if atom in _ANCHORS or atom.startswith(("(?=", "(?!", "(?<")):
            # Java lets a quantifier follow an anchor or lookaround; Python needs a group.
            atom = f"(?:{atom})"
        if self.peek("?"):
            self.pos += 1
            return atom + quant + "?"
        if self.peek("+"):
            self.pos += 1
            return self.atomic(atom + quant)
        return atom + quant

    def atomic(self, body: str) -> str:
        self.helpers += 1
        self.py_groups += 1
        name = f"_a{self.helpers}"
        return f"(?=(?P<{name}>{body}))(?P={name})"

    def atom(self, flags: frozenset[str]) -> str:
        ch = self.next()
        if ch == "(":
            return self.group(flags)
        if ch == "[":
            return self.wrap_case(_single(_render(self.char_class(flags), True)), flags)
        if ch == ".":
            if "s" in flags:
                return "[\\s\\S]"
            return "[^\\n]" if "d" in flags else "[^\\n\\r\\x85\\u2028\\u2029]"
        if ch in "^$":
            if "m" in flags:
                return f"(?m:{ch})"
            # Java's "$" also matches before a final \r\n, \r, \x85, \u2028 or \u2029.
            return ch if ch == "^" else _JAVA_END
        if ch == "\\":
            return self.escape_outside(flags)
        if ch in "*+?":
            raise self.error("dangling quantifier")
        if ch == "{":
            return "\\{"
        return self.wrap_case(_literal(ch, inside=False), flags)

    @staticmethod
    def wrap_case(text: str, flags: frozenset[str]) -> str:
        return f"(?i:{text})" if "i" in flags else text

    def group(self, flags: frozenset[str]) -> str:
        prefix = ""
        inner_flags = flags
        if self.peek("?"):
            self.pos += 1
            if self.peek(":"):
                self.pos += 1
                prefix = "(?:"
            elif self.src[self.pos] in "=!":
                prefix = "(?" + self.next()
            elif self.peek("<=") or self.peek("<!"):
                prefix = "(?<" + self.src[self.pos + 1]
                self.pos += 2
            elif self.peek("<"):
                end = self.src.find(">", self.pos)
                name = self.src[self.pos + 1 : end]
                if end < 0 or not name.isalnum():
                    raise self.error("bad group name")
                self.pos = end + 1
                self.java_groups += 1
                self.py_groups += 1
                self.java_to_py[self.java_groups] = self.py_groups
                prefix = f"(?P<{name}>"
            elif self.peek(">"):
                self.pos += 1
                self.depth += 1
                body = self.alternation(flags)
                self.depth -= 1
                self.close_group()
                return self.atomic(body)
            else:
                end = self.pos
                while end < len(self.src) and self.src[end] not in ":)":
                    end += 1
                if end >= len(self.src) or self.src[end] != ":":
                    raise self.error("unsupported group construct")
                inner_flags = self.apply_flags(flags, self.src[self.pos : end])
                self.pos = end + 1
                prefix = "(?:"
        else:
            self.java_groups += 1
            self.py_groups += 1
            self.java_to_py[self.java_groups] = self.py_groups
            prefix = "("
        self.depth += 1
        body = self.alternation(inner_flags)
        self.depth -= 1
        self.close_group()
        return prefix + body + ")"

    def close_group(self) -> None:
        if not self.peek(")"):
            raise self.error("missing ')'")
        self.pos += 1

    # -- escapes ---------------------------------------------------------------
    def escape_outside(self, flags: frozenset[str]) -> str:
        ch = self.next()
        anchors = {
            "b": "\\b",
            "B": "\\B",
            "A": "\\A",
            "z": "\\Z",
            "Z": _JAVA_END,
        }
        if ch in anchors:
            return anchors[ch]
        if ch == "Q":
            end = self.src.find("\\E", self.pos)
            end = len(self.src) if end < 0 else end
            text = self.src[self.pos : end]
            self.pos = min(len(self.src), end + 2)
            return "(?:" + "".join(self.wrap_case(_literal(c, False), flags) for c in text) + ")"
        if ch == "R":
            return "(?:\\r\\n|[\\n\\x0b\\f\\r\\x85\\u2028\\u2029])"
        if ch == "k":
            if not self.peek("<"):
                raise self.error("bad \\k")
            end = self.src.find(">", self.pos)
            name = self.src[self.pos + 1 : end]
            self.pos = end + 1
            return f"(?P={name})"
        if ch.isdigit() and ch != "0":
            # Java reads as many digits as still name an existing group.
            number = int(ch)
            while self.pos < len(self.src) and self.src[self.pos].isdigit():
                longer = number * 10 + int(self.src[self.pos])
                if longer not in self.java_to_py:
                    break
                number = longer
                self.pos += 1
            if number not in self.java_to_py:
                raise self.error("back-reference to an unknown group")
            return f"(?:\\{self.java_to_py[number]})"
        node = self.set_escape(ch)
        if node is not None:
            return self.wrap_case(_single(_render(node, True)), flags)
        return self.wrap_case(_literal(self.char_escape(ch), inside=False), flags)

    def set_escape(self, ch: str) -> _Node | None:
        if ch in _BUILTIN:
            return _BUILTIN[ch]
        if ch in "pP":
            if self.peek("{"):
                end = self.src.find("}", self.pos)
                if end < 0:
                    raise self.error("unterminated property")
                name = self.src[self.pos + 1 : end]
                self.pos = end + 1
            else:
                name = self.next()
            leaf = self.property(name)
            return leaf if ch == "p" else _Neg(leaf)
        return None

    def property(self, name: str) -> _Leaf:
        bare = name[2:] if name.startswith("Is") and name[2:] in _POSIX else name
        if bare in _POSIX:
            return _POSIX[bare]
        key = _UNICODE_ALIASES.get(name, name)
        if key.startswith(("Is", "general_category=", "gc=")) and key not in _UNICODE:
            key = key.split("=", 1)[-1].removeprefix("Is")
        if key in _UNICODE:
            return _UNICODE[key]
        raise self.error(f"unsupported character property \\p{{{name}}}")

    def char_escape(self, ch: str) -> str:
        """The literal character of a non-class escape (after the backslash)."""
        if ch in _CONTROL_ESCAPES:
            return _CONTROL_ESCAPES[ch]
        if ch == "0":
            digits = ""
            while len(digits) < 3 and self.pos < len(self.src) and self.src[self.pos] in "01234567":
                digits += self.next()
            if not digits:
                raise self.error("bad octal escape")
            return chr(int(digits, 8))
        if ch == "x":
            if self.peek("{"):
                end = self.src.find("}", self.pos)
                digits = self.src[self.pos + 1 : end]
                self.pos = end + 1
            else:
                digits = self.src[self.pos : self.pos + 2]
                self.pos += 2
            return self.hex_char(digits)
        if ch == "u":
            digits = self.src[self.pos : self.pos + 4]
            self.pos += 4
            high = self.hex_char(digits)
            low = self.src[self.pos + 2 : self.pos + 6] if self.peek("\\u") else ""
            if "\ud800" <= high <= "\udbff" and len(low) == 4 and "dc00" <= low.lower() <= "dfff":
                # Java reads a UTF-16 surrogate pair written as two escapes as one code point.
                self.pos += 6
                return chr(0x10000 + ((ord(high) - 0xD800) << 10) + (int(low, 16) - 0xDC00))
            return high
        if ch == "c":
            return chr(ord(self.next()) ^ 0x40)
        if ch.isalnum():
            raise self.error(f"unsupported escape \\{ch}")
        return ch

    def hex_char(self, digits: str) -> str:
        try:
            return chr(int(digits, 16))
        except ValueError:
            raise self.error(f"bad hex escape {digits!r}") from None

    # -- character classes -------------------------------------------------------
    def char_class(self, flags: frozenset[str]) -> _Node:
        negated = self.peek("^")
        if negated:
            self.pos += 1
        node = self.class_body(flags)
        return _Neg(node) if negated else node

    def class_body(self, flags: frozenset[str]) -> _Node:
        """Items up to and including the closing ``]``; handles ``&&``."""
        items: list[_Node] = []
        first = True
        while True:
            self.skip_extended(flags)
            if self.pos >= len(self.src):
                raise self.error("unterminated character class")
            if self.peek("]") and not first:
                self.pos += 1
                return _Or(tuple(items))
            if self.peek("&&"):
                self.pos += 2
                right = self.class_body(flags)
                return _And(_Or(tuple(items)), right)
            first = False
            if self.peek("["):
                self.pos += 1
                items.append(self.char_class(flags))
                continue
            start = self.class_char(flags)
            if isinstance(start, str) and self.peek("-") and not self.peek("-]"):
                self.pos += 1
                end = self.class_char(flags)
                if not isinstance(end, str):
                    raise self.error("bad character range")
                if ord(end) < ord(start):
                    raise self.error("inverted character range")
                items.append(_exact(f"{_literal(start, True)}-{_literal(end, True)}"))
            elif isinstance(start, str):
                items.append(_exact(_literal(start, True)))
            else:
                items.append(start)

    def class_char(self, flags: frozenset[str]) -> str | _Node:
        ch = self.next()
        if ch != "\\":
            return ch
        ch = self.next()
        node = self.set_escape(ch)
        if node is not None:
            return node
        if ch == "Q":
            end = self.src.find("\\E", self.pos)
            end = len(self.src) if end < 0 else end
            text = self.src[self.pos : end]
            self.pos = min(len(self.src), end + 2)
            return _exact("".join(_literal(c, True) for c in text))
        if ch == "b":
            raise self.error("\\b inside a character class")
        return self.char_escape(ch)


def translate(java: str) -> str:
    """Return Python ``re`` source that, with ``fullmatch``, accepts what Java's
    ``matches()`` accepts for ``java`` (see the module docstring for approximations)."""
    parser = _Parser(java)
    result = parser.alternation(frozenset())
    if parser.pos != len(java):
        raise parser.error("unbalanced ')'")
    return result

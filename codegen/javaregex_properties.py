"""The named character sets of Java regexes: ``\\p{..}`` properties and ``\\d``-style escapes.

Python's ``re`` knows no Unicode general categories. Those with a short, stable
definition are spelled out exactly; the large ones (letters, numbers, marks,
punctuation, symbols, "other") are approximated from Python's Unicode-aware ``\\w``
and ``\\s``. An approximation is chosen by polarity: where the category is accepted
it is a superset, where it is refused (``\\P{..}``, ``[^..]``) a subset, so a value
the service accepts is never refused client-side. POSIX classes (``\\p{Alpha}``) and
the predefined escapes are ASCII in Java, as they are here.
"""

from __future__ import annotations

import unicodedata

from .javaregex_sets import Leaf, Neg, Node, SetText, approx, exact

__all__ = ["BUILTIN", "property_set"]

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
) -> Leaf:
    """Exact below U+0100 and in ``known``; above, ``base`` (one-character expression
    built from Python's Unicode classes) as the superset, nothing more as the subset."""
    text = _latin1(categories) + known
    if base is None:
        return exact(text)
    alts = tuple(f"(?:{_NON_LATIN1}{b})" for b in (base, *extra))
    return approx(SetText(text, alts), SetText(text))


_UNICODE: dict[str, Leaf] = {
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
    "Nd": exact("\\d"),
    "Nl": _category(("Nl",), _ALNUM, "\\u2160-\\u2188"),
    "No": _category(("No",), _ALNUM),
    "Z": exact(_Z),
    "Zs": exact(_ZS),
    "Zl": exact("\\u2028"),
    "Zp": exact("\\u2029"),
    "White_Space": exact(_WHITE_SPACE),
    "C": _category(("C",), _NOT_WORD_OR_SPACE, _CF + _CS_CO),
    "Cc": exact(_CC),
    "Cf": _category(("Cf",), _NOT_WORD_OR_SPACE, _CF),
    "Cs": exact("\\ud800-\\udfff"),
    "Co": exact("\\ue000-\\uf8ff\\U000f0000-\\U000ffffd\\U00100000-\\U0010fffd"),
    "Cn": _category(("Cn",), _NOT_WORD_OR_SPACE),
    "M": _category(("M",), _NOT_WORD_OR_SPACE, "\\u0300-\\u036f\\u20d0-\\u20f0\\ufe20-\\ufe2f"),
    "Mn": _category(("Mn",), _NOT_WORD_OR_SPACE, "\\u0300-\\u036f"),
    "Mc": _category(("Mc",), _NOT_WORD_OR_SPACE),
    "Me": _category(("Me",), _NOT_WORD_OR_SPACE, "\\u20dd-\\u20e0"),
    "P": _category(("P",), _NOT_WORD_OR_SPACE, "\\u2010-\\u2027\\u2030-\\u2043\\u3001-\\u3003"),
    "Pc": exact(_PC),
    "Pd": exact(_PD),
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
_POSIX: dict[str, Leaf] = {
    "Lower": exact("a-z"),
    "Upper": exact("A-Z"),
    "ASCII": exact("\\x00-\\x7f"),
    "Alpha": exact("a-zA-Z"),
    "Digit": exact("0-9"),
    "Alnum": exact("a-zA-Z0-9"),
    "Punct": exact("!-/:-@\\[-`{-~"),
    "Graph": exact("!-~"),
    "Print": exact(" -~"),
    "Blank": exact(" \\t"),
    "Cntrl": exact("\\x00-\\x1f\\x7f"),
    "XDigit": exact("0-9a-fA-F"),
    "Space": exact(_WS),
    "all": exact("\\s\\S"),
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

BUILTIN: dict[str, Node] = {
    "d": exact("0-9"),
    "w": exact("a-zA-Z0-9_"),
    "s": exact(_WS),
    "h": exact(" \\t\\xa0\\u1680\\u180e\\u2000-\\u200a\\u202f\\u205f\\u3000"),
    "v": exact("\\n\\x0b\\f\\r\\x85\\u2028\\u2029"),
}
"""The predefined classes ``\\d \\w \\s \\h \\v`` and their negations ``\\D \\W ...``."""
for _letter in "dwshv":
    BUILTIN[_letter.upper()] = Neg(BUILTIN[_letter])


def property_set(name: str) -> Leaf | None:
    """The set named by ``\\p{name}`` (POSIX, Unicode category or alias), if supported."""
    bare = name[2:] if name.startswith("Is") and name[2:] in _POSIX else name
    if bare in _POSIX:
        return _POSIX[bare]
    key = _UNICODE_ALIASES.get(name, name)
    if key.startswith(("Is", "general_category=", "gc=")) and key not in _UNICODE:
        key = key.split("=", 1)[-1].removeprefix("Is")
    return _UNICODE.get(key)

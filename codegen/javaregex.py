"""Translate the Java regular expressions of service models into Python ``re`` syntax.

The service applies a member's ``pattern`` with Java's engine to the whole value; the
generated code applies the translation with :func:`re.fullmatch`. Java-only syntax is
rewritten rather than dropped: POSIX and Unicode property classes, ``\\z``/``\\Z``,
``\\Q...\\E``, ``\\x{...}``, nested and intersected character classes, inline flags in
the middle of a pattern, possessive quantifiers and atomic groups (emulated with a
lookahead and a back-reference, so the output also runs on Python 3.10).

This module reads the Java syntax and writes the Python text in one pass. Character
classes are built as set values and written by :mod:`codegen.javaregex_sets`; the
``\\p{..}`` properties and ``\\d``-style escapes, some approximated (by polarity, so a
value the service accepts is never refused client-side), come from
:mod:`codegen.javaregex_properties`. Anything else Java-specific raises
:class:`RegexError` with the reason, and the caller reports it.
"""

from __future__ import annotations

from .javaregex_properties import BUILTIN, property_set
from .javaregex_sets import And, Leaf, Neg, Node, Or, exact, literal, render, single

__all__ = ["RegexError", "translate"]


class RegexError(ValueError):
    """The pattern uses Java syntax that has no translation."""


_CONTROL_ESCAPES = {"t": "\t", "n": "\n", "r": "\r", "f": "\f", "a": "\x07", "e": "\x1b"}
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
            return self.wrap_case(single(render(self.char_class(flags), True)), flags)
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
        return self.wrap_case(literal(ch, inside=False), flags)

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
            return "(?:" + "".join(self.wrap_case(literal(c, False), flags) for c in text) + ")"
        if ch == "R":
            return "(?:\\r\\n|[\\n\\x0b\\f\\r\\x85\\u2028\\u2029])"
        if ch == "k":
            if not self.peek("<"):
                raise self.error("bad \\k")
            end = self.src.find(">", self.pos)
            if end < 0:
                raise self.error("unterminated \\k<name>")
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
            return self.wrap_case(single(render(node, True)), flags)
        return self.wrap_case(literal(self.char_escape(ch), inside=False), flags)

    def set_escape(self, ch: str) -> Node | None:
        if ch in BUILTIN:
            return BUILTIN[ch]
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
            return leaf if ch == "p" else Neg(leaf)
        return None

    def property(self, name: str) -> Leaf:
        leaf = property_set(name)
        if leaf is None:
            raise self.error(f"unsupported character property \\p{{{name}}}")
        return leaf

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
                if end < 0:
                    raise self.error("unterminated \\x{...}")
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
    def char_class(self, flags: frozenset[str]) -> Node:
        negated = self.peek("^")
        if negated:
            self.pos += 1
        node = self.class_body(flags)
        return Neg(node) if negated else node

    def class_body(self, flags: frozenset[str]) -> Node:
        """Items up to and including the closing ``]``; handles ``&&``."""
        items: list[Node] = []
        first = True
        while True:
            self.skip_extended(flags)
            if self.pos >= len(self.src):
                raise self.error("unterminated character class")
            if self.peek("]") and not first:
                self.pos += 1
                return Or(tuple(items))
            if self.peek("&&"):
                self.pos += 2
                right = self.class_body(flags)
                return And(Or(tuple(items)), right)
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
                items.append(exact(f"{literal(start, True)}-{literal(end, True)}"))
            elif isinstance(start, str):
                items.append(exact(literal(start, True)))
            else:
                items.append(start)

    def class_char(self, flags: frozenset[str]) -> str | Node:
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
            return exact("".join(literal(c, True) for c in text))
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

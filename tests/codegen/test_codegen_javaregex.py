"""Java patterns translated for Python's ``re`` accept what Java's ``matches()`` accepts."""

from __future__ import annotations

import base64
import gzip
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from codegen_support import FIXTURES

from codegen.javaregex import RegexError, translate


def accepts(java: str, value: str) -> bool:
    return re.fullmatch(translate(java), value) is not None


@pytest.mark.parametrize(
    ("java", "good", "bad"),
    [
        ("\\p{ASCII}*", ["", "abc\x7f"], ["caf\u00e9"]),
        ("\\A\\S[\\p{Print}]*\\z", ["a b", "x"], [" a", "a\n", "a\u00e9", ""]),
        ("^[a-zA-Z0-9](-*[a-zA-Z0-9])*", ["a", "a--b"], ["a_b", "-a", "a-"]),
        ("[\\P{C}]+", ["h\u00e9llo \u65e5"], ["a\x00", "a\u200b", "\x85"]),
        ("[\\p{L}\\p{N}_-]+", ["\u00e9t\u00e9_2-b", "\u65e5\u672c"], ["a b", "a.b"]),
        ("\\p{Lu}\\p{Ll}+", ["Abc", "\u00c9t\u00e9"], ["abc", "ABC"]),
        ("[\\w-.~]+", ["a-b.c~d"], ["a b", "\u00e9"]),
        ("\\d+", ["0123"], ["\u0663"]),
        ("[a-z&&[^aeiou]]+", ["xyz"], ["abc"]),
        ("[a-c[x-z]]+", ["axz"], ["d"]),
        ("[\\p{L}||\\p{N}]+", ["a1", "a|1"], ["a-1"]),  # "|" is literal in a class
        ("(?!(?i)AWS_)[a-zA-Z_]+", ["MY_VAR"], ["aws_x", "AWS_X"]),
        ("(?i:abc)d", ["ABCd"], ["ABCD"]),
        ("a++b", ["aab"], ["b"]),
        ("(?>a|ab)c", ["ac"], ["abc"]),
        ("\\Qa.b\\E", ["a.b"], ["axb"]),
        ("\\x{41}\\u0042\\0103", ["ABC"], ["AB"]),
        ("[\\uD800\\uDC00-\\uDBFF\\uDFFF]", ["\U00010000", "\U0010ffff"], ["a"]),
        ("(a)(b)(c)(d)(e)(f)(g)(h)(i)(j)(k)\\11", ["abcdefghijkk"], ["abcdefghijka1"]),
        ("(?<word>[a-z]+)-\\k<word>", ["ab-ab"], ["ab-cd"]),
        ("a.b", ["axb"], ["a\nb", "a\rb", "a\u2028b"]),
        ("(?s)a.b", ["a\nb"], []),
        ("[-_a-zA-Z0-9]*${2,64}$", ["a-b"], ["a b"]),
        ("^(NEW_SESSION)$|^[a-z]+$", ["NEW_SESSION", "abc"], ["NEW_SESSIONabc"]),
        ("\\s\\h\\v", [" \t\n"], ["\u00a0\t\n", "   "]),
        ("(?x) a b  # comment", ["ab"], ["a b"]),
        ("\\p{IsAlphabetic}+\\p{Punct}", ["abc!"], ["abc\u00a1"]),
    ],
)
def test_translation(java: str, good: list[str], bad: list[str]) -> None:
    for value in good:
        assert accepts(java, value), (java, value, translate(java))
    for value in bad:
        assert not accepts(java, value), (java, value, translate(java))


def test_output_holds_no_quotes_or_non_ascii() -> None:
    text = translate("[\"'\u2605]\u00e9")
    assert text.isascii() and '"' not in text and "'" not in text


@pytest.mark.parametrize("java", ["\\p{InGreek}", "\\X", "(?U)\\w", "a{", "[a-", "(a", "a)", "\\k"])
def test_untranslatable_syntax_is_an_error(java: str) -> None:
    if java == "a{":  # Java reads an unmatched "{" literally; so do we
        assert accepts(java, "a{")
        return
    with pytest.raises(RegexError):
        translate(java)


@pytest.mark.parametrize("java", ["\\x{41", "a\\x{", "(?<g>a)\\k<g", "\\k<"])
def test_unterminated_escape_is_an_error(java: str) -> None:
    # these once sent the reader back to the start of the pattern, forever
    with pytest.raises(RegexError, match="unterminated"):
        translate(java)


def botocore_patterns() -> list[str]:
    import botocore

    found: set[str] = set()
    for path in sorted((Path(botocore.__file__).parent / "data").glob("*/*/service-2.json.gz")):
        model = json.loads(gzip.decompress(path.read_bytes()))
        if model["metadata"].get("protocol") != "rest-json":
            continue
        found.update(s["pattern"] for s in model["shapes"].values() if "pattern" in s)
    return sorted(found)


SAMPLES = [
    "",
    "a",
    "abc",
    "ABC",
    "Abc9",
    "a-b",
    "a_b",
    "a b",
    "a.b",
    "123",
    "\u00e9",
    "e\u0301",
    "\u65e5\u672c",
    "a\nb",
    "a\n",
    "\t",
    " a",
    "s3://bucket/key",
    "https://x.com/y",
    "{}",
    "a/b/c",
    "*",
    "\u2028",
    "$",
    "\x00",
    "\u00a0",
    "\u00b2",
    "\U0001f600",
    "a\r\nb",
    "foo@bar.com",
    "AWS_X",
    "123456789012",
    "us-east-1",
    "-",
    "_",
    "'",
    '"',
    "#tag",
    "a+b=c",
    "\u200b",
    "\x7f",
    "\x85",
    "arn:aws:s3:::b/*",
    "%20",
    "(x)",
    "\\",
    "1.5",
    "\u0391\u03b1",
    "2024-01-02T03:04:05Z",
    "abc\x01",
]


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("java") is None, reason="needs a Java runtime")
def test_botocore_patterns_never_refuse_what_java_accepts() -> None:
    """Every pattern of every rest-json model botocore ships, against Java itself.

    Exact where the translation is exact; where Unicode categories are approximated the
    translation may accept more (the service still validates), but never less.
    """
    patterns = botocore_patterns()
    assert len(patterns) > 1000
    lines = []
    for pattern in patterns:
        lines.append("P\t" + base64.b64encode(pattern.encode("utf-8", "surrogatepass")).decode())
        lines.extend("V\t" + base64.b64encode(v.encode("utf-8")).decode() for v in SAMPLES)
    result = subprocess.run(
        ["java", str(FIXTURES / "JavaMatch.java")],
        input="\n".join(lines) + "\n",
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )
    answers = iter(result.stdout.split())
    refused: list[tuple[str, str]] = []
    different: list[tuple[str, str]] = []
    for pattern in patterns:
        assert next(answers) == "ok", pattern
        compiled = re.compile(translate(pattern))
        approximate = "\\p" in pattern or "\\P" in pattern
        for value in SAMPLES:
            java = next(answers) == "1"
            python = compiled.fullmatch(value) is not None
            if java and not python:
                refused.append((pattern, value))
            elif python != java and not approximate:
                different.append((pattern, value))
    assert not refused
    assert not different

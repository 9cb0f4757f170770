"""Model documentation (HTML fragments) as short plain-text docstrings."""

from __future__ import annotations

import re
import textwrap
from html.parser import HTMLParser

__all__ = ["docstring_text", "summary"]

_BLOCK_TAGS = frozenset({"p", "li", "ul", "ol", "br", "div", "note", "important", "dl", "dt", "dd"})


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.paragraphs: list[str] = []
        self._current: list[str] = []

    def _flush(self) -> None:
        text = " ".join("".join(self._current).split())
        if text:
            self.paragraphs.append(text)
        self._current = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BLOCK_TAGS:
            self._flush()

    def handle_endtag(self, tag: str) -> None:
        if tag in _BLOCK_TAGS:
            self._flush()

    def handle_data(self, data: str) -> None:
        self._current.append(data)

    def close(self) -> None:
        super().close()
        self._flush()


def summary(html: str, limit: int = 400) -> str:
    """The first paragraph of ``html`` as plain text, cut at a sentence end near ``limit``."""
    if not html:
        return ""
    parser = _TextExtractor()
    # Early models hold plain text with blank lines between paragraphs.
    parser.feed(re.sub(r"\n\s*\n", "<p>", html))
    parser.close()
    if not parser.paragraphs:
        return ""
    text = parser.paragraphs[0]
    if len(text) <= limit:
        return text
    cut = text.rfind(". ", 0, limit)
    return text[: cut + 1] if cut > 0 else text[:limit].rsplit(" ", 1)[0] + " ..."


def docstring_text(text: str, indent: int, width: int = 96) -> str:
    """``text`` wrapped and escaped for a triple-quoted docstring at ``indent`` spaces."""
    safe = text.replace("\\", "\\\\").replace('"""', '\\"\\"\\"')
    lines = textwrap.wrap(
        safe, width=width - indent, break_long_words=False, break_on_hyphens=False
    )
    if lines and lines[-1].endswith('"'):
        lines[-1] = lines[-1][:-1] + '\\"'
    return ("\n" + " " * indent).join(lines)

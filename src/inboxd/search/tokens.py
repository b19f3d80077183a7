"""The words of a body, as ``source.body`` search matches them (the spec: the search runs "against
every element of the value separately", so ``"support"`` finds "I need support").

:func:`tokens` strips the HTML with the standard library's tokenizer (which copes with broken
markup), folds case, and splits on every character that is not a word character in Unicode's sense
(letters, digits, underscore): ``"<p>Refund&nbsp;please!</p>"`` → ``["refund", "please"]``.
Block elements and ``<br>`` separate words, inline ones do not (``sup<b>port</b>`` is one word);
scripts and styles are dropped. Scripts without spaces (Chinese, Japanese, Thai) come out as one
token per run of letters: inboxd does no dictionary segmentation.

:func:`fold` is the one case-insensitive comparison of search: NFKC normalisation (so a
decomposed "é" or a full-width "Ａ" compares like the plain letter), then Unicode case folding
(so "Straße" matches "STRASSE"). Whatever compares columns needs the same fold on the column
side: SQLite's ``lower()`` folds ASCII only, so register :func:`fold` as a function or keep a
folded copy of the column.

This is not render/plaintext.py: search may not import render, and the two want different things
(line structure for display, word boundaries here).
"""

from __future__ import annotations

import re
import unicodedata
from html.parser import HTMLParser

_WORD = re.compile(r"\w+")
_SEPARATING = frozenset(
    {
        *("address", "article", "aside", "blockquote", "br", "dd", "div", "dl", "dt", "figcaption"),
        *("figure", "footer", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "img", "li", "main"),
        *("nav", "ol", "p", "pre", "section", "table", "td", "th", "tr", "ul"),
    }
)
_DROPPED = frozenset({"script", "style", "head", "title", "template"})


def fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold()


def tokens(text: str) -> list[str]:
    """The words of ``text`` (HTML or plain), folded, in order, repeats kept."""
    if "<" in text or "&" in text:
        text = _strip(text)
    return _WORD.findall(fold(text))


class _Words(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.chunks: list[str] = []
        self.dropping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _DROPPED:
            self.dropping += 1
        elif tag in _SEPARATING:
            self.chunks.append(" ")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SEPARATING:
            self.chunks.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in _DROPPED:
            self.dropping = max(0, self.dropping - 1)
        elif tag in _SEPARATING:
            self.chunks.append(" ")

    def handle_data(self, data: str) -> None:
        if not self.dropping:
            self.chunks.append(data)


def _strip(html: str) -> str:
    parser = _Words()
    parser.feed(html)
    parser.close()
    return "".join(parser.chunks)

"""The text of an HTML body: what ``display_as=plaintext`` shows (render/plaintext.py) and what the
``source.body`` index reads words from (search/tokens.py). One reading for both, so a body's
indexed words are the words its plaintext rendering shows.

Built on the standard library's HTML tokenizer (html.parser), which copes with the broken markup
people paste. Entities are decoded; block elements and ``<br>`` become line breaks; table cells and
images become a space (they separate words, as they do on screen); inline markup separates nothing
(``sup<b>port</b>`` is one word); scripts, styles and what a page's head holds are dropped with
their content. The tag sets are those the search index has always used, so an indexed body keeps
its words (docs/decisions.md).
"""

from __future__ import annotations

from html.parser import HTMLParser

_LINE_BREAKS = frozenset(
    {
        *("address", "article", "aside", "blockquote", "br", "dd", "div", "dl", "dt", "figcaption"),
        *("figure", "footer", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li", "main"),
        *("nav", "ol", "p", "pre", "section", "table", "tr", "ul"),
    }
)
_SPACES = frozenset({"td", "th", "img"})
_DROPPED = frozenset({"script", "style", "head", "title", "template"})


def html_to_text(body: str) -> str:
    """``body`` as text, line structure kept; text without markup or entities comes back as it is."""
    if "<" not in body and "&" not in body:
        return body
    parser = _Text()
    parser.feed(body)
    parser.close()
    return "".join(parser.chunks)


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.chunks: list[str] = []
        self.dropping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _DROPPED:
            self.dropping += 1
        else:
            self._separate(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._separate(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in _DROPPED:
            self.dropping = max(0, self.dropping - 1)
        else:
            self._separate(tag)

    def handle_data(self, data: str) -> None:
        if not self.dropping:
            self.chunks.append(data)

    def _separate(self, tag: str) -> None:
        if tag in _LINE_BREAKS:
            self.chunks.append("\n")
        elif tag in _SPACES:
            self.chunks.append(" ")

"""The words of a body, as ``source.body`` search matches them (the spec: the search runs "against
every element of the value separately", so ``"support"`` finds "I need support").

:func:`tokens` reads the text of the HTML (domain/html_text.py, the text ``display_as=plaintext``
shows), folds case, and splits on every character that is not a word character in Unicode's sense
(letters, digits, underscore): ``"<p>Refund&nbsp;please!</p>"`` → ``["refund", "please"]``.
Blocks, ``<br>``, table cells and images separate words, inline markup does not (``sup<b>port</b>``
is one word); scripts and styles are dropped. Scripts without spaces (Chinese, Japanese, Thai) come
out as one token per run of letters: inboxd does no dictionary segmentation.

:func:`fold` is the one case-insensitive comparison of search: NFKC normalisation (so a
decomposed "é" or a full-width "Ａ" compares like the plain letter), then Unicode case folding
(so "Straße" matches "STRASSE"). Whatever compares columns needs the same fold on the column
side: SQLite's ``lower()`` folds ASCII only, so register :func:`fold` as a function or keep a
folded copy of the column.
"""

from __future__ import annotations

import re
import unicodedata

from inboxd.domain.html_text import html_to_text

_WORD = re.compile(r"\w+")


def fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold()


def tokens(text: str) -> list[str]:
    """The words of ``text`` (HTML or plain), folded, in order, repeats kept."""
    return words(html_to_text(text))


def words(text: str) -> list[str]:
    """The words of plain ``text`` (markup is not read as markup), folded, in order."""
    return _WORD.findall(fold(text))

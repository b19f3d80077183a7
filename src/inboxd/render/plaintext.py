"""HTML bodies as plain text, for ``display_as=plaintext``: the text of domain/html_text.py (the
same the search index reads its words from), spaces collapsed, one line per block, no blank lines.
"""

from __future__ import annotations

import re

from inboxd.domain.html_text import html_to_text


def to_plaintext(body: str | None) -> str | None:
    if body is None or ("<" not in body and "&" not in body):
        return body
    lines = [re.sub(r"[ \t\r\f\v]+", " ", line).strip() for line in html_to_text(body).split("\n")]
    return "\n".join(line for line in lines if line)

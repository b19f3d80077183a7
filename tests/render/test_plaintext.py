from __future__ import annotations

import pytest

from inboxd.render.plaintext import to_plaintext


@pytest.mark.parametrize(
    ("html", "text"),
    [
        ("plain words", "plain words"),
        ("<p>Hello <b>there</b></p>", "Hello there"),
        ("<p>One</p><p>Two</p>", "One\nTwo"),
        ("a<br>b<br/>c", "a\nb\nc"),
        ("Fish &amp; chips &lt;3", "Fish & chips <3"),
        ("<script>alert(1)</script>Safe", "Safe"),
        ("<p>unclosed <i>tags", "unclosed tags"),
        ("<ul><li>one</li><li>two</li></ul>", "one\ntwo"),
        ("  spaced   out  ", "  spaced   out  "),
        ("", ""),
        (None, None),
    ],
)
def test_plaintext(html, text):
    assert to_plaintext(html) == text

"""The body allow-list (domain/html.py): what Intercom's composer writes survives, script in every
disguise does not, and a cleaned body cleans to itself."""

from __future__ import annotations

import pytest

from inboxd.domain.errors import ParameterInvalid
from inboxd.domain.html import sanitise, sanitise_required

REL = 'rel="noopener noreferrer nofollow"'

KEPT = [
    "<p>Hello <b>bold</b> <strong>strong</strong> <i>i</i> <em>em</em> <u>u</u> <s>s</s></p>",
    "<p>one<br>two</p>",
    "<ul><li>a</li></ul><ol><li>b</li></ol>",
    "<pre><code>x = 1</code></pre><blockquote>quoted</blockquote>",
    "<h1>a</h1><h2>b</h2><h3>c</h3><hr>",
    '<img src="https://cdn.example.com/a.png" alt="a chart">',
    "<div><span>plain wrappers</span></div>",
    "just text",
]


@pytest.mark.parametrize("html", KEPT)
def test_the_composers_html_is_kept(html):
    assert sanitise(html) == html


@pytest.mark.parametrize(
    ("dirty", "clean"),
    [
        ("<script>alert(1)</script>after", "after"),
        ("<style>p{color:red}</style>after", "after"),
        ('<p onclick="x()" style="color:red" class="c" id="i">t</p>', "<p>t</p>"),
        ('<img src="x" onerror="alert(1)">', '<img src="x">'),
        ('<a href="javascript:alert(1)">x</a>', f"<a {REL}>x</a>"),
        ('<a href="JaVaScRiPt:alert(1)">x</a>', f"<a {REL}>x</a>"),
        ('<a href="jav&#x09;ascript:alert(1)">x</a>', f"<a {REL}>x</a>"),
        ('<img src="data:image/svg+xml;base64,PHN2Zz4=">', "<img>"),
        (
            '<a href="https://example.com" target="_blank" rel="opener">x</a>',
            f'<a href="https://example.com" {REL}>x</a>',
        ),
        ('<a href="mailto:help@example.com">mail</a>', f'<a href="mailto:help@example.com" {REL}>mail</a>'),
        ('<a href="/attachments/t/f.png">relative</a>', f'<a href="/attachments/t/f.png" {REL}>relative</a>'),
        ("<iframe src='https://evil.test'></iframe>text", "text"),
        ("<svg onload=alert(1)><circle/></svg>text", "text"),
        ("<form action=x><input value=y></form>text", "text"),
        ("<!-- hidden -->text", "text"),
        ("<p>unclosed", "<p>unclosed</p>"),
        ("Tom & Jerry <3", "Tom &amp; Jerry &lt;3"),
        ('<noscript><p title="</noscript><img src=x onerror=alert(1)>">', '&lt;p title="<img src="x">"&gt;'),
    ],
)
def test_everything_else_is_removed(dirty, clean):
    assert sanitise(dirty) == clean
    assert sanitise(clean) == clean  # idempotent: what is stored cleans to itself


@pytest.mark.parametrize("body", ["", "   ", "<script>alert(1)</script>", "<style>x</style>  <!-- c -->"])
def test_a_required_body_that_cleans_to_nothing_is_refused(body):
    with pytest.raises(ParameterInvalid) as raised:
        sanitise_required(body)
    assert raised.value.field == "body"


def test_a_required_body_with_content_is_cleaned():
    assert sanitise_required("<p onclick=x>hi</p>") == "<p>hi</p>"
    assert sanitise_required('<img src="a.png">') == '<img src="a.png">'

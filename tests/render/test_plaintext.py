from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from inboxd.domain.html import sanitise
from inboxd.render.plaintext import to_plaintext
from inboxd.search.tokens import words
from inboxd.store.search_index import index_terms
from inboxd.store.tables import MAX_TOKEN_LENGTH


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
        # the words beside an image or in neighbouring cells stay apart, as the search index reads them
        ('<p>see<img src="https://example.com/a.png">attached</p>', "see attached"),
        ("<table><tr><td>cell</td><td>next</td></tr><tr><th>row</th></tr></table>", "cell next\nrow"),
        ("<section>one</section><footer>two</footer><template>hidden</template>", "one\ntwo"),
    ],
)
def test_plaintext(html, text):
    assert to_plaintext(html) == text


_TAGS = [
    *("p", "div", "br", "li", "ul", "h1", "h5", "blockquote", "pre", "tr", "hr", "td", "th", "img", "section"),
    *("b", "i", "span", "a", "code", "script", "style", "head", "title", "template", "unknown"),
]
_MARKUP = st.builds(
    lambda tag, form: [f"<{tag}>", f"</{tag}>", f"<{tag}/>", f'<{tag} alt="x y">'][form],
    st.sampled_from(_TAGS),
    st.integers(0, 3),
)
_PIECES = st.one_of(
    st.text(max_size=8),
    st.sampled_from(["&amp;", "&lt;b&gt;", "&nbsp;", "&#39;", "&eacute;", "&", "<", "<!-- note -->", "\xa0", "\t\n"]),
    _MARKUP,
)


@settings(max_examples=500, deadline=None, derandomize=True)
@given(body=st.lists(_PIECES, max_size=20).map("".join))
def test_the_indexed_words_of_a_body_are_the_words_its_plaintext_rendering_shows(body):
    for stored in (body, sanitise(body)):  # whatever reaches either; what is stored is sanitised
        shown = to_plaintext(stored) or ""
        assert index_terms(stored) == list(dict.fromkeys(word[:MAX_TOKEN_LENGTH] for word in words(shown)))

"""The tokeniser of source.body and the fold every case-insensitive comparison uses."""

from __future__ import annotations

import pytest

from inboxd.search.tokens import fold, tokens


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # the spec's example
        ("I need support", ["i", "need", "support"]),
        ("<p>Refund&nbsp;please!</p>", ["refund", "please"]),
        # plain text and whitespace
        ("", []),
        ("   ", []),
        ("one\ttwo\nthree", ["one", "two", "three"]),
        ("repeat repeat", ["repeat", "repeat"]),
        # punctuation splits; digits and underscores are word characters
        ("Hello, world... (again)?!", ["hello", "world", "again"]),
        ("order #12345 costs $9.99", ["order", "12345", "costs", "9", "99"]),
        ("don't", ["don", "t"]),
        ("e-mail jane@example.com", ["e", "mail", "jane", "example", "com"]),
        ("snake_case_word", ["snake_case_word"]),
        # HTML: tags vanish, blocks separate words, inline markup does not
        ("<p>Hello <b>there</b></p>", ["hello", "there"]),
        ("<p>one</p><p>two</p>", ["one", "two"]),
        ("a<br>b<br/>c", ["a", "b", "c"]),
        ("<ul><li>x</li><li>y</li></ul>", ["x", "y"]),
        ("<td>cell</td><td>next</td>", ["cell", "next"]),
        ("sup<b>port</b>", ["support"]),
        ('<a href="https://evil.example/path">link</a>', ["link"]),
        ('<img src="x.png" alt="hidden">shown', ["shown"]),
        ("<script>alert('x')</script>safe<style>p {color: red}</style>", ["safe"]),
        ("<p>unclosed <i>tags", ["unclosed", "tags"]),
        ("<!-- a comment -->visible", ["visible"]),
        # entities
        ("Fish &amp; chips &lt;3", ["fish", "chips", "3"]),
        ("it&#39;s &quot;quoted&quot;", ["it", "s", "quoted"]),
        ("caf&eacute; na&#xef;ve", ["café", "naïve"]),
        ("AT&T", ["at", "t"]),
        # case folding and Unicode
        ("SUPPORT Support support", ["support", "support", "support"]),
        ("Straße", ["strasse"]),
        ("ΣΊΣΥΦΟΣ", ["σίσυφοσ"]),
        ("Ｆｕｌｌｗｉｄｔｈ", ["fullwidth"]),
        ("cafe\u0301", ["café"]),  # decomposed é composes under NFKC
        ("ﬁne", ["fine"]),  # the ligature
        ("Привет, мир", ["привет", "мир"]),
        ("我需要帮助", ["我需要帮助"]),  # no segmentation of unspaced scripts
        ("emoji 🎉 party", ["emoji", "party"]),
    ],
)
def test_tokens(text, expected):
    assert tokens(text) == expected


def test_tokens_never_contain_separators_and_are_folded():
    for token in tokens("<div>Mixed CASE, <em>punctuation</em>; &amp; more—dashes</div>"):
        assert token == fold(token)
        assert token.isalnum() or "_" in token


@pytest.mark.parametrize(
    ("text", "folded"),
    [("Support", "support"), ("STRASSE", "strasse"), ("Straße", "strasse"), ("ＡＢＣ", "abc"), ("", "")],
)
def test_fold(text, folded):
    assert fold(text) == folded


def test_fold_makes_case_variants_equal():
    assert fold("Straße") == fold("STRASSE") == fold("strasse")

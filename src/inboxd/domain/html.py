"""Message bodies are HTML, and whoever shows them (an inbox, a Messenger, an email) renders them:
every body inboxd stores passes through :func:`sanitise` first, once, at write time.

The cleaning is ammonia's (Rust, through ``nh3``): an HTML5 parser and an allow-list, not regular
expressions. The allow-list is the HTML Intercom's composer produces — paragraphs, line breaks,
emphasis, links, lists, code, quotes, images, three heading levels. Everything else goes: ``<script>``
and ``<style>`` with their content, other elements keeping only their text, every attribute not
listed (``on*`` handlers, ``style``, ``class``), and URLs whose scheme is not http, https or mailto
(``javascript:``, ``data:``). Links get ``rel="noopener noreferrer nofollow"``. Text is re-serialised,
so a bare ``&`` or ``<`` in plain text comes back escaped (``&amp;``, ``&lt;``): the body is HTML.

Cleaning is idempotent (a cleaned body cleans to itself); what it costs, typically and at the
4 MiB request limit that bounds the worst case, is in docs/security.md.
"""

from __future__ import annotations

import nh3

from inboxd.domain.errors import ParameterInvalid

ALLOWED_TAGS = frozenset(
    {
        *("p", "br", "div", "span", "hr"),
        *("b", "strong", "i", "em", "u", "s"),
        *("a", "img"),
        *("ul", "ol", "li"),
        *("code", "pre", "blockquote"),
        *("h1", "h2", "h3"),
    }
)
ALLOWED_ATTRIBUTES = {"a": {"href"}, "img": {"src", "alt"}}
URL_SCHEMES = frozenset({"http", "https", "mailto"})
LINK_REL = "noopener noreferrer nofollow"

_CLEANER = nh3.Cleaner(
    tags=set(ALLOWED_TAGS),
    clean_content_tags={"script", "style"},
    attributes={tag: set(names) for tag, names in ALLOWED_ATTRIBUTES.items()},
    url_schemes=set(URL_SCHEMES),
    link_rel=LINK_REL,
    strip_comments=True,
)


def sanitise(body: str) -> str:
    """The body with everything outside the allow-list removed."""
    return _CLEANER.clean(body)


def sanitise_required(body: str, field: str = "body") -> str:
    """A body that must say something: one that was nothing but unsafe markup (a lone ``<script>``)
    is as blank as an empty one."""
    cleaned = sanitise(body)
    if not cleaned.strip():
        raise ParameterInvalid(f"{field} must not be blank once unsafe HTML is removed", field=field)
    return cleaned

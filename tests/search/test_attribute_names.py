"""Custom attribute names as a client may write them (quotes, backslashes, dots, `$`, brackets,
escapes, unicode), searched over HTTP on SQLite and PostgreSQL: each name finds exactly the
attribute of that name, as the plain-Python evaluator does, or is refused with a 400."""

from __future__ import annotations

import random
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from inboxd.search.query import parse
from tests import factories
from tests.search.evaluator import document, evaluate

# Each a name of its own: JSON path syntax (`$`, `.`, `[0]`, `"`), escapes that must not be decoded
# (`\u0041` is not `A`), names differing only in case or in a quote, and text outside ASCII (which
# the stored JSON may write escaped).
NAMES = [
    'we"ird',
    '"',
    'plan"',
    '"plan"',
    "plan",
    "PLAN",
    "\\",
    "back\\slash",
    '\\"',
    "\\u0041",
    "A",
    "a.b",
    "a",
    ".",
    "$",
    "$.plan",
    '$."plan"',
    "[0]",
    "a[0]",
    "#-1",
    "*",
    "'",
    "it's",
    " ",
    "x y",
    "%",
    "_",
    "é",
    "e\u0301",
    "日本語",
    "😀",
]
VALUES: list[Any] = ["pro", "Pro", "v1", "", 0, 5, -3, 2.5, True, False, None]


def _build(api: Any) -> list[dict[str, Any]]:
    """Conversations holding random subsets of the names, each with a random value; one with none."""
    rng = random.Random(18)
    shown = [factories.conversation(api)]
    for _ in range(10):
        conversation = factories.conversation(api)
        attributes = {name: rng.choice(VALUES) for name in rng.sample(NAMES, rng.randint(1, 8))}
        response = api.put(f"/conversations/{conversation['id']}", json={"custom_attributes": attributes})
        assert response.status_code == 200, response.text
        shown.append(response.json())
    return [api.get(f"/conversations/{c['id']}").json() for c in shown]


def _filters() -> st.SearchStrategy[dict[str, Any]]:
    names = st.one_of(
        st.sampled_from(NAMES),
        st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=6),
    )
    by_operator = st.one_of(
        st.tuples(st.sampled_from(["=", "!="]), st.sampled_from(VALUES)),
        st.tuples(st.sampled_from(["~", "!~", "^", "$"]), st.sampled_from(["pro", "v", "1", "r"])),
        st.tuples(st.sampled_from([">", "<", ">=", "<="]), st.sampled_from([0, 5, 2.5, -3])),
        st.tuples(st.sampled_from(["IN", "NIN"]), st.sampled_from([["pro", "v1"], [0, 5], [True], [2.5, 5]])),
    )
    return st.builds(
        lambda name, pair: {"field": f"custom_attributes.{name}", "operator": pair[0], "value": pair[1]},
        names,
        by_operator,
    )


def test_every_attribute_name_is_matched_exactly_or_refused(api):
    shown = _build(api)
    docs = {conversation["id"]: document(conversation) for conversation in shown}
    order = [c["id"] for c in sorted(shown, key=lambda c: (c["updated_at"], int(c["id"])), reverse=True)]
    either = st.builds(lambda a, b: {"operator": "OR", "value": [a, b]}, _filters(), _filters())

    @settings(max_examples=150, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
    @given(query=st.one_of(_filters(), either))
    def agree(query: dict[str, Any]) -> None:
        body = {"query": query, "pagination": {"per_page": 150}}
        response = api.post("/conversations/search", json=body)
        leaves = [query] if "field" in query else query["value"]
        names = [leaf["field"].removeprefix("custom_attributes.") for leaf in leaves]
        if not all(name and name.isprintable() for name in names):
            assert response.status_code == 400, (query, response.text)
            assert response.json()["errors"][0]["code"] == "parameter_invalid"
            return
        assert response.status_code == 200, (query, response.text)
        tree = parse({"query": query}).root
        assert tree is not None
        expected = [cid for cid in order if evaluate(tree, docs[cid])]
        assert [c["id"] for c in response.json()["conversations"]] == expected, query

    agree()

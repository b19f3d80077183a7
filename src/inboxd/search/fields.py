"""The searchable fields of a conversation: the table of the spec's "Search conversations" text
(``/conversations/search`` in intercom-2.10.yaml) as data, one row per field.

Operators by type follow the spec's operator table, where it is silent inboxd decides:

=========  ==========================================================================
String     ``=`` ``!=`` ``IN`` ``NIN`` ``~`` ``!~`` ``^`` ``$``
Integer    ``=`` ``!=`` ``IN`` ``NIN`` ``>`` ``>=`` ``<`` ``<=``
Date       same as Integer (a UNIX timestamp in seconds)
Boolean    ``=`` ``!=`` ``IN`` ``NIN`` (the table's "All" rows; nothing else means anything)
Number     same as Integer; only custom attributes whose query value is a float have it
=========  ==========================================================================

``>`` and ``<`` are **strict**; ``>=`` and ``<=`` include the bound. The operator table calls
``>`` "Greater (or equal) than", but the same spec's ``single_filter_search_request`` enumerates
``>=`` and ``<=`` as operators of their own, which would be pointless if ``>`` already included
the bound; strict is also what SQL's ``>`` and Elasticsearch's ``gt`` mean.
:data:`INCLUSIVE_GT_LT` holds this choice for the compiler.

Semantics every backend must share (the compiler and any plain-Python evaluator):

* ``!=``, ``NIN`` and ``!~`` are the exact complements of ``=``, ``IN`` and ``~``: a
  conversation whose value is null (no admin assignee, no statistics yet) matches ``!= 5``.
  ``>``, ``>=``, ``<``, ``<=``, ``~``, ``^`` and ``$`` never match null.
* ``= null`` means "is null" and ``!= null`` "is not null"; for a ``multi`` or ``tokenised`` field
  null means "has no elements" (no contacts, no tags, an empty body).
* ``multi`` fields hold a set of ids: ``=`` means "contains", ``IN`` "contains one of", and the
  negations above follow.
* ``tokenised`` fields (``source.body``) are matched token by token, never as a whole — the spec
  says a body "I need support" is found by ``= "support"`` and not by ``= "need support"``. A value
  with a space is accepted and can never equal a token. Tokens come from
  :func:`inboxd.search.tokens.tokens`: HTML stripped, case-folded, split on non-word characters.
* ``=``, ``!=``, ``IN`` and ``NIN`` on a String field compare exactly (case matters): the values
  are ids and identifiers such as ``open`` or ``email``, and exact comparison can use an index.
  ``~``, ``!~``, ``^`` and ``$`` ignore case, as does every operator on a tokenised field: both
  sides are compared after :func:`inboxd.search.tokens.fold`. The parser hands those values over
  already folded (see :mod:`inboxd.search.query`), so the compiler folds only the column side.
* ``enum`` lists the values the spec documents for a field. A value outside it is accepted and
  simply matches nothing, as a search for a state no conversation has would; the enum is there so
  a backend may decide such a filter without a lookup (``=`` nothing, ``!=`` everything) and so
  docs/search.md can list the values.
* ``numeric_id`` marks String fields holding Intercom's numeric-string ids (conversations,
  messages, admins, tags). They accept an integer too and compare its decimal string, as the rest
  of inboxd accepts ``admin_id: 991267921`` (docs/decisions.md). Contact ids are 24 hex
  characters, so ``contact_ids`` and ``conversation_rating.contact_id`` want strings.

The spec's table writes ``conversation_rating.admin_d``, a typo for ``admin_id``. That row keeps
the spec's name so clients copying the table work; :data:`ALIASES` makes ``admin_id`` find it.

``custom_attributes.<name>`` is not a row: it is a field per attribute, typed by the value in the
query (a string is a String, a boolean a Boolean, an integer an Integer, a float a Number).
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from inboxd.domain.conversations import PRIORITY_LEVELS
from inboxd.domain.errors import ParameterInvalid


class FieldType(enum.Enum):
    STRING = "String"
    INTEGER = "Integer"
    DATE = "Date"
    BOOLEAN = "Boolean"
    NUMBER = "Number"

    @property
    def label(self) -> str:
        """ "a String field", "an Integer field": for error messages."""
        article = "an" if self.value[0] in "AEIOU" else "a"
        return f"{article} {self.value} field"


CUSTOM_PREFIX: Final = "custom_attributes."


@dataclass(frozen=True)
class Field:
    name: str
    type: FieldType
    multi: bool = False
    tokenised: bool = False
    enum: tuple[str, ...] | None = None
    numeric_id: bool = False

    @property
    def custom_attribute(self) -> str | None:
        """The attribute's name for ``custom_attributes.<name>``, else None."""
        return self.name[len(CUSTOM_PREFIX) :] if self.name.startswith(CUSTOM_PREFIX) else None


EQUALITY: Final = frozenset({"=", "!="})
LIST: Final = frozenset({"IN", "NIN"})
RANGE: Final = frozenset({">", ">=", "<", "<="})
TEXT: Final = frozenset({"~", "!~", "^", "$"})
ALL_OPERATORS: Final = ("=", "!=", "IN", "NIN", ">", ">=", "<", "<=", "~", "!~", "^", "$")

# '>' means strictly greater and '<' strictly lower; '>=' and '<=' include the bound (module doc).
INCLUSIVE_GT_LT: Final = False

# Each negative operator and the positive one it complements (a null value matches the negative).
NEGATIONS: Final[Mapping[str, str]] = {"!=": "=", "NIN": "IN", "!~": "~"}

# Operators whose String values are compared case-insensitively, through tokens.fold().
CASE_INSENSITIVE: Final = TEXT

OPERATORS: Final[Mapping[FieldType, frozenset[str]]] = {
    FieldType.STRING: EQUALITY | LIST | TEXT,
    FieldType.INTEGER: EQUALITY | LIST | RANGE,
    FieldType.DATE: EQUALITY | LIST | RANGE,
    FieldType.NUMBER: EQUALITY | LIST | RANGE,
    FieldType.BOOLEAN: EQUALITY | LIST,
}

STRING, INTEGER, DATE, BOOLEAN = FieldType.STRING, FieldType.INTEGER, FieldType.DATE, FieldType.BOOLEAN

SOURCE_TYPES: Final = (
    "conversation",
    "email",
    "facebook",
    "instagram",
    "phone_call",
    "phone_switch",
    "push",
    "sms",
    "twitter",
    "whatsapp",
)

# The spec's table, in its order. Enums: source.type from the table itself, state and priority
# from the newest description's `conversation` schema (older versions' requests are read as the newest:
# render/versions/changes.py).
FIELDS: Final[tuple[Field, ...]] = (
    Field("id", STRING, numeric_id=True),
    Field("created_at", DATE),
    Field("updated_at", DATE),
    Field("source.type", STRING, enum=SOURCE_TYPES),
    Field("source.id", STRING, numeric_id=True),
    Field("source.delivered_as", STRING),
    Field("source.subject", STRING),
    Field("source.body", STRING, tokenised=True),
    # An admin's id is numeric, a contact's is hex: integers are accepted for the admin case.
    Field("source.author.id", STRING, numeric_id=True),
    Field("source.author.type", STRING),
    Field("source.author.name", STRING),
    Field("source.author.email", STRING),
    Field("source.url", STRING),
    Field("contact_ids", STRING, multi=True),
    Field("teammate_ids", STRING, multi=True, numeric_id=True),
    Field("admin_assignee_id", INTEGER),
    Field("team_assignee_id", INTEGER),
    Field("channel_initiated", STRING),
    Field("open", BOOLEAN),
    Field("read", BOOLEAN),
    Field("state", STRING, enum=("open", "closed", "snoozed")),
    Field("waiting_since", DATE),
    Field("snoozed_until", DATE),
    Field("tag_ids", STRING, multi=True, numeric_id=True),
    Field("priority", STRING, enum=PRIORITY_LEVELS),
    Field("statistics.time_to_assignment", INTEGER),
    Field("statistics.time_to_admin_reply", INTEGER),
    Field("statistics.time_to_first_close", INTEGER),
    Field("statistics.time_to_last_close", INTEGER),
    Field("statistics.median_time_to_reply", INTEGER),
    Field("statistics.first_contact_reply_at", DATE),
    Field("statistics.first_assignment_at", DATE),
    Field("statistics.first_admin_reply_at", DATE),
    Field("statistics.first_close_at", DATE),
    Field("statistics.last_assignment_at", DATE),
    Field("statistics.last_assignment_admin_reply_at", DATE),
    Field("statistics.last_contact_reply_at", DATE),
    Field("statistics.last_admin_reply_at", DATE),
    Field("statistics.last_close_at", DATE),
    Field("statistics.last_closed_by_id", STRING, numeric_id=True),
    Field("statistics.count_reopens", INTEGER),
    Field("statistics.count_assignments", INTEGER),
    Field("statistics.count_conversation_parts", INTEGER),
    Field("conversation_rating.requested_at", DATE),
    Field("conversation_rating.replied_at", DATE),
    Field("conversation_rating.score", INTEGER),
    Field("conversation_rating.remark", STRING),
    Field("conversation_rating.contact_id", STRING),
    Field("conversation_rating.admin_d", STRING, numeric_id=True),  # sic: the spec's spelling
    Field("ai_agent_participated", BOOLEAN),
    Field("ai_agent.resolution_state", STRING),
    Field("ai_agent.last_answer_type", STRING),
    Field("ai_agent.rating", INTEGER),
    Field("ai_agent.rating_remark", STRING),
    Field("ai_agent.source_type", STRING),
    Field("ai_agent.source_title", STRING),
)

BY_NAME: Final[Mapping[str, Field]] = {field.name: field for field in FIELDS}

# Other names a client may use for a row; lookup() answers with the row itself.
ALIASES: Final[Mapping[str, str]] = {"conversation_rating.admin_id": "conversation_rating.admin_d"}


def lookup(name: str, value: object, *, path: str = "query.field") -> Field:
    """The field called ``name``. ``value`` (the query's value, an array for IN/NIN) types a
    ``custom_attributes.<name>`` field; for the table's fields it is ignored. Unknown names raise
    :class:`ParameterInvalid` with ``field=path``."""
    field = BY_NAME.get(ALIASES.get(name, name))
    if field is not None:
        return field
    attribute = name[len(CUSTOM_PREFIX) :] if name.startswith(CUSTOM_PREFIX) else ""
    if attribute and attribute.isprintable():
        return Field(name, _custom_type(value))
    raise ParameterInvalid(f"unknown field {name!r}", field=path)


def _custom_type(value: object) -> FieldType:
    # A custom attribute's type is the value's. An array (IN/NIN) takes its first element's type,
    # widened from Integer to Number when a float follows; anything untypeable (null, an empty
    # array, an object) counts as a String, and the value check then reports what is wrong.
    items = value if isinstance(value, list) else [value]
    first = items[0] if items else None
    if isinstance(first, bool):
        return FieldType.BOOLEAN
    if isinstance(first, float) or (isinstance(first, int) and any(isinstance(item, float) for item in items)):
        return FieldType.NUMBER
    if isinstance(first, int):
        return FieldType.INTEGER
    return FieldType.STRING

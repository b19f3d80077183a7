"""Request field types shared by the handlers.

Intercom's clients send ids both as strings and as numbers (the spec's own request examples send
``admin_id: 991267921`` for a string field), so id fields accept either and become strings. Other
fields are strict: ``"true"`` is not a boolean and ``"5"`` is not an integer.
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StrictBool, StrictInt, StrictStr


def _id(value: Any) -> Any:
    if isinstance(value, bool):
        return value  # rejected below as not a string
    if isinstance(value, int):
        return str(value)
    return value


IdStr = Annotated[StrictStr, BeforeValidator(_id)]

# Every integer inboxd stores is a 64-bit column: a larger JSON number is a 400, not a database error.
Int64 = Annotated[StrictInt, Field(ge=-(2**63), le=2**63 - 1)]


class Request(BaseModel):
    """A request body: unknown fields are ignored, as Intercom ignores them."""

    model_config = ConfigDict(extra="ignore")
    # The description's name for this kind of body, where some version reads it differently
    # (render/versions/changes.py: a change's ``request``); api/http.py ``Call.parsed`` uses it.
    kind: ClassVar[str | None] = None


__all__ = ["IdStr", "Int64", "Request", "StrictBool", "StrictStr"]

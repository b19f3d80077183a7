"""Column widths as request limits. PostgreSQL refuses a string longer than its column where SQLite
would keep it, so the domain checks the widths of store/tables/ itself and both engines answer
alike: a 400 naming the field, never a database error."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from inboxd.domain.errors import ParameterInvalid


def check_lengths(fields: Mapping[str, Any], limits: Mapping[str, int]) -> None:
    for field, limit in limits.items():
        value = fields.get(field)
        if isinstance(value, str) and len(value) > limit:
            raise ParameterInvalid(f"{field} is longer than {limit} characters", field=field)


# Every time a request may carry is Unix seconds from 1970-01-01 up to, not including,
# 3000-01-01T00:00:00Z: a negative date or one in the year 33,658 is a client's bug, not a plan
# (docs/decisions.md). The bound also keeps every date inside what datetime and both databases read.
MAX_TIMESTAMP = 32_503_680_000


def check_timestamp(value: int | None, field: str) -> None:
    if value is not None and not 0 <= value < MAX_TIMESTAMP:
        raise ParameterInvalid(
            f"{field} must be a Unix time in seconds from 0 up to {MAX_TIMESTAMP} (the year 3000)", field=field
        )

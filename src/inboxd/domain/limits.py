"""Column widths as request limits. PostgreSQL refuses a string longer than its column where SQLite
would keep it, so the domain checks the widths of store/tables.py itself and both engines answer
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

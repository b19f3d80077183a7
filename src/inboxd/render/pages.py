"""The ``pages`` object of list responses (`cursor_pages` in the spec)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass
class Page:
    """One page of a cursor walk, as the handlers hand it to render."""

    rows: list[dict[str, Any]]
    page: int
    per_page: int
    next_cursor: str | None


def pages_object(page: Page, total_count: int) -> dict[str, Any]:
    pages: dict[str, Any] = {
        "type": "pages",
        "page": page.page,
        "per_page": page.per_page,
        "total_pages": max(1, -(-total_count // page.per_page)),
    }
    # No `next` means the end.
    if page.next_cursor is not None:
        pages["next"] = {"per_page": page.per_page, "starting_after": page.next_cursor}
    return pages

"""Conversation search: the typed tree of inboxd.search compiled to SQLAlchemy Core, run on indexes.

Each field of ``search/fields.py`` maps to one SQL expression in :func:`_target` (a column, a JSON
member, a scalar subquery, or a related table for the multi-valued and tokenised fields); each
operator then has one meaning for every field, the one the module docstring of ``search/fields.py``
states (negations are exact complements and match null, range and text operators never do).

Plans. Results come newest-updated first, ``(updated_at, id)`` descending, the order of
``GET /conversations``. Two plans can produce that order (docs/search.md): *walk*
the ``(workspace_id, updated_at, id)`` index newest first, testing each conversation, which finds a
page in a few rows when matches are common; or *read the matches first* from a narrower index and
sort them, which wins when they are few. Both touch about the same number of rows when a filter
matches ``sqrt((per_page + 1) × conversations)`` of them (:attr:`Planner.threshold`), so
:class:`Planner` decides per filter from what it can learn cheaply:

* a body word, from ``token_stats`` (how many conversations carry it);
* a contact, teammate or tag, by reading at most ``threshold + 1`` of its index entries;
* a ``created_at`` range at the top of the query, from ``conversation_days`` (conversations per
  day of creation, with their lowest and highest id): how many it holds, how many were created after
  it (which a walk would have to pass before reaching it), how many days it spans, in O(days).

Related values with few conversations are read first and handed to the page as a list of ids (no
correlated probe per conversation); beside a ``created_at`` range they are read only between the
range's ids. A range is walked, sorted (ordering on an expression no index serves), or, when it is
the whole query, read as each day's first page from the (workspace, created day, updated_at) index
and merged: days × page entries, whatever the range holds. An ``OR`` whose branches are inboxes
(a state and an assignee each) merges each branch's first page from its own index. ``OR`` of one
multi-valued field is one ``IN``. ``total_count`` is exact up to a limit the caller gives
(docs/search.md): counted in the same pass as the page when the page sorts its matches anyway, from
``token_stats``, ``conversation_days`` or the related index when the query is one filter, a
``UNION`` of the inboxes, else by reading at most ``limit + 1`` matches.
"""

from inboxd.store.search.planner import Planner
from inboxd.store.search.searcher import UNCACHED_FILTERS, Search

__all__ = ["UNCACHED_FILTERS", "Planner", "Search"]

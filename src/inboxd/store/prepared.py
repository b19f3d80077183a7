"""Core statements compiled once per dialect and run on the DBAPI cursor of the request's connection.

SQLAlchemy's ``Connection.execute`` costs more Python per statement than SQLite takes to run it,
even for a statement built once (an execution context, cache-key lookup, result metadata, Row
objects), and a reply or a close runs a dozen statements while it holds SQLite's write lock, which
every other writer waits for (the figures: docs/decisions.md, Performance, "Statements on the write
path … are `Prepared`"). A :class:`Prepared` statement keeps
what SQLAlchemy compiled (the SQL text, where each parameter goes, the type processors for
parameters and results) and does per call only what is left: fill in the parameters, execute on
the same DBAPI connection, in the same transaction, and turn rows into dicts. The statement is
still written with Core (store/tables/ stays the one schema) and means the same on both engines.

Supported: parameters given by name (``bindparam``), expanding ``IN`` lists
(``bindparam(..., expanding=True)``), ``RETURNING``. An INSERT or UPDATE is compiled for the set
of columns it is given (one form per set); columns with a Python-side default must be given.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError, StatementError
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.dml import Insert, Update

_EXPANDING = re.compile(r"__\[POSTCOMPILE_(\w+)\]")
_IN_LIST = re.compile(r" IN \(__\[POSTCOMPILE_(\w+)\]\)")

Processor = Callable[[Any], Any]


class _Form:
    """One statement compiled for one dialect (and one set of DML columns)."""

    __slots__ = (
        "_sized",
        "binds",
        "defaults",
        "expanding",
        "keys",
        "names",
        "positional",
        "processed_at",
        "results",
        "sql",
    )

    def __init__(self, statement: ClauseElement, dialect: Dialect, columns: frozenset[str] | None) -> None:
        compiled = statement.compile(dialect=dialect, column_keys=sorted(columns) if columns is not None else None)
        assert isinstance(compiled, SQLCompiler)
        prefetch = [c.key for c in (*compiled.insert_prefetch, *compiled.update_prefetch)]
        if prefetch:
            raise ValueError(f"give a value for every column with a Python default: {prefetch}")
        self.sql = compiled.string
        self.positional = bool(compiled.positional)
        self.names: tuple[str, ...] = tuple(compiled.positiontup or ()) if self.positional else ()
        by_name = {name: bind for bind, name in compiled.bind_names.items()}
        self.defaults = {name: bind.effective_value for name, bind in by_name.items() if not bind.required}
        self.binds: list[tuple[str, Processor]] = []
        self.expanding: dict[str, tuple[Processor | None, str]] = {}
        for name, bind in by_name.items():
            process = bind.type._cached_bind_processor(dialect)
            if bind.expanding:
                self.expanding[name] = (process, dialect.type_compiler_instance.process(bind.type))
            elif process is not None:
                self.binds.append((name, process))
        entries = compiled._result_columns or []
        self.keys: tuple[str, ...] = tuple(entry.keyname for entry in entries)
        processors = [entry.type._cached_result_processor(dialect, None) for entry in entries]
        self.results: tuple[tuple[str, Processor], ...] = tuple(
            (key, p) for key, p in zip(self.keys, processors, strict=True) if p is not None
        )
        self.processed_at: tuple[tuple[int, Processor], ...] = tuple(
            (i, p) for i, p in enumerate(processors) if p is not None
        )
        self._sized: dict[tuple[int, ...], tuple[str, tuple[str, ...]]] = {}

    def arguments(self, params: Mapping[str, Any]) -> tuple[str, Any]:
        """The SQL and DBAPI parameters for one call."""
        values = {**self.defaults, **params}
        for name, process in self.binds:
            values[name] = process(values[name])
        sql = self.sql
        names = self.names
        if self.expanding:
            sql, names = self._expanded(values)
        if self.positional:
            return sql, tuple(values[name] for name in names)
        return sql, values

    def _expanded(self, values: dict[str, Any]) -> tuple[str, tuple[str, ...]]:
        """Expanding lists: ``IN (?, ?, ?)`` on SQLite (one form per list length, kept), ``= ANY``
        of one typed array on PostgreSQL (one form)."""
        for name, (process, _) in self.expanding.items():
            items = list(values[name])
            values[name] = [process(item) for item in items] if process is not None else items
        if not self.positional:
            found = self._sized.get(())
            if found is None:
                found = self._sized[()] = (self._any_array(), ())
            return found
        sizes = tuple(len(values[name]) for name in self.expanding)
        found = self._sized.get(sizes)
        if found is None:
            found = self._sized[sizes] = self._placeholders(sizes)
        sql, names = found
        for name in self.expanding:  # spread each list over numbered names
            for i, item in enumerate(values.pop(name)):
                values[f"{name}#{i}"] = item
        return sql, names

    def _any_array(self) -> str:
        """``x IN (__[POSTCOMPILE_ids])`` → ``x = ANY(CAST(%(ids)s AS BIGINT[]))``."""

        def replace(match: re.Match[str]) -> str:
            name = match.group(1)
            return f" = ANY(CAST(%({name})s AS {self.expanding[name][1]}[]))"

        sql = _IN_LIST.sub(replace, self.sql)
        if "POSTCOMPILE" in sql:
            raise ValueError(f"only `IN` takes an expanding list here: {self.sql}")
        return sql

    def _placeholders(self, sizes: tuple[int, ...]) -> tuple[str, tuple[str, ...]]:
        """SQLite's form for lists of these lengths: ``?`` per item, and the names in their order."""
        size = dict(zip(self.expanding, sizes, strict=True))
        names: list[str] = []
        for name in self.names:
            if name in size:
                names.extend(f"{name}#{i}" for i in range(size[name]))
            else:
                names.append(name)

        def replace(match: re.Match[str]) -> str:
            # An empty list matches nothing, as SQLAlchemy renders it.
            count = size[match.group(1)]
            return ", ".join("?" * count) if count else "SELECT 1 WHERE 1 != 1"

        return _EXPANDING.sub(replace, self.sql), tuple(names)


class Prepared:
    """A Core statement run without SQLAlchemy's per-statement cost (see the module's text).

    ``rows`` / ``first`` / ``scalar`` answer plain dicts and values (``values``: each row a
    sequence), processed by the column types as SQLAlchemy would (JSON parsed, SQLite's 0/1 made
    booleans); ``run`` answers the row count; ``inserted`` runs an INSERT … RETURNING and answers
    the first column of its row."""

    __slots__ = ("_dml", "_forms", "statement")

    def __init__(self, statement: ClauseElement) -> None:
        self.statement = statement
        self._forms: dict[tuple[str, frozenset[str] | None], _Form] = {}
        self._dml = isinstance(statement, Insert | Update)  # compiled for the columns it is given

    def _form(self, dialect: Dialect, params: Mapping[str, Any]) -> _Form:
        key = (dialect.name, frozenset(params) if self._dml else None)
        form = self._forms.get(key)
        if form is None:
            form = self._forms[key] = _Form(self.statement, dialect, key[1])
        return form

    def _execute(self, conn: Connection, params: Mapping[str, Any]) -> tuple[_Form, Any]:
        form = self._form(conn.dialect, params)
        sql, arguments = form.arguments(params)
        # The DBAPI connection: the driver's own, or on the event loop the asyncio layer's adapter
        # of it, which awaits each call on the loop (store/loop_work.py).
        cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        try:
            cursor.execute(sql, arguments)
        except conn.dialect.loaded_dbapi.Error as exc:
            cursor.close()
            raise _wrapped(conn, sql, arguments, exc) from exc
        return form, cursor

    def _fetched(self, conn: Connection, params: Mapping[str, Any]) -> tuple[_Form, list[Any]]:
        form, cursor = self._execute(conn, params)
        try:
            return form, cursor.fetchall()  # drained: an unfinished SQLite statement keeps its snapshot
        except conn.dialect.loaded_dbapi.Error as exc:
            raise _wrapped(conn, form.sql, params, exc) from exc
        finally:
            cursor.close()

    def rows(self, conn: Connection, params: Mapping[str, Any]) -> list[dict[str, Any]]:
        form, fetched = self._fetched(conn, params)
        return [_row(form, row) for row in fetched]

    def values(self, conn: Connection, params: Mapping[str, Any]) -> list[Sequence[Any]]:
        """The rows as sequences in the statement's column order, processed as :meth:`rows`
        processes them: for a caller that unpacks each row at once (no dict to take apart)."""
        form, fetched = self._fetched(conn, params)
        at = form.processed_at
        if not at:
            return fetched
        out: list[Sequence[Any]] = []
        for row in fetched:
            values = list(row)
            for i, process in at:
                values[i] = process(values[i])
            out.append(values)
        return out

    def first(self, conn: Connection, params: Mapping[str, Any]) -> dict[str, Any] | None:
        form, fetched = self._fetched(conn, params)
        return _row(form, fetched[0]) if fetched else None

    def scalar(self, conn: Connection, params: Mapping[str, Any]) -> Any:
        row = self.first(conn, params)
        return None if row is None else next(iter(row.values()))

    def run(self, conn: Connection, params: Mapping[str, Any]) -> int:
        _, cursor = self._execute(conn, params)
        try:
            return int(cursor.rowcount)
        finally:
            cursor.close()

    def inserted(self, conn: Connection, params: Mapping[str, Any]) -> Any:
        row = self.first(conn, params)
        assert row is not None, "an INSERT … RETURNING answered no row"
        return next(iter(row.values()))


def _wrapped(conn: Connection, sql: str, arguments: Any, exc: Exception) -> StatementError:
    """The driver's error as SQLAlchemy's class for it (IntegrityError, OperationalError, …), as
    ``Connection.execute`` would raise it: the retries of a write and the HTTP error handlers
    (api/errors.py) know those, whichever way the statement ran."""
    return DBAPIError.instance(sql, arguments, exc, conn.dialect.loaded_dbapi.Error, dialect=conn.dialect)


def _row(form: _Form, row: Iterable[Any]) -> dict[str, Any]:
    out = dict(zip(form.keys, row, strict=True))
    for key, process in form.results:
        out[key] = process(out[key])
    return out

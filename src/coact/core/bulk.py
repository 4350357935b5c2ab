"""Bulk inserts without model instances, for the jobs that write thousands of rows at once
(the overdue scan's stream, notifications and audit entries; the HJ 212 gateway's batches).

``insert_rows`` takes a model and field names; ``copy_rows`` is its PostgreSQL core for callers
that hold rows already in database form. Neither sends signals nor applies defaults, as with
``bulk_create``; both run on Django's connection, inside the caller's transaction.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from django.db import connection, models
from django.db.models.constants import OnConflict


def insert_rows(
    model: type[models.Model],
    field_names: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    ignore_conflicts: bool = False,
) -> None:
    """Insert many new rows of ``model`` without building model instances (bulk jobs: the
    audit entries of ``core.audit.log_bulk_changes``, the overdue scan's update stream and
    notifications).

    Each row holds the values of ``field_names`` in order: plain values as the database
    stores them (str, int, bool, None; a foreign key's id), Python objects for JSON fields,
    aware datetimes. Fields not named get NULL, so name every NOT NULL field; defaults and
    ``auto_now_add`` are not applied, nor are signals sent (as with ``bulk_create``).
    ``ignore_conflicts`` skips rows that break a unique constraint.

    On PostgreSQL the rows go in with ``COPY ... FROM STDIN`` (psycopg formats them in C;
    through a temporary table when conflicts are ignored, as COPY has no ON CONFLICT);
    elsewhere with one ``executemany`` INSERT. Runs on Django's connection, so inside the
    caller's transaction."""
    if not rows:
        return
    fields = [model._meta.get_field(name) for name in field_names]
    rows = _db_rows(fields, rows)
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    columns = ", ".join(quote(f.column) for f in fields)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            copy_rows(cursor.cursor, table, columns, rows, ignore_conflicts=ignore_conflicts)
            return
        on_conflict = OnConflict.IGNORE if ignore_conflicts else None
        sql = "{} {} ({}) VALUES ({}) {}".format(
            connection.ops.insert_statement(on_conflict=on_conflict),
            table,
            columns,
            ", ".join(["%s"] * len(fields)),
            connection.ops.on_conflict_suffix_sql(fields, on_conflict, [], []),
        )
        cursor.executemany(sql, rows)


def _db_rows(fields: Sequence[models.Field], rows: Sequence[Sequence[Any]]) -> list[list[Any]]:
    """The rows with JSON as text and datetimes as the backend stores them. A JSON value
    shared by many rows (one object) is encoded once."""
    adapt_moment = connection.ops.adapt_datetimefield_value
    converters: list[tuple[int, Any]] = []
    for index, f in enumerate(fields):
        if isinstance(f, models.JSONField):
            encoded: dict[int, str] = {}

            def to_json(value: Any, f: models.JSONField = f, encoded: dict = encoded) -> Any:
                if value is None:
                    return None
                key = id(value)  # the value lives in ``rows`` while this runs
                if key not in encoded:
                    encoded[key] = json.dumps(value, cls=f.encoder)
                return encoded[key]

            converters.append((index, to_json))
        elif isinstance(f, models.DateTimeField) and connection.vendor != "postgresql":
            converters.append((index, adapt_moment))
    prepared = []
    for row in rows:
        values = list(row)
        for index, convert in converters:
            values[index] = convert(values[index])
        prepared.append(values)
    return prepared


def copy_rows(
    cursor: Any,
    table: str,
    columns: str,
    rows: Sequence[Sequence[Any]],
    *,
    ignore_conflicts: bool = False,
) -> None:
    """PostgreSQL: ``rows`` (values as the database takes them) into ``table`` by ``COPY ...
    FROM STDIN`` on ``cursor`` (a psycopg cursor; Django's ``cursor.cursor``), in the
    caller's transaction. psycopg formats the rows in C: several times faster than
    ``executemany`` or an INSERT of arrays (measured: the gateway's batches, the overdue scan).

    COPY has no ON CONFLICT: with ``ignore_conflicts`` the rows go into a temporary table of
    the same columns (made once per connection, emptied at commit) and move on by one
    ``INSERT ... SELECT ... ON CONFLICT DO NOTHING``. ``table`` and ``columns`` are quoted SQL."""
    target = table
    if ignore_conflicts:
        target = connection.ops.quote_name("coact_copy_" + table.strip('"'))
        cursor.execute(
            f"CREATE TEMPORARY TABLE IF NOT EXISTS {target} ON COMMIT DELETE ROWS AS"
            f" SELECT {columns} FROM {table} WITH NO DATA"
        )
        cursor.execute(f"DELETE FROM {target}")  # a second call in the same transaction
    with cursor.copy(f"COPY {target} ({columns}) FROM STDIN") as copy:
        write = copy.write_row
        for row in rows:
            write(row)
    if ignore_conflicts:
        cursor.execute(
            f"INSERT INTO {table} ({columns}) SELECT {columns} FROM {target} ON CONFLICT DO NOTHING"
        )

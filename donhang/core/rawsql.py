"""Statements for the hot path of order intake, written from the models' metadata.

Building a statement costs the ORM far more than running it (an INSERT of one row, a lookup by
an indexed column: ≈ 0.3–0.6 ms of Python for ≈ 0.05 ms in SQLite or a round trip to
PostgreSQL). Here the SQL of a model is built once per process (from `_meta`, so it follows the
models) and each call only prepares the values, as the ORM's own INSERT would (`pre_save` with
add=True, `get_db_prep_save`) and converts what it reads as the ORM's SELECT would (the backend's
and the field's converters, then `Model.from_db`). No signals are sent (bulk_create sends none
either; the project connects none to these models).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import BooleanField, CharField, Field, TextField

_cache: dict[tuple, object] = {}


def _connection():
    """The connection itself: `django.db.connection` is a proxy that looks it up on every
    attribute, which the preparation of each value would do many times."""
    return connections[DEFAULT_DB_ALIAS]


def _insert_fields(model) -> list:
    """[(field, plain type or None, reads its attribute as pre_save does)] of the columns an
    INSERT writes. A value of the field's plain type (str for text, bool for booleans) is what
    `get_db_prep_save` would hand to the driver unchanged: it is passed as it is."""
    key = ("insert_fields", model)
    fields = _cache.get(key)
    if fields is None:
        fields = []
        for f in model._meta.concrete_fields:
            if f.primary_key:
                continue
            cls = type(f)
            plain = None
            if (
                cls.get_db_prep_save is Field.get_db_prep_save
                and cls.get_db_prep_value is Field.get_db_prep_value
            ):
                if cls.get_prep_value in (CharField.get_prep_value, TextField.get_prep_value):
                    plain = str
                elif cls.get_prep_value is BooleanField.get_prep_value:
                    plain = bool
            fields.append((f, plain, cls.pre_save is Field.pre_save))
        _cache[key] = fields
    return fields


def _prepared(obj, fields, conn) -> list:
    out = []
    for f, plain, read in fields:
        value = getattr(obj, f.attname) if read else f.pre_save(obj, True)
        out.append(value if type(value) is plain else f.get_db_prep_save(value, conn))
    return out


def insert(objs: Sequence, *, on_conflict: tuple[Sequence[str], Sequence[str]] | None = None):
    """INSERT the unsaved instances `objs` (one model) in one statement and set their primary
    keys, as `bulk_create` would. `on_conflict=(unique columns, columns to update)`: an upsert
    (then the ids are not read back). Returns `objs`."""
    if not objs:
        return objs
    conn = _connection()
    model = type(objs[0])
    fields = _insert_fields(model)
    batch = max(conn.ops.bulk_batch_size([f for f, _plain, _read in fields], objs), 1)
    if len(objs) > batch:  # within the backend's limit of parameters per statement
        for start in range(0, len(objs), batch):
            insert(objs[start : start + batch], on_conflict=on_conflict)
        return objs
    conflict = (tuple(on_conflict[0]), tuple(on_conflict[1])) if on_conflict else None
    key = ("insert", model, conn.vendor, len(objs), conflict)
    sql = _cache.get(key)
    if sql is None:
        _q = conn.ops.quote_name
        row = f"({', '.join(['%s'] * len(fields))})"
        columns = ", ".join(_q(f.column) for f, _plain, _read in fields)
        sql = (
            f"INSERT INTO {_q(model._meta.db_table)} ({columns}) "
            f"VALUES {', '.join([row] * len(objs))}"
        )
        if on_conflict is None:
            sql += f" RETURNING {_q(model._meta.pk.column)}"
        else:
            unique, update = on_conflict
            sql += f" ON CONFLICT ({', '.join(_q(c) for c in unique)}) DO UPDATE SET " + ", ".join(
                f"{_q(c)} = EXCLUDED.{_q(c)}" for c in update
            )
        _cache[key] = sql
    params = [value for obj in objs for value in _prepared(obj, fields, conn)]
    with conn.cursor() as cur:
        cur.execute(sql, params)
        ids = cur.fetchall() if on_conflict is None else []
    for obj, (pk,) in zip(objs, ids, strict=False):
        obj.pk = pk
    for obj in objs:
        obj._state.adding = False
        obj._state.db = conn.alias
    return objs


def update(model, pk, **values) -> None:
    """UPDATE one row by primary key: {field name: value} (plain values, no expressions)."""
    conn = _connection()
    fields = [model._meta.get_field(name) for name in values]
    key = ("update", model, conn.vendor, tuple(values))
    sql = _cache.get(key)
    if sql is None:
        _q = conn.ops.quote_name
        sql = (
            f"UPDATE {_q(model._meta.db_table)} SET "
            + ", ".join(f"{_q(f.column)} = %s" for f in fields)
            + f" WHERE {_q(model._meta.pk.column)} = %s"
        )
        _cache[key] = sql
    params = [f.get_db_prep_save(v, conn) for f, v in zip(fields, values.values(), strict=True)]
    with conn.cursor() as cur:
        cur.execute(sql, [*params, pk])


def _readers(conn, model, alias: str) -> tuple[list[str], list[tuple]]:
    """The columns of `model` as `alias.column`, and per column its converters."""
    key = ("read", model, conn.vendor, alias)
    found = _cache.get(key)
    if found is None:
        _q = conn.ops.quote_name
        columns, converters = [], []
        for f in model._meta.concrete_fields:
            col = f.get_col(alias)
            columns.append(f"{alias}.{_q(f.column)}")
            converters.append(
                (
                    col,
                    tuple(conn.ops.get_db_converters(col) + col.get_db_converters(conn)),
                )
            )
        found = (columns, converters)
        _cache[key] = found
    return found


def _instance(conn, model, converters, values: Sequence):
    if any(convs for _col, convs in converters):
        values = list(values)
        for i, (col, convs) in enumerate(converters):
            for conv in convs:
                values[i] = conv(values[i], col, conn)
    return model.from_db(conn.alias, None, values)


def select(
    model,
    where: str,
    params: Iterable = (),
    *,
    related: Sequence[str] = (),
    tail: str = "",
) -> list:
    """Instances of `model` (table alias t0) matching `where`; `related`: foreign keys followed in
    the same statement (aliases t1, t2…), as select_related would; `tail`: ORDER BY, LIMIT, FOR
    UPDATE… as SQL."""
    return [obj for obj, _extra in select_extra(model, where, params, related=related, tail=tail)]


def select_extra(
    model,
    where: str,
    params: Iterable = (),
    *,
    related: Sequence[str] = (),
    tail: str = "",
    extra: Sequence[str] = (),
    joins: str = "",
) -> list[tuple]:
    """`select` with more: `extra` SQL expressions read after the row (raw values), `joins`
    (SQL) added to its FROM; `params` in the order of the SQL (extra, joins, where, tail).
    Returns [(instance, (extra values…))]."""
    conn = _connection()
    _q = conn.ops.quote_name
    columns, converters = _readers(conn, model, "t0")
    columns = list(columns)
    sql_from = f"{_q(model._meta.db_table)} t0"
    follow = []  # (field, model, converters, first column)
    for i, name in enumerate([related] if isinstance(related, str) else related, start=1):
        field = model._meta.get_field(name)
        rel_model = field.related_model
        rel_columns, rel_converters = _readers(conn, rel_model, f"t{i}")
        follow.append((field, rel_model, rel_converters, len(columns)))
        columns += rel_columns
        sql_from += (
            f" {'LEFT OUTER' if field.null else 'INNER'} JOIN {_q(rel_model._meta.db_table)} t{i}"
            f" ON t{i}.{_q(field.target_field.column)} = t0.{_q(field.column)}"
        )
    n_read = len(columns)
    columns += extra
    with conn.cursor() as cur:
        cur.execute(
            f"SELECT {', '.join(columns)} FROM {sql_from} {joins} WHERE {where} {tail}",
            list(params),
        )
        rows = cur.fetchall()
    n = len(converters)
    out = []
    for row in rows:
        obj = _instance(conn, model, converters, row[:n])
        for field, rel_model, rel_converters, first in follow:
            values = row[first : first + len(rel_converters)]
            pk_index = rel_model._meta.concrete_fields.index(rel_model._meta.pk)
            field.set_cached_value(
                obj,
                None
                if values[pk_index] is None
                else _instance(conn, rel_model, rel_converters, values),
            )
        out.append((obj, row[n_read:]))
    return out

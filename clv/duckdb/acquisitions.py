"""The acquisition table read and validated in DuckDB, for reports whose customer base does not fit in pandas.

:func:`clv.read_acquisitions` reads the whole table into pandas before any
engine starts (about 90 bytes per customer, with a transient peak three times
that). :func:`read_acquisitions` applies the same checks in SQL, in the same
order and with the same one-line messages (the column, the problem, the
offending row), and leaves the rows in a DuckDB table that the engine joins to
its scores. Only what a report needs per channel comes back to Python.

Dates: ``DATE``/``TIMESTAMP`` columns as stored, text in ISO form (an UTC
offset is dropped, as the DuckDB transactions reader does); other text dates
are refused with advice to use the pandas engine.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from clv.duckdb.session import quote, read_source
from clv.duckdb.summary import customer_expr, day_expr, stamp_expr
from clv.errors import DataError

__all__ = ["DuckAcquisitions", "read_acquisitions"]

_tables = itertools.count()


@dataclass(frozen=True)
class DuckAcquisitions:
    """A validated acquisition table held in DuckDB.

    Attributes
    ----------
    con : duckdb.DuckDBPyConnection
    table : str
        Quoted name of a view (over the source: nothing is held) with the columns of :func:`clv.read_acquisitions`'
        output (``customer_id, channel, acquired_at, cost``), in input order;
        ``customer_id`` has the type the DuckDB transactions reader gives the
        same ids, so the two join.
    rows : int
        Customers (one row each).
    channels : pandas.Series
        Customers per channel (index ``channel``, sorted by name).

    Examples
    --------
    >>> import clv, clv.duckdb
    >>> acq = clv.duckdb.read_acquisitions(clv.datasets.data_path("demo/acquisitions.csv"))
    >>> acq.rows, len(acq.channels)
    (29850, 6)
    >>> acq.to_pandas().equals(clv.read_acquisitions(clv.datasets.data_path("demo/acquisitions.csv")))
    True
    """

    con: Any = field(repr=False)
    table: str
    rows: int
    channels: pd.Series = field(repr=False)

    def to_pandas(self) -> pd.DataFrame:
        """The frame :func:`clv.read_acquisitions` returns (same columns, types and row order); for tables that fit in memory.

        Returns
        -------
        pandas.DataFrame
            ``customer_id, channel, acquired_at, cost``.

        Examples
        --------
        >>> import clv, clv.duckdb
        >>> clv.duckdb.read_acquisitions(clv.datasets.data_path("demo/acquisitions.csv")).to_pandas().columns.tolist()
        ['customer_id', 'channel', 'acquired_at', 'cost']
        """
        frame = self.con.execute(f"SELECT customer_id, channel, acquired_at, cost FROM {self.table}").df()
        frame["channel"] = frame["channel"].astype(str)
        frame["acquired_at"] = frame["acquired_at"].astype("datetime64[ns]")
        return frame


def _row_text(con: Any, view: str, cond: str) -> tuple[int, str] | None:
    """Position (0-based) and ``row N: {...}`` text of the first row of ``view`` meeting ``cond``, as :func:`clv.data.validation.describe_row`."""
    cols = [row[0] for row in con.execute(f"DESCRIBE SELECT * FROM {view}").fetchall()]
    query = (f"SELECT * FROM (SELECT row_number() OVER () - 1 AS _pos, * FROM {view}) WHERE {cond} ORDER BY _pos LIMIT 1")
    found = con.execute(query).fetchone()
    if found is None:
        return None
    values = [v if v is not None else float("nan") for v in found[1:]]
    record = {c: (str(v) if isinstance(v, pd.Timestamp) or hasattr(v, "isoformat") else v) for c, v in zip(cols, values)}
    return int(found[0]), f"row {int(found[0]) + 1}: {record}"


def _fail(con: Any, view: str, cond: str, text: str) -> None:
    found = _row_text(con, view, cond)
    if found is not None:
        raise DataError(f"{text} in {found[1]}")


def _cost_expr(name: str | None, kind: str | None) -> tuple[str, str]:
    """SQL for the cost (NULL where unknown) and for "given but not a number"."""
    if name is None:
        return "NULL::DOUBLE", "FALSE"
    col = quote(name)
    if kind.upper() == "VARCHAR":
        given = f"({col} IS NOT NULL AND trim({col}) <> '')"
        value = f"CASE WHEN {given} THEN TRY_CAST(trim({col}) AS DOUBLE) END"
        return value, f"({given} AND {value} IS NULL)"
    value = f"CASE WHEN NOT isnan(CAST({col} AS DOUBLE)) THEN CAST({col} AS DOUBLE) END"
    return value, "FALSE"


def _check(con: Any, raw: str, names: dict[str, str | None], exprs: dict[str, str]) -> None:
    """The checks of :func:`clv.read_acquisitions`, in its order: one scan, then the first failing check's example row."""
    customer, channel, acquired_at, cost = (names[k] for k in ("customer", "channel", "acquired_at", "cost"))
    checks = [
        (f"{quote(customer)} IS NULL", f"column '{customer}': empty value"),
        (None, None),  # duplicates: a grouped query of their own
        (f"{quote(channel)} IS NULL", f"column '{channel}': empty value"),
        (f"trim(CAST({quote(channel)} AS VARCHAR)) = ''", f"column '{channel}': blank channel name"),
        (f"{quote(acquired_at)} IS NULL", f"column '{acquired_at}': empty value"),
        (f"{exprs['day']} IS NULL",
         f"column '{acquired_at}': unparseable date (the DuckDB engine reads typed or ISO dates; use --engine pandas for others)"),
    ]
    if cost is not None:
        checks += [(exprs["cost_bad"], f"column '{cost}': not a number"),
                   (f"isinf({exprs['cost']})", f"column '{cost}': infinite value"),
                   (f"{exprs['cost']} < 0", f"column '{cost}': negative value")]
    counted = ", ".join(f"count(*) FILTER (WHERE {cond})" for cond, _ in checks if cond is not None)
    found = iter(con.execute(f"SELECT {counted} FROM {raw}").fetchone())
    for cond, text in checks:
        if cond is None:
            _check_duplicates(con, raw, customer, exprs["customer"])
        elif next(found):
            _fail(con, raw, cond, text)


def _check_duplicates(con: Any, raw: str, customer: str, ids: str) -> None:
    dup = con.execute(f"SELECT {ids} AS id FROM {raw} GROUP BY id HAVING count(*) > 1 LIMIT 1").fetchone()
    if dup is None:
        return
    numbered = f"(SELECT row_number() OVER () - 1 AS _pos, {ids} AS _id FROM {raw})"
    dups = f"(SELECT {ids} AS id FROM {raw} GROUP BY id HAVING count(*) > 1)"
    first, who = con.execute(f"SELECT _pos, _id FROM {numbered} WHERE _id IN (SELECT id FROM {dups}) ORDER BY _pos LIMIT 1").fetchone()
    again = con.execute(f"SELECT _pos FROM {numbered} WHERE _id = ? AND _pos > ? ORDER BY _pos LIMIT 1", [who, first]).fetchone()[0]
    found = _row_text(con, f"(SELECT * FROM {raw})", f"_pos = {int(again)}")
    raise DataError(f"column '{customer}': customer {who!r} is listed twice (rows {first + 1} and {again + 1}); "
                    f"each customer has one acquisition; {found[1]}")


def read_acquisitions(
    source: Any,
    *,
    con: Any = None,
    customer: str = "customer_id",
    channel: str = "channel",
    acquired_at: str = "acquired_at",
    cost: str | None = None,
) -> DuckAcquisitions:
    """Read and validate the acquisition table in DuckDB, with the rules and messages of :func:`clv.read_acquisitions`.

    Parameters
    ----------
    source : anything :func:`clv.duckdb.read_source` reads
        A CSV or Parquet file, glob or directory, a DataFrame or ``"view:NAME"``.
    con : duckdb.DuckDBPyConnection, optional
        Default: a new :func:`clv.duckdb.connect` connection.
    customer, channel, acquired_at : str
        Column names in ``source``.
    cost : str, optional
        Per-customer cost column (default ``cost`` when present); empty cells
        mean unknown.

    Returns
    -------
    DuckAcquisitions

    Raises
    ------
    clv.DataError
        An empty table, a missing column, an empty customer id or channel, a
        customer listed twice, a blank channel, a date that is neither typed
        nor ISO text, a cost that is text, infinite or negative: one line
        naming the column, with the offending row.

    Examples
    --------
    >>> import clv.duckdb
    >>> acq = clv.duckdb.read_acquisitions(clv.datasets.data_path("demo/acquisitions.csv"))
    >>> int(acq.channels["email"])
    2985
    """
    from clv.duckdb.session import connect

    con = con if con is not None else connect()
    raw = read_source(con, source, "acquisitions")
    kinds = {n: k for n, k, *_ in con.execute(f"DESCRIBE SELECT * FROM {raw}").fetchall()}
    if con.execute(f"SELECT count(*) FROM (SELECT 1 FROM {raw} LIMIT 1)").fetchone()[0] == 0:
        raise DataError("the acquisitions table has no data rows")
    cost = "cost" if cost is None and "cost" in kinds else cost
    names = {"customer": customer, "channel": channel, "acquired_at": acquired_at, "cost": cost}
    for argument, name in names.items():
        if name is not None and name not in kinds:
            first = _row_text(con, raw, "TRUE")[1]
            raise DataError(
                f"column '{name}': missing from the acquisitions table; columns found: {list(kinds)}; name the right one "
                f"with {argument}='<column>' (command line: --{argument.replace('_', '-')}-column); {first}")
    cost_value, cost_bad = _cost_expr(cost, kinds.get(cost) if cost else None)
    exprs = {"customer": customer_expr(con, raw, customer, kinds[customer]), "day": day_expr(acquired_at, kinds[acquired_at]),
             "cost": cost_value, "cost_bad": cost_bad}
    _check(con, raw, names, exprs)
    table = quote(f"clv_acq_valid_{next(_tables)}")
    stamp = stamp_expr(acquired_at, kinds[acquired_at])
    con.execute(f"CREATE OR REPLACE TEMP VIEW {table} AS SELECT {exprs['customer']} AS customer_id, "
                f"trim(CAST({quote(channel)} AS VARCHAR)) AS channel, {stamp} AS acquired_at, {cost_value} AS cost FROM {raw}")
    counts = con.execute(f"SELECT channel, count(*) FROM {table} GROUP BY channel ORDER BY channel").fetchall()
    channels = pd.Series({c: int(n) for c, n in counts}, name="customers", dtype="int64").rename_axis("channel")
    return DuckAcquisitions(con, table, int(channels.sum()), channels)


def read_acquisitions_or_frame(source: Any, *, con: Any, columns: dict[str, Any], progress: Any = None) -> Any:
    """The acquisitions as :func:`read_acquisitions` reads them into ``con``, or, for text dates in a non-ISO form, as pandas.

    ``clv report --engine duckdb`` validates the acquisition table in the
    engine (never a pandas frame of every customer); a table whose dates are
    text in another form than ISO goes through :func:`clv.read_acquisitions`
    instead, which parses them, as the report always did.

    Parameters
    ----------
    source : str or pathlib.Path
        The acquisition file or directory.
    con : duckdb.DuckDBPyConnection
        The engine's connection.
    columns : dict
        Column names (``customer``, ``channel``, ``acquired_at``, ``cost``);
        ``date_format`` is ignored here.
    progress : callable, optional
        Called with a short text.

    Returns
    -------
    DuckAcquisitions or pandas.DataFrame

    Examples
    --------
    >>> import clv.duckdb
    >>> from clv.datasets import data_path
    >>> from clv.duckdb.acquisitions import read_acquisitions_or_frame
    >>> acq = read_acquisitions_or_frame(data_path("demo/acquisitions.csv"), con=clv.duckdb.connect(), columns={})
    >>> type(acq).__name__
    'DuckAcquisitions'
    """
    from clv.data.acquisitions import read_acquisitions as read_frame

    if progress is not None:
        progress(f"reading {source} in DuckDB")
    try:
        acquisitions = read_acquisitions(source, con=con, **{k: v for k, v in columns.items() if k != "date_format"})
    except DataError as exc:
        if "reads typed or ISO dates" not in str(exc):
            raise
        return read_frame(source, **columns)
    if progress is not None:
        progress(f"{acquisitions.rows:,} acquisitions in {len(acquisitions.channels)} channels")
    return acquisitions

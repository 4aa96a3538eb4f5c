"""Transaction log to per-customer RFM summaries, in DuckDB SQL.

The conventions are those of :mod:`clv.data.summary`, to the last detail:

* purchases by the same customer on the same calendar day are one transaction
  (the day of a ``DATE`` column, of a ``TIMESTAMP`` column as written, of a
  ``TIMESTAMP WITH TIME ZONE`` column in UTC, of ISO text with any UTC offset
  dropped, as :func:`clv.read_transactions` reads it);
* ``frequency`` = distinct purchase days - 1; ``recency`` and ``T`` are whole
  days divided by the length of the time unit (7 for ``"W"``);
* ``monetary_value`` is the mean of the repeat days' totals (the first day is
  excluded), 0 without repeats; the day totals are added by NumPy, as the
  pandas path adds them, so the digits are the same;
* what is left out or merged is counted, never silently dropped.

The raw log is scanned twice (checks and counts, then the same-day merge and
sort, both spillable); the sorted days stream through NumPy in slices of whole
customers (:func:`clv.data.summary.summarise_days`, the pandas path's own
arithmetic); what stays in DuckDB is one row per customer.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from clv.data.summary import DailyPurchases, day_number, exclusion_counts, summarise_days, summary_attrs, time_unit_days
from clv.duckdb.session import quote, read_source
from clv.errors import DataError

__all__ = ["RFM_COLUMNS", "DuckRFM", "calibration_holdout", "rfm_summary"]

RFM_COLUMNS = ("frequency", "recency", "T", "monetary_value")
HOLDOUT_COLUMNS = ("holdout_frequency", "holdout_monetary_value", "duration_holdout")
_MONEY = ("monetary_value", "holdout_monetary_value")  # not in the summary of a purchase-only log
_tables = itertools.count()
_BATCH = 1_000_000  # (customer, day) rows per slice streamed into NumPy

def _date_text(day: int) -> str:
    return str(np.datetime64(int(day), "D"))


@dataclass(frozen=True)
class DuckRFM:
    """Per-customer summary held in a DuckDB table, with what the pandas version keeps in ``attrs``.

    Attributes
    ----------
    con : duckdb.DuckDBPyConnection
    table : str
        Quoted name of the table: ``customer_id`` (the input's type), the
        columns of :func:`clv.rfm_summary` and, after
        :func:`calibration_holdout`, the three holdout columns; one row per
        customer in the cohort, sorted by ``customer_id``. Also
        ``revenue_to_date`` (every purchase up to ``observation_end``, the
        first included). A table of the connection's main schema, not a
        TEMP one (it is filled through a second cursor while the sorted days
        stream out of ``con``): with a database file it is stored there.
    exclusions : dict
        The same counts as ``attrs["exclusions"]`` of the pandas version.
    time_unit : str
    observation_end : str
        ISO date, inclusive.
    calibration_end : str or None
        ISO date, inclusive; set by :func:`calibration_holdout`.
    customers : int
        Rows of ``table``.
    has_amount : bool
        ``False`` for a purchase-only log: the money columns of ``table`` are
        zeros and :attr:`columns` leaves them out, as the pandas summary does.

    Examples
    --------
    >>> import clv, clv.duckdb
    >>> rfm = clv.duckdb.rfm_summary(clv.datasets.data_path("cdnow_sample.csv"), observation_end="1997-09-30")
    >>> rfm.customers, rfm.time_unit, rfm.observation_end
    (2357, 'W', '1997-09-30')
    >>> rfm.to_pandas().equals(clv.rfm_summary(clv.datasets.load_cdnow(), observation_end="1997-09-30"))
    True
    """

    con: Any = field(repr=False)
    table: str
    exclusions: dict[str, int]
    time_unit: str
    observation_end: str
    calibration_end: str | None = None
    customers: int = 0
    has_amount: bool = True

    @property
    def columns(self) -> list[str]:
        """The summary columns (``customer_id`` first; ``revenue_to_date`` not included)."""
        extra = list(HOLDOUT_COLUMNS) if self.calibration_end is not None else []
        names = ["customer_id", *RFM_COLUMNS, *extra]
        return names if self.has_amount else [c for c in names if c not in _MONEY]

    @property
    def attrs(self) -> dict[str, Any]:
        """The ``attrs`` dict the pandas version carries (``exclusions``, ``time_unit``, dates)."""
        return summary_attrs(self.exclusions, self.time_unit, self.observation_end, self.calibration_end)

    def to_pandas(self) -> pd.DataFrame:
        """The frame :func:`clv.rfm_summary` returns (index ``customer_id``, sorted); for bases that fit in memory."""
        cols = ", ".join(quote(c) for c in self.columns)
        frame = self.con.execute(f"SELECT {cols} FROM {self.table} ORDER BY customer_id").df().set_index("customer_id")
        frame.attrs.update(self.attrs)
        return frame

    def realized_revenue(self) -> pd.Series:
        """Revenue to date per customer (index ``customer_id``, sorted), as ``revenue_to_date`` of the report."""
        frame = self.con.execute(f"SELECT customer_id, revenue_to_date FROM {self.table} ORDER BY customer_id").df()
        return frame.set_index("customer_id")["revenue_to_date"]


def _columns(con: Any, view: str) -> dict[str, str]:
    return {name: kind for name, kind, *_ in con.execute(f"DESCRIBE SELECT * FROM {view}").fetchall()}


def stamp_expr(name: str, kind: str) -> str:
    """SQL for the ``TIMESTAMP`` of a date column: as stored, or ISO text with any UTC offset dropped (NULL if unparseable)."""
    col = quote(name)
    base = kind.upper()
    if base == "DATE" or base.startswith("TIMESTAMP"):
        return f"CAST({col} AS TIMESTAMP)"
    if base == "VARCHAR":
        return rf"TRY_CAST(regexp_replace(trim({col}), '(Z|[+-]\d{{2}}:?\d{{2}})$', '') AS TIMESTAMP)"
    raise DataError(f"column '{name}': expected dates or timestamps, got DuckDB type {kind}")


def day_expr(name: str, kind: str) -> str:
    """SQL for a date column's day number (days since 1970-01-01), as :func:`clv.read_transactions` reads the column."""
    if kind.upper() == "DATE" or kind.upper().startswith("TIMESTAMP"):
        return f"datediff('day', DATE '1970-01-01', CAST({quote(name)} AS DATE))"
    return f"datediff('day', DATE '1970-01-01', CAST({stamp_expr(name, kind)} AS DATE))"


def _amount_expr(name: str, kind: str) -> str:
    col = quote(name)
    if kind.upper() == "VARCHAR":
        return f"TRY_CAST(trim({col}) AS DOUBLE)"
    if kind.upper() in {"BOOLEAN", "DATE"} or kind.upper().startswith(("TIMESTAMP", "STRUCT", "LIST", "MAP")):
        raise DataError(f"column '{name}': expected numbers, got DuckDB type {kind}")
    return f"CAST({col} AS DOUBLE)"


def customer_expr(con: Any, view: str, name: str, kind: str) -> str:
    """Text ids that are all integers without a leading zero become BIGINT, as :func:`clv.read_transactions` does."""
    col = quote(name)
    if kind.upper() != "VARCHAR":
        return col
    other = con.execute(f"SELECT count(*) FROM {view} WHERE {col} IS NOT NULL AND "
                        f"NOT regexp_full_match(trim({col}), '-?[1-9][0-9]{{0,17}}')").fetchone()[0]
    return f"CAST(trim({col}) AS BIGINT)" if other == 0 else f"trim({col})"


def canonical_view(con: Any, source: Any, customer: str, date: str, amount: str | None) -> str:
    """A view ``customer_id, day, amount, _raw_date, _raw_amount`` over ``source`` (day: days since 1970-01-01).

    Parameters
    ----------
    con : duckdb.DuckDBPyConnection
    source : anything :func:`clv.duckdb.read_source` reads
    customer, date, amount : str
        Column names in ``source``; ``amount=None`` for a purchase-only log (amounts read as 0).

    Returns
    -------
    str
        Quoted view name.

    Examples
    --------
    >>> import clv.duckdb
    >>> from clv.duckdb.summary import canonical_view
    >>> con = clv.duckdb.connect()
    >>> view = canonical_view(con, clv.datasets.data_path("cdnow_sample.csv"), "customer_id", "date", "amount")
    >>> con.execute(f"SELECT customer_id, day, amount FROM {view} LIMIT 1").fetchone()
    (1, 9862, 29.33)
    """
    view = read_source(con, source)
    kinds = _columns(con, view)
    missing = [c for c in (customer, date, amount) if c is not None and c not in kinds]
    if missing:
        raise DataError(f"column '{missing[0]}': missing from the transactions table; columns found: {list(kinds)}")
    name = quote(f"{view.strip(chr(34))}_canonical")
    money = (f"{_amount_expr(amount, kinds[amount])} AS amount, {quote(amount)} AS _raw_amount" if amount is not None
             else "0.0::DOUBLE AS amount, NULL AS _raw_amount")
    con.execute(
        f"CREATE OR REPLACE TEMP VIEW {name} AS SELECT {customer_expr(con, view, customer, kinds[customer])} AS customer_id, "
        f"{day_expr(date, kinds[date])} AS day, {quote(date)} AS _raw_date, {money} FROM {view}"
    )
    return name


def _scan(con: Any, raw: str, cal_day: int | None, end_day: int | None) -> dict[str, Any]:
    """One pass over the transactions: row counts, bad values, date range, rows after the end."""
    within = f"day <= {end_day}" if end_day is not None else "TRUE"
    cal = f"count(*) FILTER (WHERE day <= {cal_day})" if cal_day is not None else "0"
    row = con.execute(
        f"SELECT count(*), count(*) FILTER (WHERE customer_id IS NULL), count(*) FILTER (WHERE day IS NULL), "
        f"count(*) FILTER (WHERE amount IS NULL), count(*) FILTER (WHERE isnan(amount) OR isinf(amount)), max(day), "
        f"count(*) FILTER (WHERE NOT ({within})), count(*) FILTER (WHERE {within} AND amount <= 0), {cal} FROM {raw}"
    ).fetchone()
    keys = ("rows", "null_customer", "bad_date", "bad_amount", "inf_amount", "max_day", "rows_after", "non_positive",
            "rows_calibration")
    return dict(zip(keys, row))


def _check(con: Any, raw: str, stats: dict[str, Any], customer: str, date: str, amount: str | None) -> None:
    if stats["rows"] == 0:
        raise DataError("the transactions table has no data rows")
    checks = (
        ("null_customer", "customer_id IS NULL", f"column '{customer}': empty value"),
        ("bad_date", "day IS NULL", f"column '{date}': empty or unparseable date (the DuckDB engine reads ISO dates)"),
        ("bad_amount", "amount IS NULL", f"column '{amount}': empty value or not a number"),
        ("inf_amount", "isnan(amount) OR isinf(amount)", f"column '{amount}': infinite or NaN value"),
    )
    for key, cond, text in checks:
        if stats[key]:
            row = con.execute(f"SELECT customer_id, _raw_date, _raw_amount FROM {raw} WHERE {cond} LIMIT 1").fetchone()
            example = {"customer_id": row[0], "date": str(row[1]), "amount": row[2]}
            raise DataError(f"{text} in {stats[key]} rows, e.g. row: {example}")


def _build(con: Any, raw: str, cal_day: int, end_day: int, unit: float, holdout: bool) -> tuple[str, dict[str, int]]:
    """Merge to days in SQL, then summarise whole customers slice by slice with :func:`clv.data.summary.summarise_days`.

    DuckDB does the heavy, bounded work (a grouped sum per customer and day, then a sort
    by customer and day, both of which spill to disk under a memory limit); NumPy adds
    each customer's day totals, so the digits are those of the pandas path by
    construction. The slices go into a table in customer order; Python holds one
    slice at a time.
    """
    import pyarrow as pa

    table = quote(f"clv_rfm_{next(_tables)}")
    names = ["frequency", "recency", "T", "monetary_value", *(HOLDOUT_COLUMNS if holdout else ()), "revenue_to_date"]
    con.execute(f"CREATE OR REPLACE TABLE {table} AS SELECT customer_id, "
                   + ", ".join(f"0.0::DOUBLE AS {quote(c)}" for c in names) + f" FROM {raw} LIMIT 0")
    writer = con.cursor()  # the stream below stays open on ``con``; the rows go in through a second handle
    stream = con.sql(f"SELECT customer_id, CAST(day AS INTEGER) AS day, sum(amount) AS amount FROM {raw} "
                     "GROUP BY customer_id, day ORDER BY customer_id, day").to_arrow_reader(_BATCH)
    counts = {"after": 0, "late": 0, "cohort": 0, "daily_rows": 0}
    carry = None
    for batch in itertools.chain(stream, [None]):
        part = pa.Table.from_batches([batch]) if batch is not None else None
        part = part if carry is None else carry if part is None else pa.concat_tables([carry, part])
        if part is None or part.num_rows == 0:
            continue
        ids = part.column(0).combine_chunks()
        new = np.r_[True, _changes(ids)]
        cut = part.num_rows if batch is None else int(np.flatnonzero(new)[-1])  # the last customer may go on
        carry = part.slice(cut)
        if cut:
            _summarise_slice(writer, table, ids.slice(0, cut), part.slice(0, cut), new[:cut], names,
                             (cal_day, end_day, unit, holdout), counts)
    writer.close()
    return table, counts


def _changes(ids: Any) -> np.ndarray:
    """``ids[i + 1] != ids[i]`` of an Arrow array, as a NumPy bool array."""
    import pyarrow.compute as pc

    return pc.not_equal(ids.slice(1), ids.slice(0, len(ids) - 1)).to_numpy(zero_copy_only=False)


def _summarise_slice(writer: Any, table: str, ids: Any, part: Any, new: np.ndarray, names: list[str],
                     period: tuple[int, int, float, bool], counts: dict[str, int]) -> None:
    """Summarise the whole customers of one sorted slice and append them to ``table``."""
    import pyarrow as pa

    cal_day, end_day, unit, holdout = period
    code = np.cumsum(new) - 1
    day = part.column(1).to_numpy()
    amount = part.column(2).to_numpy()
    starts = np.flatnonzero(new)
    within = day <= end_day
    seen = np.bincount(code[within], minlength=len(starts)) > 0  # customers with a purchase on or before the end
    counts["after"] += int(len(starts) - seen.sum())
    counts["daily_rows"] += int(within.sum())
    if not seen.any():
        return
    kept = np.flatnonzero(seen)
    pos = np.searchsorted(kept, code[within])
    daily = DailyPurchases(pd.RangeIndex(len(kept)), pos, day[within].astype(np.int64), amount[within], 0, 0, 0)
    out = summarise_days(daily, cal_day, end_day, unit, holdout=holdout)
    members = kept[out.index.to_numpy()]
    counts["late"] += len(kept) - len(members)
    counts["cohort"] += len(members)
    # Revenue to date: the cohort's day totals up to the end added in day order, from zero.
    revenue = np.bincount(pos, weights=amount[within], minlength=len(kept))[out.index.to_numpy()]
    columns = {"customer_id": ids.take(pa.array(starts[members]))}
    columns.update({c: pa.array(out[c].to_numpy() if c != "revenue_to_date" else revenue) for c in names})
    writer.register("clv_rfm_slice", pa.table(columns))
    writer.execute(f"INSERT INTO {table} SELECT * FROM clv_rfm_slice")
    writer.unregister("clv_rfm_slice")


def rfm_summary(
    source: Any,
    *,
    observation_end: Any = None,
    time_unit: str = "W",
    customer: str = "customer_id",
    date: str = "date",
    amount: str | None = "amount",
    con: Any = None,
) -> DuckRFM:
    """RFM summary in DuckDB with the conventions of :func:`clv.rfm_summary`.

    Parameters
    ----------
    source : str, pathlib.Path or pandas.DataFrame
        Anything :func:`clv.duckdb.read_source` reads: a Parquet or CSV file,
        a glob, a directory, a DataFrame, or ``"view:NAME"``. One row per
        purchase.
    observation_end : date-like, optional
        Last day of observation (inclusive); default the last purchase day.
    time_unit : {"W", "D", "M"}
    customer, date, amount : str
        Column names in ``source``; ``amount=None`` reads a purchase-only
        log (no ``monetary_value``, as :func:`clv.rfm_summary`).
    con : duckdb.DuckDBPyConnection, optional
        Default: a new :func:`clv.duckdb.connect` connection (in memory).

    Returns
    -------
    DuckRFM
        ``.to_pandas()`` equals ``clv.rfm_summary(clv.read_transactions(source), ...)``
        (same digits), ``.exclusions`` its ``attrs["exclusions"]``.

    Raises
    ------
    clv.DataError
        Missing column, empty customer id, unparseable date, non-numeric or
        infinite amount (one line naming the column, with an example row), an
        empty table, or no transaction on or before ``observation_end``.

    Examples
    --------
    >>> import clv.duckdb
    >>> rfm = clv.duckdb.rfm_summary(clv.datasets.data_path("cdnow_sample.csv"), observation_end="1997-09-30")
    >>> rfm.exclusions["rows_after_observation_end"] > 0
    True
    """
    from clv.duckdb.session import connect

    con = con if con is not None else connect()
    unit = time_unit_days(time_unit)
    end_day = None if observation_end is None else day_number(observation_end, "observation_end")
    raw = canonical_view(con, source, customer, date, amount)
    stats = _scan(con, raw, None, end_day)
    _check(con, raw, stats, customer, date, amount)
    if stats["rows"] == stats["rows_after"]:
        raise DataError(f"no transactions on or before observation_end {observation_end}")
    if end_day is None:
        end_day = int(stats["max_day"])
    table, counts = _build(con, raw, end_day, end_day, unit, holdout=False)
    exclusions = exclusion_counts(rows=stats["rows"], rows_after=stats["rows_after"], daily_rows=counts["daily_rows"],
                                  non_positive=stats["non_positive"], customers_after=counts["after"])
    if amount is None:
        del exclusions["non_positive_rows"]
    return DuckRFM(con, table, exclusions, time_unit, _date_text(end_day), None, counts["cohort"], amount is not None)


def calibration_holdout(
    source: Any,
    *,
    calibration_end: Any,
    observation_end: Any,
    time_unit: str = "W",
    customer: str = "customer_id",
    date: str = "date",
    amount: str | None = "amount",
    con: Any = None,
) -> DuckRFM:
    """Calibration summary and holdout outcomes in DuckDB, like :func:`clv.calibration_holdout`.

    Parameters
    ----------
    source : anything :func:`clv.duckdb.read_source` reads
    calibration_end : date-like
        Last day of the calibration period (inclusive).
    observation_end : date-like
        Last day of the holdout period (inclusive); after ``calibration_end``.
    time_unit : {"W", "D", "M"}
    customer, date, amount : str
        Column names in ``source``; ``amount=None`` reads a purchase-only
        log (no ``monetary_value``, as :func:`clv.rfm_summary`).
    con : duckdb.DuckDBPyConnection, optional

    Returns
    -------
    DuckRFM
        The four RFM columns at ``calibration_end`` and ``holdout_frequency,
        holdout_monetary_value, duration_holdout``; ``.exclusions`` the five
        counts of the pandas version.

    Raises
    ------
    clv.DataError
        As :func:`rfm_summary`, and when ``observation_end`` is not after
        ``calibration_end``.

    Examples
    --------
    >>> import clv.duckdb
    >>> ch = clv.duckdb.calibration_holdout(clv.datasets.data_path("cdnow_sample.csv"), calibration_end="1997-09-30",
    ...                                     observation_end="1998-06-30")
    >>> ch.columns[-3:], ch.calibration_end
    (['holdout_frequency', 'holdout_monetary_value', 'duration_holdout'], '1997-09-30')
    """
    from clv.duckdb.session import connect

    con = con if con is not None else connect()
    unit = time_unit_days(time_unit)
    cal_day = day_number(calibration_end, "calibration_end")
    end_day = day_number(observation_end, "observation_end")
    if end_day <= cal_day:
        raise DataError(f"observation_end ({observation_end}) must be after calibration_end ({calibration_end})")
    raw = canonical_view(con, source, customer, date, amount)
    stats = _scan(con, raw, cal_day, end_day)
    _check(con, raw, stats, customer, date, amount)
    if stats["rows_calibration"] == 0:
        raise DataError(f"no transactions on or before calibration_end {calibration_end}")
    table, counts = _build(con, raw, cal_day, end_day, unit, holdout=True)
    exclusions = exclusion_counts(rows=stats["rows"], rows_after=stats["rows_after"], daily_rows=counts["daily_rows"],
                                  non_positive=stats["non_positive"], customers_after=counts["after"], late=counts["late"])
    if amount is None:
        del exclusions["non_positive_rows"]
    return DuckRFM(con, table, exclusions, time_unit, _date_text(end_day), _date_text(cal_day), counts["cohort"], amount is not None)

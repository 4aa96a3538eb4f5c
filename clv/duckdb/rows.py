"""Per-customer tables that stay in DuckDB, and CSV files written by DuckDB byte for byte as pandas writes them.

:func:`copy_csv` writes a query's rows with DuckDB's ``COPY ... TO`` (no
pandas frame, no Python loop over rows) and gives the bytes of
``round_money(frame).to_csv(path, index=False, lineterminator=csv_line_end(frame))``
on the frame pandas would hold (:func:`clv.reports.workbook.round_money`,
:func:`clv.output.csv_line_end`). Each column is turned into its text in SQL,
the way pandas formats the matching dtype, and DuckDB writes the texts with
its own quoting switched off:

* ``DOUBLE``: the shortest repr that round-trips (DuckDB's cast is the same
  as numpy's ``str``), ``-0.0`` kept, NaN and NULL empty, ``inf``; money
  columns (:data:`clv.reports.workbook.MONEY_COLUMNS`) are rounded as numpy
  rounds (``rint(x * 100) / 100``, ties to even), not as DuckDB's ``round``
  (ties away from zero) nor ``roundbankers(x, 2)`` (decimal ties);
* ``BOOLEAN``: ``True`` / ``False``; integers as digits; ``DECIMAL`` as a double;
  ``FLOAT`` (numpy's float32 text has its own exponent rules) is refused: cast it;
* text and ``ENUM``: quoted as Python's CSV writer quotes (when the field holds
  a comma, a double quote or a character of the line end; quotes doubled);
  the line end is ``"\\r\\n"`` when a text cell holds a carriage return;
* ``DATE``: ``YYYY-MM-DD``; ``TIMESTAMP``: as pandas writes a ``datetime64``
  column: the date alone when every value is at midnight, otherwise the time
  with as many fraction digits (0, 3, 6 or 9) as the finest value needs.

:class:`DuckRows` holds a per-customer table as a DuckDB relation with what a
report needs from it: its length and columns, the pandas frame for small
tables, the CSV file, the value histogram and the P(alive) mix by channel.
"""

from __future__ import annotations

import itertools
import math
import re
from itertools import pairwise
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from clv.duckdb.session import quote
from clv.errors import DataError
from clv.output import atomic_file
from clv.reports.customer_figures import P_ALIVE_BANDS, ValueHistogram, band_labels, linear_quantile

__all__ = ["DuckRows", "copy_csv"]

_views = itertools.count()
_INTEGER = {"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT",
            "UHUGEINT"}
_TIMESTAMP = {"TIMESTAMP", "TIMESTAMP_NS", "TIMESTAMP_MS", "TIMESTAMP_S"}
_TEXT = re.compile(r"^(VARCHAR|UUID|ENUM\(.*\))$", re.S)


def _relation_sql(con: Any, relation: Any) -> str:
    """SQL naming ``relation``: a query (``SELECT``/``FROM``/``WITH``/``VALUES``), a table or view name, or a DuckDB relation."""
    if isinstance(relation, str):
        text = relation.strip()
        return f"({text})" if re.match(r"(?i)^(select|from|with|values|\()\b", text) or text.startswith("(") else text
    name = quote(f"clv_rows_{next(_views)}")
    relation.create_view(name.strip('"'), replace=True)
    return name


def _money() -> frozenset[str]:
    from clv.reports.workbook import MONEY_COLUMNS  # the one list of money columns

    return MONEY_COLUMNS


def _quoted(text: str, specials: str) -> str:
    """SQL text expression: ``text`` quoted as Python's CSV writer quotes a field holding one of ``specials``."""
    test = " OR ".join(f"contains({text}, chr({ord(c)}))" for c in specials)
    return f"CASE WHEN {test} THEN '\"' || replace({text}, '\"', '\"\"') || '\"' ELSE {text} END"


def _header_field(name: str, specials: str) -> str:
    return '"' + name.replace('"', '""') + '"' if any(c in name for c in specials) else name


def _double(col: str, money: bool) -> str:
    value = f"(roundbankers({col} * 100.0, 0) / 100.0)" if money else col  # numpy: rint(x * 100) / 100, same IEEE steps
    return (f"CASE WHEN {col} IS NULL OR isnan({col}) THEN '' WHEN {value} = 0 THEN "
            f"CASE WHEN signbit({value}) THEN '-0.0' ELSE '0.0' END ELSE CAST({value} AS VARCHAR) END")


def _timestamp(col: str, digits: int | None) -> str:
    """Text of a timestamp column formatted for the whole column (``digits=None``: date only)."""
    if digits is None:
        return f"coalesce(strftime({col}, '%Y-%m-%d'), '')"
    text = f"strftime({col}, '%Y-%m-%d %H:%M:%S')"
    if digits:
        nanos = f"((epoch_ns({col}) % 1000000000 + 1000000000) % 1000000000)"
        text += f" || '.' || left(lpad(CAST({nanos} AS VARCHAR), 9, '0'), {digits})"
    return f"coalesce({text}, '')"


def _field(name: str, kind: str, *, money: bool, digits: int | None, specials: str) -> str:
    col = quote(name)
    if kind == "BOOLEAN":
        return f"CASE WHEN {col} THEN 'True' WHEN NOT {col} THEN 'False' ELSE '' END"
    if kind in _INTEGER:
        return f"coalesce(CAST({col} AS VARCHAR), '')"
    if kind == "DOUBLE":
        return _double(col, money)
    if kind == '"NULL"':  # a column of missing values only (pandas: an all-None object column)
        return "''"
    if kind.startswith("DECIMAL"):
        return _double(f"CAST({col} AS DOUBLE)", money)
    if kind == "DATE":
        return f"coalesce(strftime({col}, '%Y-%m-%d'), '')"
    if kind in _TIMESTAMP:
        return _timestamp(col, digits)
    if _TEXT.match(kind):
        return f"coalesce({_quoted(f'CAST({col} AS VARCHAR)', specials)}, '')"
    raise DataError(f"copy_csv cannot write column {name!r} of type {kind} as pandas would; cast it in the query "
                    "(for example to VARCHAR or DOUBLE; numpy writes float32 in its own style)")


def csv_select(con: Any, relation: Any, *, line_end: str | None = None, money: bool = True) -> tuple[str, str]:
    """The ``SELECT`` of pandas-formatted text columns for :func:`copy_csv`, and the line end it uses.

    Parameters
    ----------
    con : duckdb.DuckDBPyConnection
    relation : str or duckdb.DuckDBPyRelation
        A query, a table or view name, or a relation of ``con``.
    line_end : {"\\n", "\\r\\n"}, optional
        Skip the scan for carriage returns and use this line end.
    money : bool
        Round the money columns to the cent, as ``round_money`` does.

    Returns
    -------
    tuple of str
        The query and the line end.

    Examples
    --------
    >>> import clv.duckdb
    >>> con = clv.duckdb.connect()
    >>> query, end = csv_select(con, "SELECT true AS ok")
    >>> con.execute(query).fetchall(), end
    ([('True',)], '\\n')
    """
    source = _relation_sql(con, relation)
    described = con.execute(f"DESCRIBE SELECT * FROM {source}").fetchall()
    columns, types = [r[0] for r in described], [str(r[1]) for r in described]
    if not columns:
        raise DataError("copy_csv needs at least one column")
    parts = {}
    for i, (name, kind) in enumerate(zip(columns, types)):
        if kind == "VARCHAR" and line_end is None:
            parts[f"cr{i}"] = f"coalesce(bool_or(contains({quote(name)}, chr(13))), false)"
        elif kind in _TIMESTAMP:
            nanos = f"((epoch_ns({quote(name)}) % 86400000000000 + 86400000000000) % 86400000000000)"
            parts[f"t{i}"] = (f"CASE WHEN bool_or({nanos} % 1000 != 0) THEN 9 WHEN bool_or({nanos} % 1000000 != 0) THEN 6 "
                              f"WHEN bool_or({nanos} % 1000000000 != 0) THEN 3 WHEN bool_or({nanos} != 0) THEN 0 END")
    checks: dict[str, Any] = {}
    if parts:
        row = con.execute(f"SELECT {', '.join(f'{v} AS {k}' for k, v in parts.items())} FROM {source}").fetchone()
        checks = dict(zip(parts, row))
    if line_end is None:
        line_end = "\r\n" if any(v for k, v in checks.items() if k.startswith("cr")) else "\n"
    specials = ',"' + line_end
    rounded = _money() if money else frozenset()
    fields = [_field(name, kind, money=name in rounded, digits=checks.get(f"t{i}"), specials=specials)
              for i, (name, kind) in enumerate(zip(columns, types))]
    header = [_header_field(str(name), specials) for name in columns]
    if len(fields) == 1:  # Python's CSV writer writes a record of one empty field as ""
        fields = [f"CASE WHEN ({fields[0]}) = '' THEN '\"\"' ELSE ({fields[0]}) END"]
        header = [header[0] or '""']
    if line_end == "\r\n":  # DuckDB ends lines with "\n": the carriage return goes at the end of the last field
        fields[-1] = f"({fields[-1]}) || chr(13)"
        header[-1] += "\r"
    select = ", ".join(f"{f} AS {quote(h)}" for f, h in zip(fields, header))
    return f"SELECT {select} FROM {source}", line_end


def copy_csv(con: Any, relation: Any, path: str | Path, *, line_end: str | None = None, money: bool = True) -> Path:
    """Write ``relation`` to ``path`` with DuckDB's ``COPY``, byte for byte as pandas writes the same frame.

    The file equals ``round_money(frame).to_csv(path, index=False,
    lineterminator=csv_line_end(frame))`` where ``frame`` is the relation as a
    pandas DataFrame (see the module notes for the formatting of each type).
    The write is atomic (:func:`clv.output.atomic_file`): a failure leaves no
    partial file and any earlier file intact. Rows are written in the
    relation's order (give the query an ``ORDER BY``).

    Parameters
    ----------
    con : duckdb.DuckDBPyConnection
    relation : str or duckdb.DuckDBPyRelation
        A query (``SELECT ...``), a table or view name, or a relation of ``con``.
    path : path
        The CSV file.
    line_end : {"\\n", "\\r\\n"}, optional
        Known line end: skips the scan of the text columns for carriage returns.
    money : bool
        Round the money columns as ``round_money`` does; ``False`` writes
        every number whole (``frame.to_csv`` without ``round_money``).

    Returns
    -------
    pathlib.Path
        ``path``.

    Examples
    --------
    >>> import pathlib, tempfile, pandas as pd, clv.duckdb
    >>> from clv.reports.workbook import round_money
    >>> con = clv.duckdb.connect()
    >>> frame = pd.DataFrame({"customer_id": [1, 2], "channel": ["web, paid", None], "clv": [2.675, -0.001],
    ...                       "scored": [True, False]})
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = copy_csv(con, con.from_df(frame), folder / "duck.csv")
    >>> print((folder / "duck.csv").read_text(), end="")
    customer_id,channel,clv,scored
    1,"web, paid",2.68,True
    2,,-0.0,False
    >>> round_money(frame).to_csv(folder / "pandas.csv", index=False)
    >>> (folder / "pandas.csv").read_bytes() == (folder / "duck.csv").read_bytes()
    True
    """
    query, _ = csv_select(con, relation, line_end=line_end, money=money)
    with atomic_file(path) as tmp:
        con.execute(f"COPY ({query}) TO {quote(str(tmp), literal=True)} (FORMAT csv, HEADER true, QUOTE '', ESCAPE '')")
    return Path(path)


class DuckRows:
    """A per-customer table that stays in DuckDB (``customers.csv`` of a report of millions of customers).

    It offers what the report needs without a pandas frame of every customer:
    its length and columns, :meth:`write_csv` (:func:`copy_csv`, the bytes
    pandas writes), :meth:`value_histogram` and :meth:`p_alive_shares` (the
    figures of the report's Customers section, computed in SQL with the
    numbers of :mod:`clv.reports.customer_figures` on the pandas frame), and
    :meth:`to_pandas` for small tables.

    Parameters
    ----------
    con : duckdb.DuckDBPyConnection
    relation : str or duckdb.DuckDBPyRelation
        A query (``SELECT ...``; give it an ``ORDER BY`` for the row order), a
        table or view name, or a relation of ``con``.
    index : str
        The column that is the index of :meth:`to_pandas` (written first in the CSV file).

    Examples
    --------
    >>> import clv.duckdb
    >>> con = clv.duckdb.connect()
    >>> rows = clv.duckdb.DuckRows(con, "SELECT range AS customer_id, 'web' AS channel, range / 4 AS p_alive, "
    ...                                 "10.0 * range AS ltv_expected FROM range(5) ORDER BY customer_id")
    >>> len(rows), rows.columns, "p_alive" in rows
    (5, ['channel', 'p_alive', 'ltv_expected'], True)
    >>> rows.to_pandas().index.name, rows.p_alive_shares(["web"]).loc["web"].tolist()
    ('customer_id', [0.4, 0.2, 0.2, 0.2])
    """

    def __init__(self, con: Any, relation: Any, *, index: str = "customer_id") -> None:
        self.con = con
        self.source = _relation_sql(con, relation)
        self.index = index
        names = [r[0] for r in con.execute(f"DESCRIBE SELECT * FROM {self.source}").fetchall()]
        if index not in names:
            raise DataError(f"the per-customer table has no {index!r} column (columns: {names})")
        self._columns = [c for c in names if c != index]
        self._len: int | None = None

    def __len__(self) -> int:
        """Number of rows."""
        if self._len is None:
            self._len = int(self.con.execute(f"SELECT count(*) FROM {self.source}").fetchone()[0])
        return self._len

    def __contains__(self, name: object) -> bool:
        """Whether ``name`` is a column (not the index), as for a DataFrame."""
        return name in self._columns

    @property
    def columns(self) -> list[str]:
        """The columns of :meth:`to_pandas` (the index column left out).

        Returns
        -------
        list of str

        Examples
        --------
        >>> import clv.duckdb
        >>> clv.duckdb.DuckRows(clv.duckdb.connect(), "SELECT 1 AS customer_id, 2.0 AS clv").columns
        ['clv']
        """
        return list(self._columns)

    def _ordered(self) -> str:
        """The rows with the index column first, in the relation's order."""
        return f"SELECT {', '.join(quote(c) for c in [self.index, *self._columns])} FROM {self.source}"

    def to_pandas(self) -> pd.DataFrame:
        """The whole table as a pandas DataFrame indexed by the index column (for small tables).

        Returns
        -------
        pandas.DataFrame

        Examples
        --------
        >>> import clv.duckdb
        >>> clv.duckdb.DuckRows(clv.duckdb.connect(), "SELECT 7 AS customer_id, true AS scored").to_pandas()
                     scored
        customer_id
        7              True
        """
        return self.con.execute(self._ordered()).df().set_index(self.index)

    def write_csv(self, path: str | Path, *, line_end: str | None = None) -> Path:
        """Write the table (index column first) to ``path`` as pandas writes ``to_pandas().reset_index()`` (:func:`copy_csv`).

        Parameters
        ----------
        path : path
        line_end : {"\\n", "\\r\\n"}, optional
            As in :func:`copy_csv`.

        Returns
        -------
        pathlib.Path

        Examples
        --------
        >>> import pathlib, tempfile, clv.duckdb
        >>> rows = clv.duckdb.DuckRows(clv.duckdb.connect(), "SELECT 1.005 AS clv, 3 AS customer_id")
        >>> print(rows.write_csv(pathlib.Path(tempfile.mkdtemp()) / "c.csv").read_text(), end="")
        customer_id,clv
        3,1.0
        """
        return copy_csv(self.con, self._ordered(), path, line_end=line_end)

    def value_histogram(self, column: str = "ltv_expected", *, clip: float = 0.99, bins: int = 50) -> ValueHistogram:
        """The histogram of :func:`clv.reports.customer_figures.value_histogram`, computed in SQL (same numbers).

        The cut is numpy's linear quantile from the two order statistics it
        interpolates (a top-N query, not a sort of every value); the bins are
        numpy's edges, and each value is placed by numpy's own index arithmetic.

        Parameters
        ----------
        column : str
        clip : float
        bins : int

        Returns
        -------
        clv.reports.customer_figures.ValueHistogram

        Examples
        --------
        >>> import clv.duckdb
        >>> rows = clv.duckdb.DuckRows(clv.duckdb.connect(), "SELECT range AS customer_id, range * 1.5 AS v FROM range(100)")
        >>> hist = rows.value_histogram("v", bins=5)
        >>> round(hist.cut, 3), hist.counts.tolist()
        (147.015, [20, 20, 19, 20, 21])
        """
        col = quote(column)
        finite = f"SELECT CAST({col} AS DOUBLE) AS v FROM {self.source} WHERE isfinite(CAST({col} AS DOUBLE))"
        n = int(self.con.execute(f"SELECT count(*) FROM ({finite})").fetchone()[0])
        if n == 0:
            return ValueHistogram(1.0, np.histogram_bin_edges(np.array([]), bins=bins), np.zeros(bins, dtype=np.int64))
        below_rank = math.floor((n - 1) * clip)
        top = [r[0] for r in self.con.execute(f"SELECT v FROM ({finite}) ORDER BY v DESC LIMIT {n - below_rank}").fetchall()]
        cut = linear_quantile(top[-1], top[-2] if len(top) > 1 else top[-1], n, clip)
        lo, hi = self.con.execute(f"SELECT min(least(v, $cut)), max(least(v, $cut)) FROM ({finite})", {"cut": cut}).fetchone()
        edges = np.histogram_bin_edges(np.array([lo, hi]), bins=bins)
        counts = np.zeros(bins, dtype=np.int64)
        sql = f"""WITH c AS (SELECT least(v, $cut) AS v FROM ({finite})),
            i0 AS (SELECT v, least(CAST(trunc((v - $first) / $denom * $bins) AS BIGINT), $bins - 1) AS i FROM c),
            i1 AS (SELECT v, i - CAST(v < $edges[i + 1] AS BIGINT) AS i FROM i0)
            SELECT i + CAST(v >= $edges[i + 2] AND i != $bins - 1 AS BIGINT) AS i, count(*) FROM i1 GROUP BY ALL"""
        params = {"cut": cut, "first": float(edges[0]), "denom": float(edges[-1] - edges[0]), "bins": bins,
                  "edges": [float(e) for e in edges]}
        for i, count in self.con.execute(sql, params).fetchall():
            counts[i] = count
        return ValueHistogram(float(cut), edges, counts)

    def p_alive_shares(self, order: list[Any]) -> pd.DataFrame:
        """The P(alive) mix of :func:`clv.reports.customer_figures.p_alive_shares`, counted in SQL (same numbers).

        Parameters
        ----------
        order : list
            Channels in display order.

        Returns
        -------
        pandas.DataFrame
            Rows channels (those in ``order`` with scored customers), columns the bands.

        Examples
        --------
        >>> import clv.duckdb
        >>> rows = clv.duckdb.DuckRows(clv.duckdb.connect(), "SELECT * FROM (VALUES (1, 'a', 0.0), (2, 'a', 0.8)) "
        ...                                                  "v(customer_id, channel, p_alive)")
        >>> rows.p_alive_shares(["a"]).loc["a"].tolist()
        [0.5, 0.0, 0.0, 0.5]
        """
        labels = band_labels()
        p = "CAST(p_alive AS DOUBLE)"
        cases = " ".join(f"WHEN {p} > {lo!r} AND {p} <= {hi!r} THEN {i}" for i, (lo, hi) in enumerate(pairwise(P_ALIVE_BANDS)))
        band = f"CASE WHEN {p} = {P_ALIVE_BANDS[0]!r} THEN 0 {cases} END"
        rows = self.con.execute(f"SELECT channel, band, count(*) FROM (SELECT channel, {band} AS band FROM {self.source} "
                                "WHERE channel IS NOT NULL AND p_alive IS NOT NULL AND NOT isnan(p_alive)) WHERE band IS NOT NULL "
                                "GROUP BY ALL").fetchall()
        counts = pd.DataFrame(rows, columns=["channel", "band", "n"]).pivot_table(index="channel", columns="band", values="n",
                                                                                 aggfunc="sum", fill_value=0)
        counts = counts.reindex(columns=range(len(labels)), fill_value=0)
        shares = counts.div(counts.sum(axis=1), axis=0)
        shares.columns = labels
        return shares.reindex(index=[c for c in order if c in shares.index], columns=labels, fill_value=0.0)

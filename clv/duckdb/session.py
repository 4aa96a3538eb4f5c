"""The DuckDB connection and the sources it reads: files, globs, directories, DataFrames and SQL queries.

DuckDB is imported when a function here is first called, never at ``import clv``.
Files are read lazily: a source becomes a DuckDB view over ``read_parquet`` or
``read_csv`` (CSV with every column as text, so the summary parses dates and
amounts itself and reports bad rows), and nothing is read until a query runs.
"""

from __future__ import annotations

import glob
import itertools
import shutil
import tempfile
import weakref
from pathlib import Path
from typing import Any

from clv.errors import DataError

__all__ = ["connect", "duckdb_module", "load_sql", "quote", "read_source", "source_columns", "source_of"]

_PARQUET = {".parquet", ".pq"}
_names = itertools.count()


def duckdb_module() -> Any:
    """The ``duckdb`` module, imported on first use.

    Returns
    -------
    module

    Examples
    --------
    >>> from clv.duckdb import duckdb_module
    >>> hasattr(duckdb_module(), "connect")
    True
    """
    try:
        import duckdb
    except ImportError:  # pragma: no cover - duckdb is a runtime dependency
        raise DataError('the DuckDB engine needs the duckdb package: pip install duckdb') from None
    return duckdb


def connect(database: str = ":memory:", *, memory_limit: str | None = None, threads: int | None = None,
            temp_directory: str | None = None) -> Any:
    """A DuckDB connection set up for ``clv``: UTC session time zone, optional memory limit and spill directory.

    Parameters
    ----------
    database : str
        ``":memory:"`` (default) or a database file.
    memory_limit : str, optional
        DuckDB's ``memory_limit`` (e.g. ``"4GB"``); DuckDB spills larger
        sorts and aggregations to ``temp_directory``.
    threads : int, optional
        Worker threads (default: DuckDB's, one per core).
    temp_directory : str, optional
        Where DuckDB spills; ``"auto"``: a new directory in the system's
        temporary directory, removed with the connection.

    Returns
    -------
    duckdb.DuckDBPyConnection

    Examples
    --------
    >>> import clv.duckdb
    >>> con = clv.duckdb.connect(memory_limit="1GB", threads=1)
    >>> con.execute("SELECT current_setting('TimeZone')").fetchone()[0]
    'UTC'
    """
    con = duckdb_module().connect(database)
    con.execute("SET TimeZone = 'UTC'")
    con.execute("SET enable_progress_bar = false")  # the library never prints
    if memory_limit is not None:
        con.execute(f"SET memory_limit = {quote(memory_limit, literal=True)}")
    if threads is not None:
        con.execute(f"SET threads = {int(threads)}")
    if temp_directory == "auto":
        temp_directory = tempfile.mkdtemp(prefix="clv-duckdb-")
        weakref.finalize(con, shutil.rmtree, temp_directory, True)
    if temp_directory is not None:
        con.execute(f"SET temp_directory = {quote(temp_directory, literal=True)}")
    return con


def quote(name: str, *, literal: bool = False) -> str:
    """``name`` as a SQL identifier (double quotes) or, with ``literal``, a string literal (single quotes).

    Parameters
    ----------
    name : str
    literal : bool

    Returns
    -------
    str

    Examples
    --------
    >>> from clv.duckdb import quote
    >>> print(quote('a"b'), quote("it's", literal=True))
    "a""b" 'it''s'
    """
    q = "'" if literal else '"'
    return q + str(name).replace(q, q + q) + q


def _files(source: str | Path) -> tuple[list[str], str]:
    """The files of a path, glob or directory, and their kind (``"parquet"`` or ``"csv"``)."""
    text = str(source)
    if any(c in text for c in "*?["):
        files = sorted(glob.glob(text, recursive=True))
    else:
        path = Path(text)
        if not path.exists():
            raise DataError(f"transactions file '{path}' does not exist")
        if path.is_dir():
            files = sorted(str(p) for p in path.rglob("*") if p.is_file() and not p.name.startswith((".", "_")))
        else:
            files = [text]
    if not files:
        raise DataError(f"no file matches '{text}'")
    kinds = {"parquet" if Path(f).suffix.lower() in _PARQUET else "csv" for f in files}
    if len(kinds) > 1:
        raise DataError(f"'{text}' mixes Parquet and CSV files; point it at one kind")
    return files, kinds.pop()


def read_source(con: Any, source: Any, what: str = "transactions") -> str:
    """Register ``source`` as a lazy DuckDB view and return the view's name.

    Parameters
    ----------
    con : duckdb.DuckDBPyConnection
    source : str, pathlib.Path, pandas.DataFrame or str naming a view
        A Parquet file, a CSV file (``.csv``, ``.csv.gz``, ...), a glob
        (``"lake/tx-*.parquet"``), a directory (every file under it, all
        Parquet or all CSV), a pandas DataFrame, or ``"view:NAME"`` for a
        table or view already in ``con`` (e.g. loaded from a SQL query by
        :func:`clv.duckdb.load_sql`).
    what : str
        Used in error messages.

    Returns
    -------
    str
        A quoted view name for use in SQL.

    Raises
    ------
    clv.DataError
        A path that does not exist, a glob that matches nothing, a mix of
        Parquet and CSV files.

    Examples
    --------
    >>> import clv.duckdb
    >>> from clv.datasets import data_path
    >>> con = clv.duckdb.connect()
    >>> view = clv.duckdb.read_source(con, data_path("cdnow_sample.csv"))
    >>> con.execute(f"SELECT count(*) FROM {view}").fetchone()[0]
    6919
    """
    name = quote(f"clv_{what}_{next(_names)}")
    if isinstance(source, str) and source.startswith("view:"):
        return quote(source[5:])
    if hasattr(source, "columns") and hasattr(source, "dtypes"):
        con.register(name.strip('"') + "_df", source)
        con.execute(f"CREATE OR REPLACE TEMP VIEW {name} AS SELECT * FROM {quote(name.strip(chr(34)) + '_df')}")
        return name
    files, kind = _files(source)
    listed = "[" + ", ".join(quote(f, literal=True) for f in files) + "]"
    if kind == "parquet":
        reader = f"read_parquet({listed}, union_by_name = true)"
    else:
        reader = f"read_csv({listed}, header = true, all_varchar = true, union_by_name = true)"
    try:
        con.execute(f"CREATE OR REPLACE TEMP VIEW {name} AS SELECT * FROM {reader}")
    except duckdb_module().Error as exc:
        first = str(exc).strip().splitlines()[0]
        raise DataError(f"{what} file '{source}' cannot be read: {first}") from None
    return name


def source_columns(con: Any, source: Any, what: str = "transactions") -> list[str]:
    """Column names of ``source``, read from its schema (no rows are read).

    Parameters
    ----------
    con : duckdb.DuckDBPyConnection
    source : anything :func:`read_source` reads
    what : str
        Used in error messages.

    Returns
    -------
    list of str

    Examples
    --------
    >>> import clv.duckdb
    >>> from clv.datasets import data_path
    >>> clv.duckdb.source_columns(clv.duckdb.connect(), data_path("cdnow_sample.csv"))
    ['customer_id', 'date', 'cds', 'amount']
    """
    view = read_source(con, source, what)
    return [row[0] for row in con.execute(f"DESCRIBE SELECT * FROM {view}").fetchall()]


def load_sql(con: Any, query: str, url: str | None = None, *, chunk_size: int = 100_000, what: str = "transactions") -> str:
    """Stream the rows of a SQL query (through SQLAlchemy) into a DuckDB table, chunk by chunk.

    Parameters
    ----------
    con : duckdb.DuckDBPyConnection
    query : str
        A ``SELECT`` statement, e.g. ``SELECT customer_id, order_date AS date, revenue AS amount FROM orders``.
    url : str, optional
        SQLAlchemy database URL (default: the ``CLV_DATABASE_URL``
        environment variable); the password may also come from the driver's
        environment variables (``PGPASSWORD``).
    chunk_size : int
        Rows per chunk; Python holds one chunk at a time.
    what : str
        Used in the table name and messages.

    Returns
    -------
    str
        ``"view:NAME"``, accepted wherever :func:`read_source` is.

    Raises
    ------
    clv.DataError
        As :func:`clv.data.sql.sql_chunks`, or a query without rows.

    Examples
    --------
    >>> import sqlite3, tempfile, os, clv.duckdb
    >>> path = os.path.join(tempfile.mkdtemp(), "shop.db")
    >>> with sqlite3.connect(path) as db:
    ...     _ = db.execute("CREATE TABLE orders (customer_id INTEGER, day TEXT, revenue REAL)")
    ...     _ = db.executemany("INSERT INTO orders VALUES (?, ?, ?)", [(1, "2024-01-01", 9.5), (1, "2024-02-01", 4.0)])
    >>> con = clv.duckdb.connect()
    >>> source = clv.duckdb.load_sql(con, "SELECT customer_id, day AS date, revenue AS amount FROM orders",
    ...                              f"sqlite:///{path}", chunk_size=1)
    >>> clv.duckdb.rfm_summary(source, con=con).customers
    1
    """
    from clv.data.sql import sql_chunks

    table = f"clv_sql_{what}_{next(_names)}"
    rows = 0
    for chunk in sql_chunks(query, url, chunk_size=chunk_size):
        if not len(chunk):
            continue
        con.register("clv_sql_chunk", chunk)
        verb = f"CREATE TEMP TABLE {quote(table)} AS" if rows == 0 else f"INSERT INTO {quote(table)}"
        try:
            con.execute(f"{verb} SELECT * FROM clv_sql_chunk")
        except duckdb_module().Error as exc:
            raise DataError(f"the {what} query's rows cannot be stored: {str(exc).strip().splitlines()[0]}") from None
        finally:
            con.unregister("clv_sql_chunk")
        rows += len(chunk)
    if rows == 0:
        raise DataError(f"the {what} SQL query returned no rows")
    return f"view:{table}"


def source_of(con: Any, path: Any, query: str | None, url: str | None, progress: Any = None) -> Any:
    """``path`` itself, or the rows of ``query`` streamed into ``con`` (:func:`load_sql`).

    Parameters
    ----------
    con : duckdb.DuckDBPyConnection
    path : path or None
    query : str or None
    url : str or None
    progress : callable, optional

    Returns
    -------
    Anything :func:`read_source` reads.

    Examples
    --------
    >>> import clv.duckdb
    >>> clv.duckdb.source_of(clv.duckdb.connect(), "tx.parquet", None, None)
    'tx.parquet'
    """
    if query is None:
        return path
    if progress is not None:
        progress("streaming the transactions query into DuckDB")
    return load_sql(con, query, url)

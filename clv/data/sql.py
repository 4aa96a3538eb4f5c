"""SQL sources: rows of a query, read in chunks through SQLAlchemy (any database with a SQLAlchemy driver).

Credentials come from the URL (``postgresql://user:secret@host/db``) or from
the driver's standard environment variables (``PGPASSWORD``, ``PGUSER``,
``PGHOST``... for PostgreSQL's libpq). They never appear in messages:
:func:`safe_url` renders the URL with the password masked, and any error text
is scrubbed of the password and of ``PGPASSWORD`` before it is shown.
SQLAlchemy is imported on first use.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pandas as pd

from clv.errors import DataError

__all__ = ["DATABASE_URL_ENV", "check_source", "read_sql", "read_table", "safe_url", "source_label", "sql_chunks"]

DATABASE_URL_ENV = "CLV_DATABASE_URL"
_SECRET_ENV = ("PGPASSWORD", "MYSQL_PWD")


def _url(url: str | None) -> Any:
    try:
        from sqlalchemy.engine import make_url
        from sqlalchemy.exc import ArgumentError
    except ImportError:  # pragma: no cover - sqlalchemy is a runtime dependency
        raise DataError("SQL sources need SQLAlchemy: pip install sqlalchemy") from None
    url = url or os.environ.get(DATABASE_URL_ENV)
    if not url:
        raise DataError(f"a SQL source needs a database URL (--database-url or the {DATABASE_URL_ENV} environment variable)")
    try:
        return make_url(url)
    except ArgumentError:
        raise DataError("the database URL cannot be parsed (expected dialect+driver://user@host:port/database)") from None


def safe_url(url: str | None) -> str:
    """The database URL with its password masked, for messages and reports.

    Parameters
    ----------
    url : str, optional
        Default: the ``CLV_DATABASE_URL`` environment variable.

    Returns
    -------
    str

    Examples
    --------
    >>> from clv.data.sql import safe_url
    >>> safe_url("postgresql://clv:s3cret@db.example.com:5432/shop")
    'postgresql://clv:***@db.example.com:5432/shop'
    """
    return _url(url).render_as_string(hide_password=True)


def _scrub(text: str, url: Any) -> str:
    secrets = [url.password] + [os.environ.get(k) for k in _SECRET_ENV]
    for secret in secrets:
        if secret:
            text = text.replace(str(secret), "***")
    return " ".join(text.split())


def _plain(frame: pd.DataFrame) -> pd.DataFrame:
    """Decimals become floats and dates become timestamps, so the engines see ordinary column types."""
    for col in frame.columns:
        values = frame[col]
        if values.dtype != object:
            continue
        first = values.dropna()
        sample = first.iloc[0] if len(first) else None
        if isinstance(sample, Decimal):
            frame[col] = values.astype(float)
        elif sample is not None and hasattr(sample, "isoformat") and not isinstance(sample, str):
            frame[col] = pd.to_datetime(values)
    return frame


def sql_chunks(query: str, url: str | None = None, *, chunk_size: int = 100_000) -> Iterator[pd.DataFrame]:
    """Run ``query`` and yield its rows as DataFrames of at most ``chunk_size`` rows (server-side cursor when supported).

    Parameters
    ----------
    query : str
        A ``SELECT`` statement.
    url : str, optional
        SQLAlchemy database URL; default the ``CLV_DATABASE_URL`` environment variable.
    chunk_size : int

    Yields
    ------
    pandas.DataFrame
        Columns named as the query's result; ``DECIMAL`` as float, dates as timestamps.

    Raises
    ------
    clv.DataError
        No URL, a missing driver, a failed connection or query (the message
        never shows the password).

    Examples
    --------
    >>> import sqlite3, tempfile, os
    >>> from clv.data.sql import sql_chunks
    >>> path = os.path.join(tempfile.mkdtemp(), "shop.db")
    >>> with sqlite3.connect(path) as db:
    ...     _ = db.execute("CREATE TABLE orders (customer_id INTEGER, day TEXT, revenue REAL)")
    ...     _ = db.executemany("INSERT INTO orders VALUES (?, ?, ?)", [(1, "2024-01-01", 9.5), (2, "2024-01-03", 4.0)])
    >>> [len(c) for c in sql_chunks("SELECT * FROM orders", f"sqlite:///{path}", chunk_size=1)]
    [1, 1]
    """
    from sqlalchemy import create_engine, text
    from sqlalchemy.exc import SQLAlchemyError

    parsed = _url(url)
    try:
        engine = create_engine(parsed)
    except (SQLAlchemyError, ImportError) as exc:
        raise DataError(f"cannot use database {parsed.render_as_string(hide_password=True)}: {_scrub(str(exc), parsed)}") from None
    try:
        with engine.connect() as conn:
            result = conn.execution_options(stream_results=True, yield_per=chunk_size).execute(text(query))
            columns = list(result.keys())
            for rows in result.partitions(chunk_size):
                yield _plain(pd.DataFrame.from_records(rows, columns=columns))
    except SQLAlchemyError as exc:
        first = _scrub(str(getattr(exc, "orig", None) or exc).strip().splitlines()[0], parsed)
        raise DataError(f"SQL source on {parsed.render_as_string(hide_password=True)} failed: {first}") from None
    finally:
        engine.dispose()


def read_sql(query: str, url: str | None = None, *, chunk_size: int = 100_000) -> pd.DataFrame:
    """All rows of ``query`` as one DataFrame (read in chunks); for tables that fit in memory.

    Parameters
    ----------
    query : str
    url : str, optional
    chunk_size : int

    Returns
    -------
    pandas.DataFrame

    Raises
    ------
    clv.DataError
        As :func:`sql_chunks`, or a query without rows.

    Examples
    --------
    >>> import sqlite3, tempfile, os
    >>> from clv.data.sql import read_sql
    >>> path = os.path.join(tempfile.mkdtemp(), "shop.db")
    >>> with sqlite3.connect(path) as db:
    ...     _ = db.execute("CREATE TABLE t (customer_id INTEGER, channel TEXT)")
    ...     _ = db.execute("INSERT INTO t VALUES (1, 'email')")
    >>> read_sql("SELECT * FROM t", f"sqlite:///{path}")
       customer_id channel
    0            1   email
    """
    parts = list(sql_chunks(query, url, chunk_size=chunk_size))
    if not parts or not sum(len(p) for p in parts):
        raise DataError("the SQL query returned no rows")
    return pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]


def check_source(path: Any, query: str | None, what: str, flag: str) -> None:
    """Exactly one of a file and a SQL query for the ``what`` table.

    Parameters
    ----------
    path : path or None
    query : str or None
    what : str
        ``"transactions"``, ``"acquisitions"`` or ``"spend"``.
    flag : str
        The file option (``"-t"``), for the message.

    Raises
    ------
    clv.DataError
        Both or neither.

    Examples
    --------
    >>> from clv.data.sql import check_source
    >>> check_source("tx.csv", None, "transactions", "-t")
    >>> check_source(None, None, "transactions", "-t")
    Traceback (most recent call last):
    ...
    clv.errors.DataError: give the transactions as a file (-t) or as a query (--transactions-sql), not both or neither
    """
    if (path is None) == (query is None):
        raise DataError(f"give the {what} as a file ({flag}) or as a query (--{what}-sql), not both or neither")


def read_table(path: Any, query: str | None, url: str | None, reader: Any) -> Any:
    """``reader(path)``, or ``reader`` of the query's rows when ``query`` is given (small tables: acquisitions, spend).

    Parameters
    ----------
    path : path or None
    query : str or None
    url : str or None
    reader : callable
        E.g. :func:`clv.read_acquisitions`.

    Returns
    -------
    Whatever ``reader`` returns.

    Examples
    --------
    >>> import clv
    >>> from clv.data.sql import read_table
    >>> len(read_table(clv.datasets.data_path("demo/acquisitions.csv"), None, None, clv.read_acquisitions)) > 0
    True
    """
    return reader(read_sql(query, url) if query is not None else path)


def source_label(path: Any, query: str | None, url: str | None) -> str:
    """How a source is named in progress lines and reports: the file, or the database with its password masked.

    Parameters
    ----------
    path : path or None
    query : str or None
    url : str or None

    Returns
    -------
    str

    Examples
    --------
    >>> from clv.data.sql import source_label
    >>> source_label(None, "SELECT 1", "postgresql://clv:pw@db/shop")
    'SQL query on postgresql://clv:***@db/shop'
    """
    return str(path) if query is None else f"SQL query on {safe_url(url)}"

"""Boundary checks for user-supplied tables.

Every reader in :mod:`clv.data` goes through these helpers, so every bad input
produces the same kind of message: one line, naming the column and showing an
offending row.
"""

from __future__ import annotations

import csv
import gzip
import io
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from clv.errors import DataError

__all__ = ["describe_row", "load_table", "parse_numbers", "require_columns", "require_present", "table_columns"]


def describe_row(frame: pd.DataFrame, position: int) -> str:
    """Render row ``position`` (0-based) as ``row N: {col: value, ...}`` with N 1-based."""
    record = {str(k): _plain(v) for k, v in frame.iloc[position].items()}
    return f"row {position + 1}: {record}"


def _plain(value: Any) -> Any:
    if isinstance(value, (np.generic,)):
        return value.item()
    if isinstance(value, pd.Timestamp):
        return str(value)
    return value


def _check_header(path: Path) -> None:
    opener = gzip.open if path.suffix.lower() == ".gz" else open
    with opener(path, "rt", newline="", encoding="utf-8-sig") as handle:
        sample = handle.readline()
    if not sample.strip():
        raise DataError(f"file '{path}' is empty: expected a header row and at least one data row")
    header = next(csv.reader(io.StringIO(sample)))
    seen: set[str] = set()
    for name in header:
        if name in seen:
            raise DataError(f"column '{name}': appears twice in the header of '{path}': {header}")
        seen.add(name)


def load_table(source: Any, what: str) -> pd.DataFrame:
    """Read a CSV or Parquet path, or take a DataFrame; always returns a copy.

    Raises :class:`DataError` for a missing or empty file, duplicate header
    names and unreadable content.
    """
    if isinstance(source, pd.DataFrame):
        frame = source.copy()
        dup = frame.columns[frame.columns.duplicated()]
        if len(dup):
            raise DataError(f"column '{dup[0]}': appears twice in the {what} table: {list(frame.columns)}")
    else:
        path = Path(source)
        if not path.exists():
            raise DataError(f"{what} file '{path}' does not exist")
        if path.stat().st_size == 0:
            raise DataError(f"file '{path}' is empty: expected a header row and at least one data row")
        try:
            if path.suffix.lower() in {".parquet", ".pq"}:
                frame = pd.read_parquet(path)
            else:
                _check_header(path)
                frame = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""])
        except DataError:
            raise
        except (ValueError, OSError, UnicodeDecodeError) as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise DataError(f"{what} file '{path}' cannot be read: {first}") from None
    if frame.empty:
        raise DataError(f"the {what} table has no data rows")
    frame.columns = [str(c).strip() for c in frame.columns]
    return frame


def table_columns(source: Any, what: str) -> list[str]:
    """Column names of a CSV or Parquet file (or DataFrame) without reading its rows.

    Used to decide how to read a file (for example, whether it has an
    amount column) before reading it once.
    """
    if isinstance(source, pd.DataFrame):
        return [str(c).strip() for c in source.columns]
    path = Path(source)
    if not path.exists():
        raise DataError(f"{what} file '{path}' does not exist")
    try:
        if path.suffix.lower() in {".parquet", ".pq"} or path.is_dir():
            import pyarrow.parquet as pq

            return [str(c).strip() for c in pq.read_schema(path).names]
        if path.stat().st_size == 0:
            raise DataError(f"file '{path}' is empty: expected a header row and at least one data row")
        opener = gzip.open if path.suffix.lower() == ".gz" else open
        with opener(path, "rt", newline="", encoding="utf-8-sig") as handle:
            return [name.strip() for name in next(csv.reader(io.StringIO(handle.readline())), [])]
    except DataError:
        raise
    except (ValueError, OSError, UnicodeDecodeError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise DataError(f"{what} file '{path}' cannot be read: {first}") from None


def require_columns(frame: pd.DataFrame, columns: dict[str, str], what: str) -> None:
    """Check that every column in ``columns`` (reader argument -> column name) exists.

    The message lists the columns found and says how to name the right one,
    in Python (the reader's argument) and on the command line.
    """
    for argument, name in columns.items():
        if name not in frame.columns:
            raise DataError(
                f"column '{name}': missing from the {what} table; columns found: {list(frame.columns)}; name the right one "
                f"with {argument}='<column>' (command line: --{argument.replace('_', '-')}-column); {describe_row(frame, 0)}"
            )


def require_present(frame: pd.DataFrame, column: str) -> None:
    """Raise when ``column`` has an empty value."""
    missing = frame[column].isna().to_numpy()
    if missing.any():
        raise DataError(f"column '{column}': empty value in {describe_row(frame, int(np.argmax(missing)))}")


def parse_numbers(frame: pd.DataFrame, column: str, *, allow_negative: bool = True) -> pd.Series:
    """Parse ``column`` as finite floats, raising on text, empty values or infinities."""
    require_present(frame, column)
    raw = frame[column]
    values = pd.to_numeric(raw, errors="coerce")
    bad = values.isna().to_numpy()
    if bad.any():
        i = int(np.argmax(bad))
        raise DataError(f"column '{column}': not a number ({raw.iloc[i]!r}) in {describe_row(frame, i)}")
    values = values.astype(float)
    inf = ~np.isfinite(values.to_numpy())
    if inf.any():
        raise DataError(f"column '{column}': infinite value in {describe_row(frame, int(np.argmax(inf)))}")
    if not allow_negative:
        neg = (values < 0).to_numpy()
        if neg.any():
            raise DataError(f"column '{column}': negative value in {describe_row(frame, int(np.argmax(neg)))}")
    return values

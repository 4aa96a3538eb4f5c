"""The one place that turns date text from user files into timestamps.

Every date column (transaction dates, acquisition dates, the dates inside
spend periods) is read with one convention for the whole column, or refused:

* with ``date_format`` (a strftime pattern such as ``"%d/%m/%Y"``), every
  value must match that pattern;
* without it, a column of ISO 8601 values (``2024-03-05``, with or without a
  time, optionally with one UTC offset shared by every value) is read as
  ISO; a column of numeric ``day/month/year`` or ``month/day/year`` values
  (separators ``/``, ``.`` or ``-``, two- or four-digit years, optional
  time) is read day-first or month-first as decided *once* from the values
  that can only be read one way (a first number above 12 means day-first, a
  second number above 12 means month-first); year-first numeric values
  (``2024/03/05``) are read year-month-day; values that spell the month
  (``5 March 2024``, ``Mar 5, 2024``) are unambiguous and read as written.

A column that mixes these styles, whose numeric values never disambiguate
the order, or whose values contradict each other raises
:class:`clv.DataError` naming the column, two example values and the
``date_format=`` fix. Two rows of one column are never parsed with two
conventions (reading each value on its own is how ``05/06/2025`` became
May 6 while ``30/10/2025`` became October 30).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from clv.data.validation import describe_row, require_present
from clv.errors import DataError

__all__ = ["parse_date_values", "parse_dates"]

_OFFSET = re.compile(r"(Z|[+-]\d{2}:?\d{2})$")
_NUMERIC = re.compile(r"^(\d{1,2})([./-])(\d{1,2})\2(\d{4}|\d{2})(?:([ T]).*)?$")
_YEAR_FIRST = re.compile(r"^(\d{4})([./])(\d{1,2})\2(\d{1,2})(?:([ T]).*)?$")
_MONTH_NAME = re.compile(r"(?i)\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?\b")


def parse_dates(frame: pd.DataFrame, column: str, *, date_format: str | None = None) -> pd.Series:
    """Parse ``frame[column]`` into naive ``datetime64[ns]`` timestamps, one convention for the column.

    Parameters
    ----------
    frame : pandas.DataFrame
        The table being read.
    column : str
        The date column, named in error messages.
    date_format : str, optional
        A strftime pattern every value must match (e.g. ``"%d/%m/%Y"``).

    Returns
    -------
    pandas.Series
        Naive timestamps, indexed like ``frame``.
    """
    require_present(frame, column)
    return parse_date_values(frame[column], column, date_format=date_format, describe=lambda i: describe_row(frame, i))


def parse_date_values(raw: pd.Series, column: str, *, date_format: str | None = None,
                      describe: Callable[[int], str] | None = None, what: str = "a date") -> pd.Series:
    """Parse a series of date values with one convention (see the module notes).

    Naive values are kept as they are. Values carrying a UTC offset must all
    carry the same one; they are read as wall-clock time in that zone.
    ``what`` names the expected content in the message for an unreadable
    value (``cannot parse '...' as <what>``).
    """
    where = describe or (lambda i: f"row {i + 1}")
    if isinstance(raw.dtype, pd.DatetimeTZDtype):
        return raw.dt.tz_localize(None).astype("datetime64[ns]")
    if pd.api.types.is_datetime64_any_dtype(raw.dtype):
        return raw.astype("datetime64[ns]")
    # Work on the distinct values (a date column repeats few of them), then map back to the rows.
    codes, uniques = pd.factorize(raw.astype(str).str.strip().to_numpy())
    first = np.full(len(uniques), len(codes), dtype=np.int64)
    np.minimum.at(first, codes, np.arange(len(codes)))
    text = pd.Series(uniques, dtype=object)
    rows = _Rows(first, where)
    if date_format is not None:
        parsed = _with_format(text, column, date_format, rows)
    else:
        text = _strip_offset(text, column, rows)
        parsed = _infer(text, column, rows, what)
    return pd.Series(parsed.to_numpy(dtype="datetime64[ns]")[codes], index=raw.index, name=raw.name)


class _Rows:
    """Maps a distinct value's position to its first row: ``number(k)`` (1-based) and ``describe(k)``."""

    def __init__(self, first: np.ndarray, where: Callable[[int], str]) -> None:
        self.first, self.where = first, where

    def number(self, k: int) -> int:
        return int(self.first[k]) + 1

    def describe(self, k: int) -> str:
        return self.where(int(self.first[k]))


def _strip_offset(text: pd.Series, column: str, rows: _Rows) -> pd.Series:
    kinds = text.str.extract(_OFFSET, expand=False).fillna("naive")
    if kinds.nunique() > 1:
        first = kinds.iloc[0]
        j = int(np.argmax((kinds != first).to_numpy()))
        raise DataError(
            f"column '{column}': mixed time zones ({first} in row 1, {kinds.iloc[j]} in row {rows.number(j)}); "
            f"convert all dates to one zone first; {rows.describe(j)}"
        )
    return text.str.replace(_OFFSET, "", regex=True) if kinds.iloc[0] != "naive" else text


def _with_format(text: pd.Series, column: str, date_format: str, rows: _Rows) -> pd.Series:
    try:
        parsed = pd.to_datetime(text, format=date_format, errors="coerce")
    except (ValueError, TypeError) as exc:
        raise DataError(f"column '{column}': date_format={date_format!r} cannot be used: {exc}") from None
    if isinstance(parsed.dtype, pd.DatetimeTZDtype):
        parsed = parsed.dt.tz_localize(None)
    elif not pd.api.types.is_datetime64_any_dtype(parsed.dtype):
        raise DataError(f"column '{column}': values carry different UTC offsets; convert all dates to one zone first")
    bad = parsed.isna().to_numpy()
    if bad.any():
        i = int(np.argmax(bad))
        raise DataError(f"column '{column}': {text.iloc[i]!r} does not match date_format={date_format!r} in {rows.describe(i)}")
    return parsed


def _infer(text: pd.Series, column: str, rows: _Rows, what: str) -> pd.Series:
    """Decide the column's style once, then parse every value with it."""
    iso = pd.to_datetime(text, errors="coerce", format="ISO8601")
    iso_ok = iso.notna().to_numpy() & ~text.str.match(_NUMERIC).to_numpy()
    if iso_ok.all():
        return iso
    numeric = text.str.match(_NUMERIC).to_numpy()
    year_first = text.str.match(_YEAR_FIRST).to_numpy()
    named = text.str.contains(_MONTH_NAME).to_numpy() & ~numeric & ~iso_ok
    styles = {"ISO 8601": iso_ok & ~year_first, "day/month/year numbers": numeric, "year/month/day numbers": year_first & ~iso_ok,
              "month names": named}
    present = [(name, mask) for name, mask in styles.items() if mask.any()]
    unknown = ~np.logical_or.reduce([mask for _, mask in present]) if present else np.ones(len(text), bool)
    if unknown.any():
        i = int(np.argmax(unknown))
        raise DataError(f"column '{column}': cannot parse {text.iloc[i]!r} as {what} in {rows.describe(i)}; write dates as ISO 8601 "
                        f"(2024-03-05) or pass date_format='<strftime pattern>'")
    if len(present) > 1:
        (a, ma), (b, mb) = present[0], present[1]
        i, j = int(np.argmax(ma)), int(np.argmax(mb))
        raise DataError(f"column '{column}': mixes date styles ({a} such as {text.iloc[i]!r} in row {rows.number(i)}, {b} such as "
                        f"{text.iloc[j]!r} in row {rows.number(j)}); write one style, or pass date_format='<strftime pattern>'; "
                        f"{rows.describe(j)}")
    style = present[0][0]
    if style == "day/month/year numbers":
        return _day_month(text, column, rows)
    if style == "year/month/day numbers":
        parts = text.str.extract(_YEAR_FIRST)
        return _assemble(text, parts[0], parts[2], parts[3], column, rows)
    parsed = pd.Series([_one_named(v) for v in text], dtype="datetime64[ns]")
    bad = parsed.isna().to_numpy()
    if bad.any():
        i = int(np.argmax(bad))
        raise DataError(f"column '{column}': cannot parse {text.iloc[i]!r} as {what} in {rows.describe(i)}; pass date_format='<strftime pattern>'")
    return parsed


def _one_named(value: str) -> Any:
    try:
        return pd.Timestamp(value)
    except (ValueError, TypeError):
        return pd.NaT


def _day_month(text: pd.Series, column: str, rows: _Rows) -> pd.Series:
    parts = text.str.extract(_NUMERIC)
    first, second = parts[0].astype(int).to_numpy(), parts[2].astype(int).to_numpy()
    day_first, month_first = first > 12, second > 12
    sep, year = parts[1].iloc[0], parts[3].iloc[0]
    rest = "%Y" if len(year) == 4 else "%y"
    hint = (f"pass date_format='%d{sep}%m{sep}{rest}' (day first) or date_format='%m{sep}%d{sep}{rest}' (month first); "
            f"on the command line --date-format")
    if day_first.any() and month_first.any():
        i, j = int(np.argmax(day_first)), int(np.argmax(month_first))
        raise DataError(f"column '{column}': dates contradict each other: {text.iloc[i]!r} (row {rows.number(i)}) can only be "
                        f"day-first and {text.iloc[j]!r} (row {rows.number(j)}) only month-first; {hint}")
    if not (day_first.any() or month_first.any()):
        examples = list(text)[:2]
        shown = " and ".join(repr(v) for v in examples)
        raise DataError(f"column '{column}': cannot tell whether the dates are day-first or month-first: every value "
                        f"(such as {shown}) reads both ways; {hint}")
    day, month = (parts[0], parts[2]) if day_first.any() else (parts[2], parts[0])
    return _assemble(text, parts[3], month, day, column, rows)


def _assemble(text: pd.Series, year: pd.Series, month: pd.Series, day: pd.Series, column: str, rows: _Rows) -> pd.Series:
    """Rebuild ``YYYY-MM-DD[ time]`` from the decided parts and parse it as ISO 8601."""
    years = year.astype(int)
    years = years.where(year.str.len() == 4, np.where(years < 69, 2000 + years, 1900 + years))
    time = text.str.extract(r"^\S+?(?:[ T](.*))?$")[0].fillna("")
    iso = (years.astype(str).str.zfill(4) + "-" + month.astype(int).astype(str).str.zfill(2) + "-"
           + day.astype(int).astype(str).str.zfill(2) + np.where(time != "", " " + time, ""))
    parsed = pd.to_datetime(iso, errors="coerce", format="ISO8601")
    bad = parsed.isna().to_numpy()
    if bad.any():  # a time ISO does not take ("2:30 PM"); the date part is now year-first, so it cannot be swapped
        parsed[bad] = pd.to_datetime(iso[bad], errors="coerce", format="mixed")
        bad = parsed.isna().to_numpy()
    if bad.any():
        i = int(np.argmax(bad))
        raise DataError(f"column '{column}': {text.iloc[i]!r} is not a valid date in the column's order "
                        f"(year {years.iloc[i]}, month {month.iloc[i]}, day {day.iloc[i]}) in {rows.describe(i)}")
    return parsed

"""The report as one Excel workbook (``report.xlsx``) for finance readers.

Sheets: ``Summary`` (the verdict and settings on one page), ``Channels`` (the
channel table with a definition under each column), ``Cohorts`` (cohorts,
then every other per-row table a section contributes, such as the
churn-risk watchlist and retention) and ``Reconciliation`` (the value of the
whole base and the reconciliation counts). Money is formatted as money,
shares as percentages, headers are frozen.

Text from user data (channel names, customer ids, titles) is always written
as a text cell, never as a formula: a channel named ``=HYPERLINK(...)`` or
``+cmd`` stays the literal text (spreadsheet formula injection).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from clv.channels.report import DEFINITIONS

__all__ = ["MONEY_COLUMNS", "PERCENT_COLUMNS", "round_money", "write_workbook"]

MONEY_COLUMNS = frozenset({
    "spend", "cac", "cost", "ltv_realized", "ltv_expected", "ltv_lower", "ltv_upper", "ltv_new", "ltv_new_lower",
    "ltv_new_upper", "revenue_to_date", "clv", "clv_lower", "clv_upper", "realized_value", "future_value", "total_value",
    "max_cac", "headroom", "value",
})
"""Columns holding money (margin or spend): rounded to the cent in CSV files, money-formatted in the workbook."""

PERCENT_COLUMNS = frozenset({
    "prob_ltv_exceeds_cac", "prob_ltv_new_exceeds_cac", "p_alive", "share_of_customers", "share_of_value",
})
"""Columns holding shares or probabilities in [0, 1]: percentage-formatted in the workbook."""

_MONEY_FORMAT = "#,##0.00"
_PERCENT_FORMAT = "0.0%"
_RATIO_FORMAT = '0.00"x"'


def round_money(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with its :data:`MONEY_COLUMNS` rounded to the cent (no float noise such as ``36245.780000000734``).

    Parameters
    ----------
    frame : pandas.DataFrame

    Returns
    -------
    pandas.DataFrame
        A copy; other columns unchanged.

    Examples
    --------
    >>> import pandas as pd
    >>> round_money(pd.DataFrame({"spend": [36245.780000000734], "p_alive": [0.123456]})).to_dict("records")
    [{'spend': 36245.78, 'p_alive': 0.123456}]
    """
    out = frame.copy()
    for col in out.columns:
        if col in MONEY_COLUMNS and pd.api.types.is_float_dtype(out[col]):
            out[col] = out[col].round(2)
    return out


def _plain(value: Any) -> Any:
    """A cell value openpyxl accepts: NaN becomes empty, numpy scalars plain Python, anything else text."""
    if value is None:
        return None
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return float(value) if np.isfinite(value) else None
    if isinstance(value, pd.Timestamp):
        return str(value.date())
    return str(value)


def _put(ws: Any, row: int, col: int, value: Any, number_format: str | None = None) -> Any:
    """Write one cell; strings are forced to text cells (never formulas)."""
    value = _plain(value)
    cell = ws.cell(row=row, column=col)
    cell.value = value
    if isinstance(value, str):
        cell.data_type = "s"  # openpyxl would otherwise store "=..." as a formula
        if value[:1] in ("=", "+", "-", "@"):
            cell.quotePrefix = True
    elif number_format and isinstance(value, float):
        cell.number_format = number_format
    return cell


def _format_of(column: str) -> str | None:
    if column in MONEY_COLUMNS:
        return _MONEY_FORMAT
    if column in PERCENT_COLUMNS:
        return _PERCENT_FORMAT
    if column.endswith("_to_cac"):
        return _RATIO_FORMAT
    return None


def _frame(ws: Any, frame: pd.DataFrame, top: int, *, definitions: Mapping[str, str] | None = None) -> int:
    """Write ``frame`` (header row bold) starting at row ``top``; return the next free row."""
    from openpyxl.styles import Font

    bold = Font(bold=True)
    for j, col in enumerate(frame.columns, start=1):
        _put(ws, top, j, col).font = bold
        ws.column_dimensions[ws.cell(row=top, column=j).column_letter].width = max(12, min(40, len(str(col)) + 4))
    formats = [_format_of(str(c)) for c in frame.columns]
    for i, values in enumerate(frame.itertuples(index=False), start=top + 1):
        for j, value in enumerate(values, start=1):
            _put(ws, i, j, value, formats[j - 1])
    row = top + len(frame) + 2
    for col in frame.columns if definitions else ():
        if col in definitions:
            _put(ws, row, 1, col).font = bold
            _put(ws, row, 2, definitions[col])
            row += 1
    return row + 1


def _summary_sheet(ws: Any, title: str, lines: Iterable[str], settings: Mapping[str, Any], headline: pd.DataFrame) -> None:
    from openpyxl.styles import Font

    _put(ws, 1, 1, title).font = Font(bold=True, size=14)
    row = 3
    for line in lines:
        _put(ws, row, 1, line)
        row += 1
    row = _frame(ws, headline, row + 1)
    _put(ws, row, 1, "Settings").font = Font(bold=True)
    for key, value in settings.items():
        row += 1
        _put(ws, row, 1, key)
        _put(ws, row, 2, value)
    ws.column_dimensions["A"].width = 28


def write_workbook(
    path: str | Path, *, title: str, summary_lines: Sequence[str], channels: pd.DataFrame, cohorts: pd.DataFrame,
    reconciliation: pd.DataFrame, counts: Mapping[str, Any], settings: Mapping[str, Any],
    extra_tables: Mapping[str, pd.DataFrame] | None = None,
) -> Path:
    """Write the report workbook to ``path`` (see the module notes for the sheets).

    Parameters
    ----------
    path : path
        The ``.xlsx`` file to write.
    title : str
        Report title (user text, kept as text).
    summary_lines : sequence of str
        The verdict lines of the summary.
    channels, cohorts, reconciliation : pandas.DataFrame
        The channel table (column ``channel`` first), the cohort table and
        the whole-base value totals.
    counts : mapping
        Reconciliation counts, shown under the totals.
    settings : mapping
        Report settings, shown on the summary sheet.
    extra_tables : mapping, optional
        ``{name: frame}`` written on the cohort sheet under the cohorts
        (watchlist, retention, ...).

    Returns
    -------
    pathlib.Path
        ``path``.

    Examples
    --------
    >>> import pathlib, tempfile, openpyxl, pandas as pd
    >>> channels = pd.DataFrame({"channel": ["=HYPERLINK(\\"http://x\\",\\"y\\")"], "cac": [12.5], "ltv_new_to_cac": [2.0]})
    >>> path = write_workbook(pathlib.Path(tempfile.mkdtemp()) / "report.xlsx", title="t", summary_lines=["ok"],
    ...                       channels=channels, cohorts=pd.DataFrame(), reconciliation=pd.DataFrame(), counts={},
    ...                       settings={"horizon": 52})
    >>> cell = openpyxl.load_workbook(path)["Channels"]["A2"]
    >>> cell.value, cell.data_type
    ('=HYPERLINK("http://x","y")', 's')
    """
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "Summary"
    keep = [c for c in ("channel", "customers", "cac", "ltv_new", "ltv_new_to_cac", "prob_ltv_new_exceeds_cac",
                        "payback_period", "payback_status", "ltv_expected", "ltv_to_cac") if c in channels.columns]
    _summary_sheet(ws, title, summary_lines, settings, channels[keep])
    sheet = wb.create_sheet("Channels")
    _frame(sheet, channels, 1, definitions=DEFINITIONS)
    sheet.freeze_panes = "B2"
    sheet = wb.create_sheet("Cohorts")
    row = _frame(sheet, cohorts, 1)
    sheet.freeze_panes = "A2"
    for name, frame in (extra_tables or {}).items():
        _put(sheet, row, 1, name)
        row = _frame(sheet, frame, row + 1)
    sheet = wb.create_sheet("Reconciliation")
    row = _frame(sheet, reconciliation, 1)
    sheet.freeze_panes = "A2"
    for key, value in counts.items():
        _put(sheet, row, 1, key)
        _put(sheet, row, 2, value, _MONEY_FORMAT if isinstance(value, float) else None)
        row += 1
    from clv.output import atomic_file

    with atomic_file(path) as tmp:
        wb.save(tmp)
    return Path(path)

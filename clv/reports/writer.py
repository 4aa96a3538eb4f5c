"""Writing a report directory atomically.

Everything is rendered and written into a temporary directory next to the
destination; only when every file is complete is it renamed into place
(replacing a previous report in one rename). A failure at any point
removes the temporary directory, so a failed run leaves no partial report
and keeps any previous report intact.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from clv.channels import ChannelReport
from clv.errors import DataError
from clv.output import atomic_directory, csv_line_end, jsonable
from clv.reports.html import page
from clv.reports.sections import ReconciliationSection, ReportContext, Section, SummarySection, default_sections, value_totals_frame
from clv.reports.workbook import round_money, write_workbook

__all__ = ["MARKER", "check_destination", "render_html", "render_markdown", "write_report"]

MARKER = "summary.json"  # a directory holding this file is a clv report and may be replaced
WORKBOOK = "report.xlsx"
_NOT_IN_WORKBOOK = ("channels", "cohorts", "customers", "payback_curves", "reconciliation")


def _workbook(path: Path, ctx: ReportContext, sections: Sequence[Section], tables: dict[str, Any]) -> None:
    """Write ``report.xlsx``: summary, channel table, cohorts with the sections' other tables, reconciliation."""
    summary = next((s for s in sections if isinstance(s, SummarySection)), SummarySection())
    lines = [summary.header(ctx)] + [f"{name}: {text}" for _, name, text in summary.lines(ctx)]
    recon = ctx.channels.reconciliation
    counts = {key: recon.get(key) for key, _ in ReconciliationSection.counts_text()}
    counts["cost_rule"] = recon.get("cost_rule")
    totals = value_totals_frame(ctx)
    write_workbook(path, title=ctx.title, summary_lines=lines, channels=round_money(ctx.channels.table.reset_index()),
                   cohorts=round_money(ctx.channels.cohorts), reconciliation=round_money(totals.reset_index()) if not totals.empty else totals,
                   counts=counts, settings={**ctx.channels.settings, **ctx.inputs},
                   extra_tables={k: _for_workbook(k, v) for k, v in tables.items() if k not in _NOT_IN_WORKBOOK})


def _for_workbook(stem: str, table: Any) -> pd.DataFrame:
    """A section's table for the workbook; a table kept in an engine (millions of rows) is named, not copied."""
    if isinstance(table, pd.DataFrame):
        return round_money(table)
    return pd.DataFrame({"note": [f"{len(table):,} rows: see {stem}.csv (too large for the workbook)"]})


def _write_table(table: Any, path: Path) -> None:
    """Write one section table as CSV: a pandas frame with pandas, a table kept in an engine by its own ``write_csv``."""
    if isinstance(table, pd.DataFrame):
        round_money(table).to_csv(path, index=False, lineterminator=csv_line_end(table))
    else:
        table.write_csv(path)  # clv.duckdb.DuckRows: DuckDB's COPY, the same bytes


def render_html(ctx: ReportContext, sections: Sequence[Section]) -> str:
    """The self-contained HTML page (figures embedded as base64 PNG)."""
    s = ctx.channels.settings
    rule = f" ({s['observation_end_rule']})" if s.get("observation_end_rule") else ""
    subtitle = f"Observation end {s['observation_end']}{rule}; model: {s['model']}"
    return page(ctx.title, subtitle, [(sec.key, sec.title, sec.html(ctx)) for sec in sections])


def render_markdown(ctx: ReportContext, sections: Sequence[Section]) -> str:
    """The Markdown summary."""
    from clv.reports.markdown import md_escape

    parts = [f"# {md_escape(ctx.title)}"]
    for sec in sections:
        body = sec.markdown(ctx)
        if body:
            parts.append(f"## {md_escape(sec.title)}\n\n{body}")
    return "\n\n".join(parts) + "\n"


def check_destination(out: Path, marker: str = MARKER) -> None:
    """Refuse an output that is a file, or a non-empty directory without ``marker`` (an earlier output of the same kind)."""
    if out.exists():
        if not out.is_dir():
            raise DataError(f"output '{out}' exists and is not a directory")
        if any(out.iterdir()) and not (out / marker).is_file():
            raise DataError(f"output directory '{out}' is not empty and holds no clv report ({marker}); choose another --out")


def write_report(
    report: ChannelReport,
    out: str | Path,
    *,
    sections: Sequence[Section] | None = None,
    title: str = "Customer lifetime value by acquisition channel",
    currency: str = "",
    inputs: dict[str, str] | None = None,
    extra: dict[str, Any] | None = None,
) -> Path:
    """Write ``index.html``, ``summary.md``, ``summary.json``, ``report.xlsx`` and the sections' CSV files to ``out``.

    Parameters
    ----------
    report : clv.channels.ChannelReport
    out : path
        Destination directory. It may not exist yet, be empty, or hold an
        earlier clv report (which is replaced as a whole).
    sections : list of Section, optional
        Defaults to :func:`clv.reports.default_sections`; append your own.
    title, currency : str
        Page title and the currency label of money figures (user text, escaped).
    inputs : dict, optional
        Input file names shown in the method section.
    extra : dict, optional
        Data for added sections (:attr:`ReportContext.extra`).

    Returns
    -------
    pathlib.Path
        ``out``.
    """
    out = Path(out)
    sections = list(default_sections() if sections is None else sections)
    keys = [s.key for s in sections]
    if len(set(keys)) != len(keys):
        raise DataError(f"report sections need distinct keys, got {keys}")
    check_destination(out)
    ctx = ReportContext(report, title=title, currency=currency, inputs=dict(inputs or {}), extra=dict(extra or {}))
    with atomic_directory(out) as tmp:
        files = []
        tables: dict[str, Any] = {}
        for sec in sections:
            for stem, frame in sec.tables(ctx).items():
                name = f"{stem}.csv"
                if (tmp / name).exists():
                    raise DataError(f"two report sections write {name}")
                _write_table(frame, tmp / name)
                files.append(name)
                tables[stem] = frame
        _workbook(tmp / WORKBOOK, ctx, sections, tables)
        files.append(WORKBOOK)
        (tmp / "index.html").write_text(render_html(ctx, sections), encoding="utf-8")
        (tmp / "summary.md").write_text(render_markdown(ctx, sections), encoding="utf-8")
        summary = {**report.to_dict(), "sections": {s.key: s.summary(ctx) for s in sections},
                   "files": ["index.html", "summary.md", MARKER, *files], "inputs": ctx.inputs}
        (tmp / MARKER).write_text(json.dumps(jsonable(summary), indent=2, allow_nan=False) + "\n", encoding="utf-8")
    return out


"""The channel report's operations sections: "Retention by cohort" and "Backtest".

Both format what :func:`clv.operations.operations_extra` computed (passed as
``write_report(extra=...)``); nothing here fits or evaluates a model. Add
them with :func:`with_operations`.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd

from clv import plotting
from clv.reports import charts
from clv.reports.html import esc, figure_png, fmt_int, fmt_money, fmt_number, fmt_pct, img_tag, table_html
from clv.reports.markdown import md_escape, md_table
from clv.reports.operations_report import backtest_tables
from clv.reports.sections import ReportContext, Section

__all__ = ["BacktestSection", "RetentionSection", "backtest_sentence_html", "with_operations"]

_PERIOD_NAMES = {"M": "month", "W": "week", "Q": "quarter", "D": "day"}
_MILESTONES = (1, 3, 6, 12)


def _milestones(rt: Any) -> pd.DataFrame:
    """Per group: cumulative repeat-purchase rate at 1, 3, 6 and 12 periods, observed and expected (complete periods)."""
    curves = rt.curves()
    rows = {}
    for group, part in curves.groupby(level=0, sort=False):
        part = part.droplevel(0)
        row = {"customers": part["n_customers"].iloc[0] if len(part) else np.nan}
        for k in _MILESTONES:
            row[f"observed_{k}"] = part["cumulative"].get(k, np.nan)
            row[f"expected_{k}"] = part["expected_cumulative"].get(k, np.nan) if "expected_cumulative" in part else np.nan
        rows[group] = row
    return pd.DataFrame.from_dict(rows, orient="index")


def _milestone_columns(period: str) -> list[tuple[str, str, Any]]:
    name = _PERIOD_NAMES.get(period, period)
    cols: list[tuple[str, str, Any]] = [("customers", "customers", fmt_int)]
    for k in _MILESTONES:
        cols += [(f"observed_{k}", f"by {name} {k}: observed", fmt_pct), (f"expected_{k}", "model", fmt_pct)]
    return cols


class RetentionSection(Section):
    """Share of each acquisition cohort buying in each period since acquisition, observed against the model."""

    key = "retention"
    title = "Retention by cohort"

    def html(self, ctx: ReportContext) -> str:
        rt = ctx.extra.get("retention")
        if rt is None:
            note = ctx.extra.get("retention_note")
            return f'<p class="note">Retention by cohort was not computed for this report{": " + esc(note) if note else "."}</p>'
        name = _PERIOD_NAMES.get(rt.period, rt.period)
        matrix = rt.matrix("share")
        heat = figure_png(lambda ax: charts.retention_heatmap(matrix, ax=ax, title=f"Share of each cohort buying in each {name} "
                                                              f"since acquisition (%), all channels", period_name=name),
                          size=(10, 0.35 * len(matrix) + 2.5))
        curves = rt.curves()
        lines = figure_png(lambda ax: charts.retention_curves(curves, ax=ax, period_name=name), size=(10, 4.8))
        milestones = _milestones(rt)
        return (
            img_tag(heat, "Cohort retention triangle")
            + img_tag(lines, "Retention per channel, observed and expected")
            + "<h3>Repeat-purchase rate (cumulative share with a repeat purchase)</h3>"
            + table_html(milestones, _milestone_columns(rt.period), index=("channel", "channel"))
            + f'<p class="note">{esc(self._note(rt))}</p>'
        )

    @staticmethod
    def _note(rt: Any) -> str:
        name = _PERIOD_NAMES.get(rt.period, rt.period)
        left = ", ".join(f"{k.replace('_', ' ')} {v:,}" for k, v in rt.exclusions.items() if v) or "nothing"
        return (f"Cohort = calendar {name} of acquisition; {name} k = the k-th calendar {name} after it ({name} 0 = the rest "
                f"of the acquisition {name}). A cell is the share of the cohort with at least one purchase (after the "
                f"acquisition day) in that {name}; the last, partly observed {name} counts up to the observation end. The "
                f"model line is each channel's fitted model: P(a new customer buys at least once in that {name}), averaged "
                f"over the cohort's acquisition days. Curves pool cohorts over complete {name}s only. Left out: {left}. "
                "All cells are in retention.csv.")

    def markdown(self, ctx: ReportContext) -> str:
        rt = ctx.extra.get("retention")
        if rt is None:
            note = ctx.extra.get("retention_note")
            return f"Retention by cohort was not computed: {md_escape(note)}" if note else ""
        return md_table(_milestones(rt), _milestone_columns(rt.period), index="channel") + "\n\n" + md_escape(self._note(rt))

    def tables(self, ctx: ReportContext) -> dict[str, pd.DataFrame]:
        rt = ctx.extra.get("retention")
        return {} if rt is None else {"retention": rt.table}

    def summary(self, ctx: ReportContext) -> dict[str, Any]:
        rt = ctx.extra.get("retention")
        if rt is None:
            return {"computed": False, **({"note": ctx.extra["retention_note"]} if ctx.extra.get("retention_note") else {})}
        return {"computed": True, "period": rt.period, "cohorts": int(rt.table["cohort"].nunique()),
                "exclusions": rt.exclusions}


def backtest_sentence_html(ctx: ReportContext) -> str:
    """The backtest's summary sentence as a paragraph, or the note saying why it was skipped ("" without either).

    Parameters
    ----------
    ctx : ReportContext

    Returns
    -------
    str

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> backtest_sentence_html(SimpleNamespace(extra={"backtest": None, "backtest_note": "too short"}, currency=""))
    '<p class="note">Backtest skipped: too short</p>'
    """
    bt = ctx.extra.get("backtest")
    if bt is not None:
        return f'<p class="verdict">{esc(bt.summary(currency=ctx.currency))}</p>'
    note = ctx.extra.get("backtest_note")
    return f'<p class="note">Backtest skipped: {esc(note)}</p>' if note else ""


_CHANNEL_COLUMNS = [("n_customers", "customers", fmt_int), ("actual_purchases", "purchases: actual", lambda v: fmt_number(v, 0)),
                    ("predicted_purchases", "predicted", lambda v: fmt_number(v, 0)),
                    ("purchases_relative_bias", "error", fmt_pct), ("actual_revenue", "revenue: actual", fmt_money),
                    ("predicted_revenue", "predicted", fmt_money), ("revenue_relative_bias", "error", fmt_pct)]
_DECILE_COLUMNS = [("n_customers", "customers", fmt_int), ("predicted_purchases", "predicted purchases", lambda v: fmt_number(v, 2)),
                   ("actual_purchases", "actual purchases", lambda v: fmt_number(v, 2)),
                   ("mae_purchases", "mean abs. error", lambda v: fmt_number(v, 2)),
                   ("predicted_revenue", "predicted revenue", fmt_money), ("actual_revenue", "actual revenue", fmt_money)]


class BacktestSection(Section):
    """How the same method would have forecast the last part of the data: totals, channels, tracking, deciles."""

    key = "backtest"
    title = "Backtest on your own recent past"

    def html(self, ctx: ReportContext) -> str:
        bt = ctx.extra.get("backtest")
        if bt is None:
            return backtest_sentence_html(ctx) or '<p class="note">No backtest was run for this report.</p>'
        track = bt.tracking
        ends = track.table["period_end"]
        if len(ends) > 2 and (ends.iloc[-1] - ends.iloc[-2]) < (ends.iloc[-2] - ends.iloc[-3]):  # a partial last period
            track = replace(track, table=track.table.iloc[:-1])
        png = figure_png(lambda ax: plotting.plot_incremental_tracking(track, ax=ax), size=(10, 4.2))
        s = bt.settings
        return (
            backtest_sentence_html(ctx)
            + img_tag(png, "Weekly repeat purchases, actual against the backtest model")
            + table_html(bt.by_channel, _CHANNEL_COLUMNS, index=("channel", "channel"))
            + "<h3>Per customer, by decile of predicted value (10 = highest)</h3>"
            + table_html(bt.deciles, _DECILE_COLUMNS, index=("decile", "channel"))
            + f'<p class="note">{esc(self._note(s))}</p>'
        )

    @staticmethod
    def _note(s: dict[str, Any]) -> str:
        return (f"The purchase model ({s['model']}) and the spend model were refitted on the data up to {s['calibration_end']} "
                f"only, then asked for the next {s['holdout']:g} time units of the {s['n_customers']:,} customers known by then "
                f"({s['new_customers_in_holdout']:,} customers acquired later are not part of this check). The chart's "
                "vertical line marks the cut; a last, partial week is left off the chart. "
                "Tables: backtest_channels.csv, backtest_tracking.csv, backtest_deciles.csv.")

    def markdown(self, ctx: ReportContext) -> str:
        bt = ctx.extra.get("backtest")
        if bt is None:
            note = ctx.extra.get("backtest_note")
            return f"Backtest skipped: {md_escape(note)}" if note else ""
        return (md_escape(bt.summary(currency=ctx.currency)) + "\n\n"
                + md_table(bt.by_channel, _CHANNEL_COLUMNS, index="channel"))

    def tables(self, ctx: ReportContext) -> dict[str, pd.DataFrame]:
        bt = ctx.extra.get("backtest")
        if bt is None:
            return {}
        return {k: v for k, v in backtest_tables(bt).items() if k != "backtest_frequency"}

    def summary(self, ctx: ReportContext) -> dict[str, Any]:
        bt = ctx.extra.get("backtest")
        if bt is None:
            return {"computed": False, "note": ctx.extra.get("backtest_note")}
        return {"computed": True, "sentence": bt.summary(currency=ctx.currency), "settings": bt.settings,
                "metrics": {k: float(v) for k, v in bt.validation.metrics.items()}}


def with_operations(sections: list[Section]) -> list[Section]:
    """``sections`` with :class:`RetentionSection` and :class:`BacktestSection` before the reconciliation (or at the end).

    Parameters
    ----------
    sections : list of Section

    Returns
    -------
    list of Section

    Examples
    --------
    >>> from clv.reports import default_sections
    >>> [s.key for s in with_operations(default_sections())][-4:]
    ['retention', 'backtest', 'reconciliation', 'method']
    """
    out = [s for s in sections if s.key not in (RetentionSection.key, BacktestSection.key)]
    keys = [s.key for s in out]
    at = keys.index("reconciliation") if "reconciliation" in keys else len(out)
    return [*out[:at], RetentionSection(), BacktestSection(), *out[at:]]

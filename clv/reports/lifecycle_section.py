"""The lifecycle section of the channel report: stage and value-tier mix per channel, the churn-risk watchlist.

Add it to a report with::

    extra = lifecycle_extra(scores, rfm, models, channel_of)
    write_report(report, out, sections=with_lifecycle(default_sections()), extra=extra)

:func:`lifecycle_extra` evaluates the already fitted channel models (no
fitting) through :func:`clv.customer_segments`; the section only formats
what it returns. It contributes ``lifecycle_mix.csv`` (share of each stage
and tier per channel) and ``watchlist.csv`` (customers ranked by value at
risk).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from clv.data.summary import purchase_history
from clv.errors import DataError
from clv.model_set import is_model_set, transactions_at_point
from clv.reports import charts
from clv.reports.html import esc, figure_png, fmt_int, fmt_money, fmt_number, fmt_pct, fmt_text, img_tag, table_html
from clv.reports.markdown import md_escape, md_table
from clv.reports.sections import ReportContext, Section
from clv.segments import STAGES, VALUE_TIERS, churn_watchlist, customer_segments, lifecycle_mix

__all__ = ["STAGE_COLOURS", "LifecycleSection", "lifecycle_extra", "stage_mix_chart", "with_lifecycle"]

STAGE_COLOURS = {"new": "#64b5f6", "growing": "#81c784", "mature": "#2e7d32", "declining": "#ffb74d", "churned": "#c62828"}
_STAGE_DEFAULTS = {"churn_p_alive": 0.3, "churn_activity": 0.2, "decline_p_alive": 0.6, "decline_activity": 0.5,
                   "mature_frequency": 3, "mature_tenure": 0.0, "window": 1.0}


def _transaction_models(models: Any, n_draws: int, seed: int) -> Any:
    """``{channel: transaction model}`` at the point estimate, or at the posterior mean of the parameters."""
    if not is_model_set(models):
        return models  # a single fitted transaction model
    return transactions_at_point(models, n_draws, seed)


def lifecycle_extra(
    scores: pd.DataFrame,
    rfm: pd.DataFrame,
    models: Any,
    channel_of: pd.Series | None = None,
    *,
    top: int = 200,
    n_draws: int = 50,
    seed: int = 0,
    transactions: pd.DataFrame | None = None,
    ranks: Any = None,
    **stage_options: Any,
) -> dict[str, Any]:
    """What :class:`LifecycleSection` needs, for ``write_report(extra=...)``.

    Parameters
    ----------
    scores, rfm : pandas.DataFrame
        The per-customer scores of the report and the RFM frame behind them.
    models : ChannelModels, PosteriorChannelModels or a fitted transaction model
        The models behind ``scores``. Channel models are evaluated channel by
        channel (the pooled model for customers without a channel);
        posterior models at the mean of ``n_draws`` posterior draws.
    channel_of : pandas.Series, optional
        Channel of each customer (index ``customer_id``); needed with channel models.
    top : int
        Length of ``watchlist.csv`` (the CLI's ``--watchlist-size``).
    n_draws, seed : int
        Posterior draws (and their seed) for posterior channel models.
    transactions : pandas.DataFrame, optional
        The log behind ``scores``: adds the CRM columns ``last_purchase``,
        ``purchases`` and ``aov`` (:func:`clv.data.purchase_history`, up to
        ``rfm.attrs["observation_end"]``).
    ranks : clv.segments.rfm.BaseRanks, optional
        For one chunk of a larger base (:func:`clv.duckdb.lifecycle_extra`):
        the rows' standing in the whole base.
    stage_options
        Thresholds passed to :func:`clv.lifecycle_stage`.

    Returns
    -------
    dict
        ``{"segments": per-customer table, "lifecycle_options": thresholds,
        "watchlist_top": top}``.
    """
    unknown = set(stage_options) - set(_STAGE_DEFAULTS)
    if unknown:
        raise DataError(f"unknown lifecycle option {sorted(unknown)[0]!r}; expected some of {sorted(_STAGE_DEFAULTS)}")
    tm = _transaction_models(models, n_draws, seed)
    groups = None
    if isinstance(tm, dict):
        if channel_of is None:
            raise DataError("lifecycle_extra: pass channel_of (the channel of each customer) with channel models")
        groups = channel_of
    table = customer_segments(scores, rfm, tm, groups=groups, ranks=ranks, **stage_options)
    if channel_of is not None:
        table.insert(0, "channel", channel_of.reindex(table.index).to_numpy())
    if transactions is not None:
        history = purchase_history(transactions, observation_end=rfm.attrs.get("observation_end")).reindex(table.index)
        for col in ("last_purchase", "purchases", "aov"):
            table[col] = history[col].to_numpy()
    if not isinstance(top, (int, np.integer)) or top < 1:
        raise DataError(f"watchlist size must be a positive whole number, got {top!r}")
    return {"segments": table, "lifecycle_options": {**_STAGE_DEFAULTS, **stage_options}, "watchlist_top": int(top)}


def stage_mix_chart(shares: pd.DataFrame, *, ax: Any) -> Any:
    """Stacked horizontal bars of the share of each lifecycle stage (columns of ``shares``) per row (channel)."""
    left = np.zeros(len(shares))
    y = np.arange(len(shares))[::-1]
    for stage in STAGES:
        width = shares[stage].to_numpy(dtype=float)
        ax.barh(y, width, left=left, color=STAGE_COLOURS[stage], label=stage, height=0.6)
        left += width
    ax.set_yticks(y, [charts.label(c) for c in shares.index])
    ax.set_xlim(0, 1)
    ax.set_xlabel("share of scored customers")
    ax.set_title("Lifecycle stage mix by channel")
    ax.legend(fontsize=8, ncol=len(STAGES), loc="upper center", bbox_to_anchor=(0.5, -0.15))
    return ax


_SINGULAR = {"weeks": "week", "days": "day", "months": "month"}
_MIX_COLUMNS = [("customers", "customers", fmt_int)] + [(s, s, fmt_pct) for s in STAGES] + [(t, t, fmt_pct) for t in VALUE_TIERS]


def _rule_text(options: dict[str, Any], unit: str) -> list[str]:
    o = options
    tenure = f" and a tenure of at least {o['mature_tenure']:g} {unit}" if o["mature_tenure"] else ""
    window = f"{o['window']:g} {unit}" if o["window"] != 1 else f"1 {_SINGULAR.get(unit, unit)}"
    return [
        f"activity: expected purchases over the next {window} now, divided by the same expectation right after "
        "the customer's last purchase "
        "(1 just after a purchase; falls as the silence lowers P(alive) and the estimated purchase rate).",
        f"churned: P(alive) under {o['churn_p_alive']:g} or activity under {o['churn_activity']:g}.",
        f"declining: otherwise P(alive) under {o['decline_p_alive']:g} or activity under {o['decline_activity']:g}.",
        "new: otherwise no repeat purchase yet.",
        f"growing: otherwise fewer than {o['mature_frequency']:g} repeat purchases{' or a shorter tenure' if tenure else ''}.",
        f"mature: everyone else ({o['mature_frequency']:g} or more repeat purchases{tenure}).",
        "Value tiers by expected CLV: high-value top 5%, potential next 15%, regular middle 60%, low-value bottom 20%.",
        "Watchlist: only customers in the declining stage (their activity has dropped, they are not yet churned), "
        "ranked by value at risk = CLV x (1 - P(alive)): valuable customers the model is unsure about come first. "
        "AOV is the average order value with the first purchase included; purchases count purchase days.",
    ]


class LifecycleSection(Section):
    """Stage mix per channel (chart and table), value tiers and the top of the churn-risk watchlist."""

    key = "lifecycle"
    title = "Lifecycle stages and churn-risk watchlist"
    html_rows = 20
    markdown_rows = 10

    def _data(self, ctx: ReportContext) -> tuple[pd.DataFrame, pd.DataFrame] | None:
        cached = getattr(self, "_cached", None)
        if cached is not None and cached[0] is ctx:  # html, markdown and tables of one report share the per-customer work
            return cached[1]
        self._cached = (ctx, self._compute(ctx))
        return self._cached[1]

    def _compute(self, ctx: ReportContext) -> tuple[pd.DataFrame, pd.DataFrame] | None:
        table = ctx.extra.get("segments")
        if table is None and "lifecycle_tables" in ctx.extra:  # computed chunk by chunk by an engine (clv.duckdb.lifecycle_extra)
            mix, watch = ctx.extra["lifecycle_tables"]
            order = [c for c in ctx.channels.table.index if c in mix.index and c != "all"]
            rest = [g for g in mix.index if g not in order and g != "all"]
            return mix.loc[order + rest + ["all"]], watch
        if table is None:
            return None
        present = set(pd.unique(table["channel"].dropna())) if "channel" in table else set()  # once: the table has a row per customer
        order = [c for c in ctx.channels.table.index if c in present]
        if "channel" in table:
            mix = lifecycle_mix(table, by="channel")
            rest = [g for g in mix.index if g not in order and g != "all"]
            mix = mix.loc[order + rest + ["all"]]
        else:
            mix = lifecycle_mix(table)
        watch = churn_watchlist(table, top=ctx.extra.get("watchlist_top", 200))
        return mix, watch

    def _watch_columns(self, ctx: ReportContext) -> list[tuple[str, str, Any]]:
        return [("rank", "rank", fmt_int), ("channel", "channel", fmt_text), ("value_tier", "tier", fmt_text),
                ("last_purchase", "last purchase", lambda v: fmt_text(pd.Timestamp(v).date()) if pd.notna(v) else ""),
                ("since_last_purchase", f"{ctx.unit} since last purchase", lambda v: fmt_number(v, 1)),
                ("purchases", "purchases", fmt_int), ("aov", "AOV", fmt_money),
                ("p_alive", "P(alive)", fmt_pct), ("clv", "CLV", fmt_money), ("value_at_risk", "value at risk", fmt_money)]

    def html(self, ctx: ReportContext) -> str:
        data = self._data(ctx)
        if data is None:
            return ('<p class="note">Lifecycle stages were not computed for this report '
                    "(pass extra=lifecycle_extra(...) to write_report).</p>")
        mix, watch = data
        png = figure_png(lambda ax: stage_mix_chart(mix, ax=ax), size=(10, 0.5 * len(mix) + 2.2))
        rule = "".join(f"<li>{esc(line)}</li>" for line in _rule_text(ctx.extra["lifecycle_options"], ctx.unit))
        cols = [c for c in self._watch_columns(ctx) if c[0] in watch.columns]
        return (
            img_tag(png, "Share of customers in each lifecycle stage per channel")
            + table_html(mix, _MIX_COLUMNS, index=("channel", "channel"))
            + f"<p>How stages are assigned (from the fitted model, first match wins):</p><ul>{rule}</ul>"
            + f"<h3>Top {esc(min(self.html_rows, len(watch)))} of the churn-risk watchlist (declining customers)</h3>"
            + table_html(watch.head(self.html_rows), cols, index=("customer", "channel"))
            + f'<p class="note">The first {esc(fmt_int(len(watch)))} customers of the watchlist are in watchlist.csv; '
            "the stage and tier mix per channel in lifecycle_mix.csv. Shares count scored customers (those with "
            "transactions).</p>"
        )

    def markdown(self, ctx: ReportContext) -> str:
        data = self._data(ctx)
        if data is None:
            return ""
        mix, watch = data
        cols = [c for c in self._watch_columns(ctx) if c[0] in watch.columns]
        rule = "\n".join(f"- {md_escape(line)}" for line in _rule_text(ctx.extra["lifecycle_options"], ctx.unit))
        return (md_table(mix, _MIX_COLUMNS, index="channel") + "\n\n" + rule + "\n\nTop of the churn-risk watchlist:\n\n"
                + md_table(watch.head(self.markdown_rows), cols, index="customer"))

    def tables(self, ctx: ReportContext) -> dict[str, pd.DataFrame]:
        data = self._data(ctx)
        if data is None:
            return {}
        mix, watch = data
        mix = mix.copy()
        mix.index.name = "channel"
        return {"lifecycle_mix": mix.reset_index(), "watchlist": watch.reset_index()}

    def summary(self, ctx: ReportContext) -> dict[str, Any]:
        table = ctx.extra.get("segments")
        if table is None and "lifecycle_counts" in ctx.extra:
            stage, tier = ctx.extra["lifecycle_counts"]
        elif table is None:
            return {"computed": False}
        else:
            stage = table["stage"].astype(str).value_counts()
            tier = table["value_tier"].astype(str).value_counts()
        return {
            "computed": True,
            "options": ctx.extra["lifecycle_options"],
            "stages": {s: int(stage.get(s, 0)) for s in STAGES},
            "value_tiers": {t: int(tier.get(t, 0)) for t in VALUE_TIERS},
            "watchlist_rows": int(min(ctx.extra.get("watchlist_top", 200), stage.get("declining", 0))),
            "watchlist_qualifies": "declining stage",
        }


def with_lifecycle(sections: list[Section]) -> list[Section]:
    """``sections`` with a :class:`LifecycleSection` after the customers section (at the end if there is none)."""
    out = [s for s in sections if s.key != LifecycleSection.key]
    keys = [s.key for s in out]
    at = keys.index("customers") + 1 if "customers" in keys else len(out)
    return [*out[:at], LifecycleSection(), *out[at:]]

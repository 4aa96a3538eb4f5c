"""The sections of a report.

A report is a list of :class:`Section` objects rendered in order. Each
section renders itself to HTML and Markdown, names the CSV tables it
contributes and a JSON fragment for ``summary.json``. Another part of
``clv`` adds a section by subclassing :class:`Section` and passing
``sections=[*default_sections(), MySection()]`` to
:func:`clv.reports.write_report`; data it needs beyond the channel report
travels in :attr:`ReportContext.extra`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from clv.channels import ChannelReport
from clv.channels.report import DEFINITIONS
from clv.reports import charts
from clv.reports.customer_figures import P_ALIVE_BANDS, p_alive_shares, value_histogram
from clv.reports.html import (
    esc,
    figure_png,
    fmt_int,
    fmt_money,
    fmt_number,
    fmt_pct,
    fmt_ratio,
    fmt_text,
    img_tag,
    table_html,
)
from clv.reports.markdown import md_escape, md_table

__all__ = [
    "P_ALIVE_BANDS",
    "ChannelTableSection",
    "CohortSection",
    "CustomerValueSection",
    "MethodSection",
    "PaybackSection",
    "ReconciliationSection",
    "ReportContext",
    "Section",
    "SummarySection",
    "default_sections",
]

_UNITS = {"W": "weeks", "D": "days", "M": "months"}


@dataclass
class ReportContext:
    """Everything sections draw on.

    Attributes
    ----------
    channels : ChannelReport
    title : str
    currency : str
        Shown next to money axes and headers (user text, escaped).
    inputs : dict
        ``{"transactions": path, ...}`` shown in the method section.
    extra : dict
        Data for sections added by other modules (e.g. lifecycle stages).
    """

    channels: ChannelReport
    title: str = "Customer lifetime value by acquisition channel"
    currency: str = ""
    inputs: dict[str, str] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def unit(self) -> str:
        return _UNITS.get(self.channels.settings["time_unit"], self.channels.settings["time_unit"])

    @property
    def horizon(self) -> str:
        """The horizon as text: ``"52 weeks"`` or ``"lifetime (continuous discounting)"``."""
        h = self.channels.settings["horizon"]
        return "lifetime (continuous discounting)" if isinstance(h, str) else f"{fmt_number(h, 0)} {self.unit}"


class Section:
    """Base class of a report section; subclasses override what they contribute."""

    key = "section"
    title = "Section"

    def html(self, ctx: ReportContext) -> str:
        """Body HTML (every user string escaped)."""
        return ""

    def markdown(self, ctx: ReportContext) -> str:
        """Body Markdown (every user string escaped)."""
        return ""

    def tables(self, ctx: ReportContext) -> dict[str, Any]:
        """``{file stem: frame}`` written as ``<stem>.csv``; a table kept in an engine writes itself (``write_csv``)."""
        return {}

    def summary(self, ctx: ReportContext) -> dict[str, Any]:
        """JSON-ready fragment stored under ``sections[key]`` in ``summary.json``."""
        return {}


def headline_ratio(ctx_or_settings: Any) -> str:
    """The column the verdicts and ranking use: ``ltv_new_to_cac`` with channel models, else ``ltv_to_cac``."""
    settings = ctx_or_settings.channels.settings if isinstance(ctx_or_settings, ReportContext) else ctx_or_settings
    return settings.get("headline_ratio", "ltv_to_cac")


def _verdicts(table: pd.DataFrame, by: str, target: float = 1.0) -> dict[str, Any]:
    rows = table[table["customers"] > 0]
    ratio = rows[by]
    return {
        "ratio": by,
        "target": target,
        "pays_back": list(rows.index[ratio >= target]),
        "does_not_pay_back": list(rows.index[ratio < target]),
        "no_ratio": list(rows.index[ratio.isna()]),
    }


def _payback_text(row: pd.Series, unit: str) -> str:
    status = row["payback_status"]
    if status == "paid back at acquisition":
        return "at acquisition"
    if status == "paid back":
        return f"{row['payback_period']:.1f} {unit}"
    return str(status)


def _sampler_warning(ctx: ReportContext) -> str | None:
    """The failed sampler diagnostics of a Bayesian report, named (see :mod:`clv.reports.sampler_section`)."""
    from clv.reports.sampler_section import failure_text  # it builds on this module

    return failure_text(ctx.extra)


class SummarySection(Section):
    """The verdict: which channels pay back, with headline totals."""

    key = "summary"
    title = "Summary"

    def lines(self, ctx: ReportContext) -> list[tuple[str, str, str]]:
        """``(css class, channel, verdict text)`` per channel with customers."""
        t = ctx.channels.table
        new = headline_ratio(ctx) == "ltv_new_to_cac"
        col, prob = ("ltv_new_to_cac", "prob_ltv_new_exceeds_cac") if new else ("ltv_to_cac", "prob_ltv_exceeds_cac")
        name_ratio, name_prob = ("new-customer LTV:CAC", "P(new-customer LTV > CAC)") if new else ("LTV:CAC", "P(LTV > CAC)")
        out = []
        for name, row in t[t["customers"] > 0].iterrows():
            ratio = row[col]
            if np.isfinite(ratio):
                kind = "good" if ratio >= 1 else "bad"
                word = "pays back" if ratio >= 1 else "does not pay back"
                detail = f"{name_ratio} {fmt_ratio(ratio)}, {name_prob} {fmt_pct(row[prob])}, payback {_payback_text(row, ctx.unit)}"
                if new:
                    detail = detail.replace(f"{name_prob} ", f"{name_prob} (parameters only) ", 1)
                    share = row.get("share_new_paying_back", np.nan)
                    if np.isfinite(share):
                        detail += (f"; {fmt_pct(share)} of new customers pay back within "
                                   f"{fmt_number(ctx.channels.settings['payback_horizon'], 0)} {ctx.unit}")
                    detail += f"; existing customers' value:CAC {fmt_ratio(row['ltv_to_cac'])}"
            else:
                kind, word = "na", "no CAC to compare"
                shown = row["ltv_new"] if new else row["ltv_expected"]
                detail = f"CAC {fmt_money(row['cac'])}; {'new-customer LTV' if new else 'expected LTV'} {fmt_money(shown)}"
            out.append((kind, f"{name}", f"{word}: {detail}"))
        return out

    def header(self, ctx: ReportContext) -> str:
        """Totals, settings and the rule of the verdict, in one paragraph."""
        s = ctx.channels.settings
        t = ctx.channels.table
        ratio = ("new-customer LTV / CAC (forward-looking value of one more customer)"
                 if headline_ratio(ctx) == "ltv_new_to_cac" else "LTV expected / CAC (no channel models)")
        totals = (f"{fmt_int(t['customers'].sum())} acquired customers in {fmt_int((t['customers'] > 0).sum())} channels, "
                  f"acquisition spend {fmt_money(np.nansum(t['spend']))} {ctx.currency}".strip())
        return (f"{totals}. Observation end {s['observation_end']} ({s.get('observation_end_rule', 'as given')}); horizon "
                f"{ctx.horizon}; annual discount rate {fmt_pct(s['discount_rate'])}; "
                f"margin {fmt_pct(s['margin'])}. Verdict and ranking: {ratio}; target LTV:CAC "
                f"{fmt_ratio(s.get('target_ratio', 1.0))} (pays back within the horizon when at least that).")

    def html(self, ctx: ReportContext) -> str:
        items = "".join(f'<li><span class="{k}">{esc(name)}</span> {esc(text)}</li>' for k, name, text in self.lines(ctx))
        backtest = ctx.extra.get("backtest")
        track = f'<p class="verdict">Track record: {esc(backtest.summary(currency=ctx.currency))}</p>' if backtest else ""
        warning = _sampler_warning(ctx)
        return (f'<p class="note">{esc(self.header(ctx))}</p>' + (f'<p class="bad">{esc(warning)}</p>' if warning else "")
                + f'<ul class="verdict">{items}</ul>{track}')

    def markdown(self, ctx: ReportContext) -> str:
        lines = [md_escape(self.header(ctx)), ""]
        body = "\n".join(lines + [f"- **{md_escape(name)}** {md_escape(text)}" for _, name, text in self.lines(ctx)])
        backtest = ctx.extra.get("backtest")
        body += f"\n\nTrack record: {md_escape(backtest.summary(currency=ctx.currency))}" if backtest else ""
        warning = _sampler_warning(ctx)
        return f"**{md_escape(warning)}**\n\n{body}" if warning else body

    def summary(self, ctx: ReportContext) -> dict[str, Any]:
        return _verdicts(ctx.channels.table, headline_ratio(ctx), ctx.channels.settings.get("target_ratio", 1.0))


_CHANNEL_COLUMNS = [
    ("customers", "customers", fmt_int),
    ("cac", "CAC", fmt_money),
    ("ltv_new", "new-customer LTV", fmt_money),
    ("ltv_new_52w", "new LTV 52 weeks", fmt_money),
    ("ltv_new_lifetime", "new LTV lifetime", fmt_money),
    ("ltv_new_to_cac", "new-customer LTV:CAC", fmt_ratio),
    ("prob_ltv_new_exceeds_cac", "P(new LTV > CAC), parameters only", fmt_pct),
    ("payback", "payback", fmt_text),
    ("ltv_realized", "existing: realized", fmt_money),
    ("ltv_expected", "existing: value", fmt_money),
    ("ltv_to_cac", "existing value:CAC", fmt_ratio),
    ("p_alive", "mean P(alive)", fmt_pct),
    ("share_of_customers", "share of customers", fmt_pct),
    ("share_of_value", "share of value", fmt_pct),
    ("spend", "spend", fmt_money),
]


def _with_payback(ctx: ReportContext) -> pd.DataFrame:
    t = ctx.channels.table.copy()
    t["payback"] = [_payback_text(row, ctx.unit) for _, row in t.iterrows()]
    return t


def _row_class(row: pd.Series) -> str:
    r = row["ltv_new_to_cac"] if np.isfinite(row.get("ltv_new", np.nan)) else row["ltv_to_cac"]
    return "" if not np.isfinite(r) else ("pays" if r >= 1 else "fails")


class ChannelTableSection(Section):
    """The channel table and the LTV vs CAC chart."""

    key = "channels"
    title = "LTV vs CAC by channel"

    def html(self, ctx: ReportContext) -> str:
        t = _with_payback(ctx)
        png = figure_png(lambda ax: charts.ltv_vs_cac(t, ax=ax, currency=ctx.currency), size=(10, 0.55 * len(t) + 2))
        interval = ctx.channels.settings["interval"]
        defs = "".join(f"<li>{esc(DEFINITIONS[c])}</li>" for c, _, _ in _CHANNEL_COLUMNS if c in DEFINITIONS)
        return (
            img_tag(png, "New-customer LTV with interval, and CAC, by channel")
            + table_html(t, _CHANNEL_COLUMNS, index=("channel", "channel"), row_class=_row_class, titles=DEFINITIONS)
            + f'<p class="note">Intervals (new-customer low/high under payback; the existing-customer ones in channels.csv) are '
            f'{esc(fmt_pct(interval))} intervals from parameter uncertainty only ({esc(ctx.channels.settings["model"])}); '
            'they leave out customer-to-customer randomness, so single customers vary far more (see "How sure is the verdict" '
            'for the share of new customers paying back and an interval that includes it). '
            '"n/a": zero or unknown CAC, or no customers. Hover a header for its definition.</p>'
            f'<ul class="note">{defs}</ul>'
        )

    def markdown(self, ctx: ReportContext) -> str:
        return md_table(_with_payback(ctx), _CHANNEL_COLUMNS, index="channel")

    def tables(self, ctx: ReportContext) -> dict[str, pd.DataFrame]:
        return {"channels": ctx.channels.table.reset_index()}


class PaybackSection(Section):
    """New-customer value curves against CAC."""

    key = "payback"
    title = "Payback of a new customer"

    def html(self, ctx: ReportContext) -> str:
        curves = ctx.channels.payback_curves
        if curves.empty:
            return '<p class="note">No channel-level models were given, so payback is not computed.</p>'
        t = _with_payback(ctx)
        ordered = curves[[c for c in t.index if c in curves.columns]]
        png = figure_png(lambda ax: charts.payback_curves(ordered, t["cac"], payback=t["payback_period"], ax=ax,
                                                          time_unit=ctx.channels.settings["time_unit"],
                                                          currency=ctx.currency), size=(11, 5))
        interval = fmt_pct(ctx.channels.settings["interval"])
        cols = [("cac", "CAC", fmt_money), ("ltv_new", "new-customer LTV", fmt_money),
                ("ltv_new_lower", f"low ({interval}, parameters only)", fmt_money),
                ("ltv_new_upper", f"high ({interval}, parameters only)", fmt_money), ("payback", "payback", fmt_text),
                ("payback_lower", f"payback low ({interval})", fmt_number), ("payback_upper", f"payback high ({interval})", fmt_number),
                ("model_source", "parameters", fmt_text)]
        return (img_tag(png, "Cumulative margin of a new customer per channel against CAC")
                + table_html(t[t["customers"] > 0], cols, index=("channel", "channel"), row_class=_row_class, titles=DEFINITIONS)
                + '<p class="note">Cumulative expected margin of a newly acquired customer (acquisition purchase at 0, '
                  "discounted repeat purchases after) from each channel's own parameters; payback when it reaches CAC. "
                  f"Intervals: {esc(ctx.channels.settings.get('intervals_include', 'parameter uncertainty only'))}; "
                  f"payback low/high in {esc(ctx.unit)}, n/a when beyond the horizon.</p>")

    def markdown(self, ctx: ReportContext) -> str:
        t = _with_payback(ctx)
        cols = [("cac", "CAC", fmt_money), ("ltv_new", "new-customer LTV", fmt_money), ("payback", "payback", fmt_text)]
        return md_table(t[t["customers"] > 0], cols, index="channel")

    def tables(self, ctx: ReportContext) -> dict[str, pd.DataFrame]:
        return {"payback_curves": ctx.channels.payback_curves.reset_index()}


class CohortSection(Section):
    """Channel x acquisition month heat map of LTV:CAC."""

    key = "cohorts"
    title = "Acquisition cohorts"

    def html(self, ctx: ReportContext) -> str:
        c = ctx.channels.cohorts
        matrix = c.pivot(index="channel", columns="cohort", values="ltv_to_cac")
        order = [n for n in ctx.channels.table.index if n in matrix.index]
        matrix = matrix.loc[order]
        if not np.isfinite(matrix.to_numpy(dtype=float)).any():
            return '<p class="note">No cohort has a CAC, so there is no LTV:CAC to map.</p>'
        png = figure_png(lambda ax: charts.cohort_heatmap(matrix, ax=ax, title="Existing customers' value:CAC by acquisition cohort"),
                         size=(11, 0.45 * len(matrix) + 2.2))
        return (img_tag(png, "LTV to CAC ratio by channel and acquisition month")
                + '<p class="note">Value of existing customers (realized to date + expected over the horizon) / CAC. Older cohorts '
                  "have more realized value, so this map favours age; compare channels on new-customer LTV:CAC above. "
                  "The full table is in cohorts.csv.</p>")

    def markdown(self, ctx: ReportContext) -> str:
        return f"{len(ctx.channels.cohorts)} channel x month cohorts: see cohorts.csv."

    def tables(self, ctx: ReportContext) -> dict[str, pd.DataFrame]:
        return {"cohorts": ctx.channels.cohorts}


class CustomerValueSection(Section):
    """Distribution of customer value and the P(alive) mix by channel.

    The per-customer table is :attr:`ChannelReport.customers`: a pandas
    frame, or a table kept in an engine (:class:`clv.duckdb.DuckRows`) that
    computes the two figures itself and writes its own CSV file; the figures
    come from :mod:`clv.reports.customer_figures` either way.
    """

    key = "customers"
    title = "Customers"

    def html(self, ctx: ReportContext) -> str:
        cust = ctx.channels.customers
        hist = value_histogram(cust)
        png = figure_png(lambda ax: charts.value_distribution(hist, ax=ax, currency=ctx.currency), size=(6.5, 4.2))
        parts = [img_tag(png, "Histogram of expected lifetime value per customer")]
        if "p_alive" in cust:
            shares = p_alive_shares(cust, list(ctx.channels.table.index))
            mix = figure_png(lambda ax: charts.p_alive_mix(shares, ax=ax), size=(6.5, 4.2))
            parts.append(img_tag(mix, "Share of customers by P(alive) band per channel"))
        return f'<div class="grid">{"".join(f"<div>{p}</div>" for p in parts)}</div>' + (
            '<p class="note">Per-customer figures are in customers.csv.</p>')

    def tables(self, ctx: ReportContext) -> dict[str, Any]:
        cust = ctx.channels.customers
        return {"customers": cust.reset_index() if isinstance(cust, pd.DataFrame) else cust}


_RECON_TEXT = [
    ("customers_scored", "customers in the transaction log (scored)"),
    ("customers_in_acquisitions", "customers in the acquisition table (acquired by the observation end)"),
    ("customers_without_acquisition", "customers in transactions but not in acquisitions (not in any channel)"),
    ("realized_value_of_customers_without_acquisition", "their realized margin to date (not in any channel)"),
    ("value_of_customers_without_acquisition", "their expected future margin (not in any channel)"),
    ("acquisitions_without_transactions", "acquired customers without transactions (counted with zero value)"),
    ("acquisitions_after_observation_end", "acquisitions after the observation end (excluded)"),
    ("acquired_after_first_purchase", "customers whose acquisition date is after their first purchase (kept; cohort = acquisition month)"),
    ("transactions_after_observation_end", "transaction rows after the observation end (excluded)"),
    ("customers_with_own_cost", "customers with their own cost in the acquisition table"),
    ("customers_without_cost", "acquired customers without any cost data (left out of CAC)"),
    ("spend_without_customers_total", "spend in periods without any acquired customer (left out of CAC)"),
    ("spend_replaced_by_own_cost_total", "channel spend replaced by customers' own cost (own cost replaces the customer's "
                                         "share of its channel's spend; never added)"),
]

_TOTAL_COLUMNS = [
    ("customers", "customers", fmt_int),
    ("realized_value", "realized value", fmt_money),
    ("future_value", "expected future value", fmt_money),
    ("total_value", "total value", fmt_money),
    ("share_of_value", "share of value", fmt_pct),
]


def value_totals_frame(ctx: ReportContext) -> pd.DataFrame:
    """Attributed, unattributed and total value of the whole base (``reconciliation["value_totals"]``), index ``group``."""
    rows = ctx.channels.reconciliation.get("value_totals", [])
    return pd.DataFrame(rows).set_index("group") if rows else pd.DataFrame()


class ReconciliationSection(Section):
    """Everything that did not line up between transactions, acquisitions and spend."""

    key = "reconciliation"
    title = "Data reconciliation"

    @staticmethod
    def counts_text() -> list[tuple[str, str]]:
        """``(reconciliation key, description)`` of every count shown."""
        return list(_RECON_TEXT)

    def _items(self, ctx: ReportContext) -> list[str]:
        r = ctx.channels.reconciliation
        items = []
        for key, text in _RECON_TEXT:
            value = r.get(key, 0)
            shown = "n/a" if value is None else fmt_money(value) if isinstance(value, float) else fmt_int(value)
            items.append(f"{text}: {shown}")
        items.append(f"cohorts group customers by the month of: {r.get('cohort_date', 'acquired_at')} (acquisition table)")
        for key, text in (("channels_with_spend_but_no_customers", "channels with spend but no customers"),
                          ("zero_cost_channels", "zero-cost channels (LTV:CAC not applicable)"),
                          ("channels_without_cost_data", "channels without any cost data")):
            names = r.get(key, [])
            items.append(f"{text}: {len(names)}" + (f" ({', '.join(map(str, names))})" if names else ""))
        for u in r.get("spend_without_customers", [])[:20]:
            items.append(f"unallocated spend: {u['channel']} {u['period']}: {fmt_money(u['spend'])}")
        for name, amount in r.get("spend_replaced_by_own_cost", {}).items():
            items.append(f"spend replaced by own cost: {name}: {fmt_money(amount)}")
        return items

    def html(self, ctx: ReportContext) -> str:
        totals = value_totals_frame(ctx)
        table = "" if totals.empty else (
            "<h3>Value of the whole base</h3>" + table_html(totals, _TOTAL_COLUMNS, index=("group", "channel"))
            + '<p class="note">Margin, undiscounted to date plus discounted over the horizon; '
              "attributed + unattributed = total. Channel shares of value are shares of the attributed value.</p>")
        return table + "<ul>" + "".join(f"<li>{esc(i)}</li>" for i in self._items(ctx)) + "</ul>"

    def markdown(self, ctx: ReportContext) -> str:
        totals = value_totals_frame(ctx)
        lines = [f"{group}: " + ", ".join(f"{label} {fmt(row[col])}" for col, label, fmt in _TOTAL_COLUMNS)
                 for group, row in totals.iterrows()]
        return "\n".join(f"- {md_escape(i)}" for i in lines + self._items(ctx))

    def tables(self, ctx: ReportContext) -> dict[str, pd.DataFrame]:
        totals = value_totals_frame(ctx)
        return {} if totals.empty else {"reconciliation": totals.reset_index()}

    def summary(self, ctx: ReportContext) -> dict[str, Any]:
        r = ctx.channels.reconciliation
        return {"counts": {k: r.get(k) for k, _ in _RECON_TEXT}, "cohort_date": r.get("cohort_date", "acquired_at"),
                "cost_rule": r.get("cost_rule"), "value_totals": r.get("value_totals", [])}


class MethodSection(Section):
    """Definitions and settings, so a reader can check the arithmetic."""

    key = "method"
    title = "Method and settings"

    def _definitions(self, ctx: ReportContext) -> list[str]:
        s = ctx.channels.settings
        order = ("ltv_new_to_cac", "ltv_new", "ltv_new_52w", "ltv_new_lifetime", "prob_ltv_new_exceeds_cac", "share_new_paying_back",
                 "future_margin_total", "ltv_new_other_model", "payback_period", "payback_lower", "cac", "ltv_realized",
                 "ltv_expected", "ltv_to_cac", "prob_ltv_exceeds_cac")
        return [
            f"Verdict and ranking: {headline_ratio(ctx)}, pays back when at least 1.00x.",
            *(DEFINITIONS[k] for k in order),
            f"Horizon {ctx.horizon}; payback searched up to {s['payback_horizon']:g} {ctx.unit}; "
            + ("value after the horizon is not counted (ltv_new_lifetime shows what it leaves out). " if not isinstance(s["horizon"], str)
               else "ltv_new_52w shows the first year of the lifetime value. ")
            + "Intervals and probabilities use "
            f"{s['n_draws']} parameter draws ({s['model']}): {s.get('intervals_include', 'parameter uncertainty only')}.",
        ]

    def html(self, ctx: ReportContext) -> str:
        s = ctx.channels.settings
        defs = "".join(f"<li>{esc(d)}</li>" for d in self._definitions(ctx))
        rows = "".join(f"<tr><th>{esc(k)}</th><td>{esc(v)}</td></tr>" for k, v in {**s, **ctx.inputs}.items())
        return f"<ul>{defs}</ul><table><tbody>{rows}</tbody></table>"

    def markdown(self, ctx: ReportContext) -> str:
        s = ctx.channels.settings
        lines = [f"- {md_escape(d)}" for d in self._definitions(ctx)]
        lines += [f"- {md_escape(k)}: {md_escape(v)}" for k, v in {**s, **ctx.inputs}.items()]
        return "\n".join(lines)


def default_sections() -> list[Section]:
    """The sections of the channel report, in page order."""
    return [SummarySection(), ChannelTableSection(), PaybackSection(), CohortSection(), CustomerValueSection(),
            ReconciliationSection(), MethodSection()]

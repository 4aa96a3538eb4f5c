"""The report section "How sure is the verdict": parameters, single customers, the channel's total and the choice of model.

Each column says in its header which uncertainty it includes; the
definitions are :data:`clv.channels.report.DEFINITIONS`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from clv.channels.report import DEFINITIONS
from clv.reports.html import Column, esc, fmt_money, fmt_pct, fmt_ratio, table_html
from clv.reports.markdown import md_escape, md_table
from clv.reports.sections import ReportContext, Section

__all__ = ["UncertaintySection", "with_uncertainty"]


def _columns(ctx: ReportContext) -> list[Column]:
    s = ctx.channels.settings
    level = fmt_pct(s["interval"])
    cols: list[Column] = [
        ("cac", "CAC", fmt_money),
        ("ltv_new_to_cac", "new-customer LTV:CAC", fmt_ratio),
        ("prob_ltv_new_exceeds_cac", "P(new LTV > CAC): parameters only", fmt_pct),
        ("share_new_paying_back", f"new customers paying back within {s['payback_horizon']:g} {ctx.unit}: customer randomness "
                                  "+ parameters", fmt_pct),
        ("future_margin_total", "existing customers' future margin, total (undiscounted)", fmt_money),
        ("future_margin_lower", f"low ({level}): customer randomness + parameters", fmt_money),
        ("future_margin_upper", f"high ({level}): customer randomness + parameters", fmt_money),
    ]
    if s.get("other_model"):
        cols.append(("ltv_new_to_cac_other_model", f"LTV:CAC under {s['other_model']}: model choice", fmt_ratio))
    return cols


def _notes(ctx: ReportContext) -> list[str]:
    s = ctx.channels.settings
    notes = [
        "P(new LTV > CAC) carries parameter uncertainty only: it says how sure the average is, not how many customers pay back.",
        f"New customers paying back: {s.get('share_new_paying_back_includes', '')}.",
        f"Future margin interval: {s.get('future_margin_interval_includes', '')}.",
    ]
    if s.get("other_model"):
        notes.append(f"Model choice: the headline recomputed with {s['other_model']} fitted to the same channels; where the two "
                     "ratios fall on different sides of 1.00x the verdict depends on the model.")
    else:
        notes.append("Model choice: not computed (clv report --model-sensitivity fits the other model family).")
    for column, reason in (s.get("not_shown") or {}).items():
        notes.append(f"{column}: n/a ({reason}).")
    return notes


class UncertaintySection(Section):
    """How sure the verdict is: parameter, customer-level and model uncertainty side by side."""

    key = "uncertainty"
    title = "How sure is the verdict"

    def _rows(self, ctx: ReportContext) -> pd.DataFrame:
        t = ctx.channels.table
        return t[t["customers"] > 0]

    def html(self, ctx: ReportContext) -> str:
        notes = "".join(f"<li>{esc(n)}</li>" for n in _notes(ctx))
        return (table_html(self._rows(ctx), _columns(ctx), index=("channel", "channel"), titles=DEFINITIONS)
                + f'<ul class="note">{notes}</ul>')

    def markdown(self, ctx: ReportContext) -> str:
        return md_table(self._rows(ctx), _columns(ctx), index="channel") + "\n\n" + "\n".join(f"- {md_escape(n)}" for n in _notes(ctx))

    def summary(self, ctx: ReportContext) -> dict[str, Any]:
        s = ctx.channels.settings
        rows = self._rows(ctx)
        pick = ["share_new_paying_back", "future_margin_total", "future_margin_lower", "future_margin_upper",
                "ltv_new_to_cac", "ltv_new_to_cac_other_model"]
        return {
            "includes": {
                "prob_ltv_new_exceeds_cac": "parameter uncertainty only",
                "share_new_paying_back": s.get("share_new_paying_back_includes"),
                "future_margin_lower/upper": s.get("future_margin_interval_includes"),
                "ltv_new_to_cac_other_model": f"model choice ({s.get('other_model')})" if s.get("other_model") else None,
            },
            "channels": {str(name): {c: (None if not np.isfinite(row[c]) else float(row[c])) for c in pick}
                         for name, row in rows.iterrows()},
        }


def with_uncertainty(sections: list[Section]) -> list[Section]:
    """``sections`` with :class:`UncertaintySection` after the payback section (or at the end).

    Parameters
    ----------
    sections : list of Section
        The report's sections.

    Returns
    -------
    list of Section

    Examples
    --------
    >>> from clv.reports import default_sections
    >>> [s.key for s in with_uncertainty(default_sections())][:4]
    ['summary', 'channels', 'payback', 'uncertainty']
    """
    keys = [s.key for s in sections]
    at = keys.index("payback") + 1 if "payback" in keys else len(sections)
    return [*sections[:at], UncertaintySection(), *sections[at:]]

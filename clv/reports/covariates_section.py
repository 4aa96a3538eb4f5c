"""The covariate section of a channel report: each coefficient with its interval and what it means in words.

Add it to a report whose channel models were fitted with covariates
(``fit_channel_models(..., covariates=...)``)::

    extra = {**extra, **covariates_extra(models, rfm, level=0.9)}
    write_report(report, out, sections=with_covariates(sections), extra=extra)

The effects are those of :func:`clv.models.covariate_effects.coefficient_effects`:
for a categorical covariate one level against the reference level, for a
numeric one a step of about one standard deviation of the column over all
customers (rounded to one significant figure), so that "1.15x per +20" reads
better than "1.007x per +1".
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import pandas as pd

from clv.model_set import POOLED
from clv.models.covariate_effects import DROPOUT_PURCHASES, coefficient_effects
from clv.output import jsonable, records
from clv.reports.html import esc, fmt_text, table_html
from clv.reports.markdown import md_escape, md_table
from clv.reports.sections import ReportContext, Section

__all__ = ["ALL_CUSTOMERS", "CovariateSection", "covariates_extra", "numeric_steps", "with_covariates"]

ALL_CUSTOMERS = "all customers"
"""Label of the pooled fit (every customer) in the coefficient table."""


def numeric_steps(rfm: pd.DataFrame, columns: list[str]) -> dict[str, float]:
    """``{numeric column: step}``: the column's standard deviation rounded to one significant figure (1 when it is 0)."""
    steps = {}
    for col in columns:
        if col in rfm and pd.api.types.is_numeric_dtype(rfm[col]) and not pd.api.types.is_bool_dtype(rfm[col]):
            sd = float(rfm[col].std())
            steps[col] = float(f"{sd:.1g}") if np.isfinite(sd) and sd > 0 else 1.0
    return steps


def covariates_extra(models: Any, rfm: pd.DataFrame, *, level: float = 0.9, counts: dict[str, Any] | None = None) -> dict[str, Any]:
    """What :class:`CovariateSection` needs, for ``write_report(extra=...)``.

    Parameters
    ----------
    models : ChannelModels
        Channel models fitted with covariates.
    rfm : pandas.DataFrame
        The RFM frame with the covariate columns (for the numeric steps).
    level : float
        Coverage of the intervals.
    counts : dict, optional
        Bookkeeping of the covariate file shown in the section (customers matched, rows without transactions).

    Returns
    -------
    dict
        ``{"covariates": {"table", "profiles", "counts", "level"}}``: one table row per coefficient of the
        pooled fit (group ``"all customers"``) and of every channel with a fit of its own.

    Examples
    --------
    >>> import clv
    >>> sim = clv.simulate(2000, seed=3, start="2024-01-01", end="2025-01-01", channels={"email": {"share": 1.0}})
    >>> rfm = clv.rfm_summary(sim.transactions, observation_end="2024-12-31")
    >>> rfm["vip"] = (rfm.index % 3 == 0).astype(int)
    >>> models = clv.fit_channel_models(rfm, clv.read_acquisitions(sim.acquisitions), covariates={"purchase": ["vip"]})
    >>> table = covariates_extra(models, rfm)["covariates"]["table"]
    >>> table[["group", "coefficient"]].values.tolist()
    [['all customers', 'purchase:vip'], ['email', 'purchase:vip']]
    """
    point = models.point()
    posterior = point is None  # the coefficients of a posterior are shared by the channels: one table, posterior intervals
    groups = {POOLED: _posterior_mean_pair(models)} if posterior else point
    columns = list(dict.fromkeys(c for pair in groups.values() for m in pair if m is not None
                                 for c in (m.links_.encoding.columns if getattr(m, "links_", None) is not None else ())))
    steps = numeric_steps(rfm, columns)
    frames = []
    for name in [POOLED, *sorted(n for n in groups if n != POOLED)]:
        sources = (models.transaction_model, models.spend_model) if posterior else (None, None)
        for model, source in zip(groups[name], sources):
            if model is None or getattr(model, "links_", None) is None:
                continue
            summary = None if source is None else source.coefficients(level)
            effects = coefficient_effects(model, level=level, steps=steps, posterior=summary)
            effects.insert(0, "model", type(model).__name__)
            effects.insert(0, "group", ALL_CUSTOMERS if name == POOLED else name)
            frames.append(effects)
    table = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    profiles = {ALL_CUSTOMERS if k == POOLED else k: v for k, v in models.profiles.items()}
    return {"covariates": {"table": table, "profiles": profiles, "counts": dict(counts or {}), "level": float(level)}}


def _posterior_mean_pair(models: Any, n_draws: int = 50, seed: int = 0) -> tuple[Any, Any]:
    """The population-level (else the first group's) models at the posterior mean of ``n_draws`` draws, coefficients included."""
    sets = models.draws(n_draws, seed=seed)
    name = POOLED if POOLED in sets[0] else next(iter(sets[0]))
    return tuple(None if sets[0][name][j] is None else sets[0][name][j].with_params(
        np.mean([np.asarray(s[name][j].result_.estimates, dtype=float) for s in sets], axis=0)) for j in (0, 1))  # type: ignore[return-value]


def _effect_text(row: pd.Series) -> str:
    """``1.07x (1.05-1.09)`` with a non-breaking space and hyphen, so the cell does not wrap."""
    if not np.isfinite(row["effect_lower"]):
        return f"{row['effect']:.2f}x"
    return f"{row['effect']:.2f}x\u00a0({row['effect_lower']:.2f}\u2011{row['effect_upper']:.2f})"


def _sig(value: Any) -> str:
    """Three significant figures (coefficients of numeric columns are small)."""
    return "n/a" if value is None or not np.isfinite(value) else f"{float(value):.3g}"


class CovariateSection(Section):
    """Coefficients of the covariate models: estimate, standard error, the effect with its interval, and in words."""

    key = "covariates"
    title = "Customer covariates"
    _COLUMNS: ClassVar[list[tuple[str, str, Any]]] = [
        ("coefficient", "coefficient", fmt_text), ("estimate", "estimate", _sig),
        ("std_err", "std. error", _sig), ("effect_text", "effect (interval)", fmt_text),
        ("meaning", "what this means", fmt_text)]

    def _intro(self, data: dict[str, Any]) -> list[str]:
        counts, level = data["counts"], data["level"]
        lines = [
            "Static customer traits from the covariate file move the purchase rate, the dropout and the spend per purchase "
            "(Fader & Hardie 2007). Each effect compares customers who differ in one trait, other traits equal; "
            f"the {level:.0%} intervals carry the coefficient's uncertainty only. An interval that contains 1.00x is "
            f"consistent with no effect; with many coefficients, about {1 - level:.0%} of the intervals of coefficients "
            "without a real effect exclude 1.00x by chance alone. "
            f"Dropout effects under BG/NBD compare the chance of having dropped out by the {DROPOUT_PURCHASES}th repeat purchase."]
        if counts:
            lines.append(f"Covariate file: {counts.get('customers', 0):,} customers matched (every customer of the transactions "
                         f"has a row); {counts.get('rows_without_transactions', 0):,} rows for customers without transactions, not used.")
        if data["profiles"]:
            shown = "; ".join(f"{g}: " + ", ".join(f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}" for k, v in p.items())
                              for g, p in data["profiles"].items())
            lines.append(f"A new customer of a channel (new-customer LTV, payback) is valued at the channel's typical profile "
                         f"(most common level, median number): {shown}.")
        return lines

    @staticmethod
    def _shown(data: dict[str, Any], pooled: bool) -> pd.DataFrame:
        table = data["table"]
        if table.empty:
            return table
        part = table[(table["group"] == ALL_CUSTOMERS) == pooled].copy()
        part["effect_text"] = part.apply(_effect_text, axis=1) if len(part) else []
        return part.set_index("group")

    def html(self, ctx: ReportContext) -> str:
        data = ctx.extra.get("covariates")
        if data is None:
            return ""
        body = "".join(f'<p class="note">{esc(line)}</p>' for line in self._intro(data))
        pooled, channels = self._shown(data, True), self._shown(data, False)
        if len(pooled):
            body += "<h3>All customers</h3>" + table_html(pooled.reset_index(drop=True), self._COLUMNS)
        if len(channels):
            body += ("<details><summary>Each channel's own fit</summary>"
                     + table_html(channels, self._COLUMNS, index=("channel", "channel")) + "</details>")
        return body

    def markdown(self, ctx: ReportContext) -> str:
        data = ctx.extra.get("covariates")
        if data is None:
            return ""
        parts = [md_escape(line) for line in self._intro(data)]
        pooled, channels = self._shown(data, True), self._shown(data, False)
        if len(pooled):
            parts += ["**All customers**", md_table(pooled.reset_index(drop=True), self._COLUMNS)]
        if len(channels):
            parts += ["**Each channel's own fit**", md_table(channels, self._COLUMNS, index="channel")]
        return "\n\n".join(parts)

    def tables(self, ctx: ReportContext) -> dict[str, pd.DataFrame]:
        data = ctx.extra.get("covariates")
        return {} if data is None else {"covariate_effects": data["table"]}

    def summary(self, ctx: ReportContext) -> dict[str, Any]:
        data = ctx.extra.get("covariates")
        if data is None:
            return {"computed": False}
        return {"computed": True, "level": data["level"], "counts": jsonable(data["counts"]),
                "typical_profiles": jsonable(data["profiles"]), "coefficients": records(data["table"])}


def with_covariates(sections: list[Section]) -> list[Section]:
    """``sections`` with a :class:`CovariateSection` after the channel table (at the end when there is none)."""
    rest = [s for s in sections if s.key != CovariateSection.key]
    keys = [s.key for s in rest]
    at = keys.index("channels") + 1 if "channels" in keys else len(rest)
    return [*rest[:at], CovariateSection(), *rest[at:]]

"""The sampler diagnostics section of a Bayesian channel report: R-hat, ESS, divergences, a trace plot.

Add it to a report built on posterior models with::

    extra = {**extra, **sampler_extra(models)}
    write_report(report, out, sections=with_sampler(sections), extra=extra)

The thresholds follow Vehtari et al. (2021): rank-normalised split R-hat under
1.01 and bulk and tail ESS of at least 400 for every group-level quantity
(each channel's parameters and the population mean and spread of each
sampled quantity), and no divergent transition. When a check fails the
summary section names the quantity in red (:func:`failure_text`).
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import pandas as pd

from clv.reports.html import esc, figure_png, fmt_int, fmt_number, fmt_text, img_tag, table_html
from clv.reports.markdown import md_escape, md_table
from clv.reports.sections import ReportContext, Section

__all__ = ["SamplerSection", "failure_text", "sampler_extra", "with_sampler"]

RHAT_MAX = 1.01
ESS_MIN = 400.0


def _model_rows(label: str, model: Any) -> tuple[pd.DataFrame, int, dict[str, np.ndarray]]:
    """Per-quantity R-hat and ESS of one fitted model, its divergences and the population-level traces."""
    # Unrounded: ArviZ's default 2 decimals would turn an R-hat of 1.006 into a failing 1.01.
    table = model.summary(round_to="none")[["mean", "r_hat", "ess_bulk", "ess_tail"]].copy()
    table.insert(0, "model", label)
    table.index.name = "quantity"
    stats = model.idata.sample_stats
    divergences = int(stats["diverging"].values.sum()) if "diverging" in stats else 0
    post = model.idata.posterior
    traces = {f"{label}: {v}": np.asarray(post[v].values) for v in post.data_vars if v.startswith(("mu_", "sigma_"))}
    return table, divergences, traces


def _sampler_stats(model: Any, table: pd.DataFrame, divergences: int) -> dict[str, Any]:
    """Chains, draws, final step size per chain, mean gradient evaluations per draw, worst R-hat and ESS of one model."""
    stats = model.idata.sample_stats
    steps = np.asarray(stats["n_steps"].values) if "n_steps" in stats else None
    step_size = np.asarray(stats["step_size"].values)[:, -1] if "step_size" in stats else None
    return {
        "chains": int(stats.sizes["chain"]), "draws": int(stats.sizes["draw"]),
        "tune": int(getattr(model, "fit_settings_", {}).get("tune", 0) or 0),
        "step_size": None if step_size is None else [round(float(v), 4) for v in step_size],
        "grad_evals_per_draw": None if steps is None else round(float(steps.mean()), 1),
        "max_rhat": round(float(table["r_hat"].max()), 4), "min_ess_bulk": float(table["ess_bulk"].min()),
        "min_ess_tail": float(table["ess_tail"].min()), "divergences": divergences,
    }


def sampler_extra(models: Any) -> dict[str, Any]:
    """What :class:`SamplerSection` needs, for ``write_report(extra=...)``, from posterior channel models.

    Parameters
    ----------
    models : PosteriorChannelModels
        Fitted Bayesian channel models (``transaction_model`` and ``spend_model``).

    Returns
    -------
    dict
        ``{"sampler": {"table", "divergences", "traces", "failures", "models"}}``; ``failures`` lists
        one short text per failed check, naming the quantity; ``models`` holds per model the
        chains, draws, tuning steps, final step size per chain, mean gradient evaluations per
        draw, worst R-hat and ESS and the divergences.

    Examples
    --------
    Needs fitted Bayesian models, so these lines are not run:

    >>> extra = sampler_extra(models)  # doctest: +SKIP
    >>> extra["sampler"]["failures"]  # doctest: +SKIP
    []
    """
    tables, divergences, traces, stats = [], {}, {}, {}
    for label, model in (("BG/NBD", models.transaction_model), ("Gamma-Gamma", models.spend_model)):
        table, div, trace = _model_rows(label, model)
        tables.append(table)
        divergences[label] = div
        traces.update(trace)
        stats[label] = _sampler_stats(model, table, div)
    table = pd.concat(tables)
    return {"sampler": {"table": table, "divergences": divergences, "traces": traces, "failures": _failures(table, divergences),
                        "models": stats}}


def _failed(row: pd.Series) -> bool:
    """Whether one quantity's row fails R-hat or either ESS check."""
    return not (row["r_hat"] < RHAT_MAX and row["ess_bulk"] >= ESS_MIN and row["ess_tail"] >= ESS_MIN)


def _failures(table: pd.DataFrame, divergences: dict[str, int]) -> list[str]:
    """One text per failed check, worst first: divergences, then R-hat (largest first), then ESS (smallest first)."""
    failures = [f"{m}: {n} divergent transitions" for m, n in divergences.items() if n]
    rhat = table[~(table["r_hat"] < RHAT_MAX)].sort_values("r_hat", ascending=False)
    failures += [f"{row['model']} {name}: R-hat " + (f"{row['r_hat']:.4f}" if np.isfinite(row["r_hat"]) else "n/a (needs 2 or more chains)")
                 for name, row in rhat.iterrows()]
    ess = table.assign(worst=table[["ess_bulk", "ess_tail"]].min(axis=1), kind=np.where(table["ess_bulk"] <= table["ess_tail"], "bulk", "tail"))
    ess = ess[~(ess["worst"] >= ESS_MIN)].sort_values("worst")
    failures += [f"{row['model']} {name}: {row['kind']} ESS {row['worst']:.0f}" for name, row in ess.iterrows()]
    return failures


def failure_text(extra: dict[str, Any]) -> str | None:
    """One sentence naming the failed diagnostics (``None`` when they pass or were not computed)."""
    failures = extra.get("sampler", {}).get("failures")
    if not failures:
        return None
    # The worst three of each kind (the list is ordered worst first within divergences, R-hat, ESS).
    picked = [f for f in failures if "divergent" in f] + [f for f in failures if "R-hat" in f][:3] + [f for f in failures if "ESS" in f][:3]
    shown = "; ".join(picked) + (f"; and {len(failures) - len(picked)} more failed checks" if len(failures) > len(picked) else "")
    return (f"Sampler diagnostics failed (R-hat < {RHAT_MAX}, ESS >= {ESS_MIN:.0f}, no divergences): {shown}. "
            "Treat the figures as provisional and sample longer (--bayes-draws, --chains).")


def _trace_chart(traces: dict[str, np.ndarray], ax: Any) -> Any:
    """Standardised traces of the population-level quantities, one row per quantity, one colour per chain."""
    names = list(traces)
    for i, name in enumerate(names):
        values = traces[name]
        centre, scale = values.mean(), values.std() or 1.0
        for c in range(values.shape[0]):
            ax.plot((values[c] - centre) / scale / 4 + len(names) - 1 - i, lw=0.5, color=f"C{c}")
    ax.set_yticks(np.arange(len(names))[::-1], names, fontsize=7)
    ax.set_xlabel("draw (after tuning)")
    ax.set_title("Population-level quantities by chain (standardised): well-mixed chains overlap")
    return ax


class SamplerSection(Section):
    """R-hat, ESS and divergences of the Bayesian fits, with a trace plot of the population-level quantities."""

    key = "sampler"
    title = "Sampler diagnostics"
    _COLUMNS: ClassVar[list[tuple[str, str, Any]]] = [("model", "model", fmt_text), ("mean", "posterior mean", lambda v: fmt_number(v, 3)),
                ("r_hat", "R-hat", lambda v: fmt_number(v, 4)), ("ess_bulk", "bulk ESS", fmt_int), ("ess_tail", "tail ESS", fmt_int)]

    _STATS: ClassVar[list[tuple[str, str, Any]]] = [
        ("sampling", "chains x (tuning + draws)", fmt_text), ("step_size", "final step size per chain", fmt_text),
        ("grad_evals_per_draw", "gradient evaluations per draw", lambda v: fmt_number(v, 1)),
        ("max_rhat", "max R-hat", lambda v: fmt_number(v, 4)), ("min_ess_bulk", "min bulk ESS", fmt_int),
        ("min_ess_tail", "min tail ESS", fmt_int), ("divergences", "divergences", fmt_int)]

    @staticmethod
    def _stats_frame(data: dict[str, Any]) -> pd.DataFrame:
        """One row per model: the sampler's settings, step sizes, cost per draw and worst diagnostics."""
        rows = {}
        for model, st in data.get("models", {}).items():
            steps = st.get("step_size")
            rows[model] = {**st, "sampling": f"{st['chains']} x ({st['tune']} + {st['draws']})",
                           "step_size": "n/a" if steps is None else ", ".join(f"{v:.3g}" for v in steps)}
        return pd.DataFrame.from_dict(rows, orient="index")

    def _verdict(self, ctx: ReportContext) -> str:
        data = ctx.extra["sampler"]
        divergences = ", ".join(f"{m} {n}" for m, n in data["divergences"].items())
        return failure_text(ctx.extra) or f"All checks pass (R-hat < {RHAT_MAX}, ESS >= {ESS_MIN:.0f}); divergences: {divergences}."

    def html(self, ctx: ReportContext) -> str:
        data = ctx.extra.get("sampler")
        if data is None:
            return ""
        css = "bad" if data["failures"] else "good"
        chart = figure_png(lambda ax: _trace_chart(data["traces"], ax), size=(10, 0.35 * len(data["traces"]) + 1.5))
        stats = self._stats_frame(data)
        overview = table_html(stats, self._STATS, index=("model", "text")) if len(stats) else ""
        return (f'<p class="{css}">{esc(self._verdict(ctx))}</p>' + overview
                + img_tag(chart, "Traces of the population-level quantities")
                + table_html(data["table"], self._COLUMNS, index=("quantity", "quantity"), row_class=lambda row: "fails" if _failed(row) else ""))

    def markdown(self, ctx: ReportContext) -> str:
        data = ctx.extra.get("sampler")
        if data is None:
            return ""
        stats = self._stats_frame(data)
        overview = md_table(stats, self._STATS, index="model") + "\n\n" if len(stats) else ""
        return md_escape(self._verdict(ctx)) + "\n\n" + overview + md_table(data["table"], self._COLUMNS, index="quantity")

    def tables(self, ctx: ReportContext) -> dict[str, pd.DataFrame]:
        data = ctx.extra.get("sampler")
        return {} if data is None else {"sampler_diagnostics": data["table"].reset_index()}

    def summary(self, ctx: ReportContext) -> dict[str, Any]:
        data = ctx.extra.get("sampler")
        if data is None:
            return {"computed": False}
        return {"computed": True, "passed": not data["failures"], "failures": data["failures"], "divergences": data["divergences"],
                "models": data.get("models", {})}


def with_sampler(sections: list[Section]) -> list[Section]:
    """``sections`` with a :class:`SamplerSection` at the end."""
    return [*(s for s in sections if s.key != SamplerSection.key), SamplerSection()]

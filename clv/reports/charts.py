"""Charts of the channel report.

Each function draws precomputed figures on the matplotlib ``ax`` it is
given and returns it; none computes a model quantity. matplotlib is only
imported by the caller that makes the figure (see
:func:`clv.reports.html.figure_png`), so importing this module is cheap.
Channel names are user text: :func:`label` keeps matplotlib from reading
``$...$`` in them as mathematics.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "arm_curves",
    "cohort_heatmap",
    "label",
    "ltv_vs_cac",
    "p_alive_mix",
    "payback_curves",
    "retention_curves",
    "retention_heatmap",
    "value_distribution",
]

PAYS = "#2e7d32"
FAILS = "#c62828"
NEUTRAL = "#78909c"


def label(text: Any) -> str:
    """User text made safe for a matplotlib label (no mathtext)."""
    return str(text).replace("$", r"\$")


def ltv_vs_cac(table: pd.DataFrame, *, ax: Any, currency: str = "") -> Any:
    """Horizontal bars of new-customer LTV (``ltv_new``) with its interval, and CAC as a black mark, per channel.

    ``table`` is :attr:`clv.channels.ChannelReport.table` (rows in display
    order, top first). Bars are green when LTV covers CAC, red when it does
    not, grey when there is no CAC to compare with. Without channel models
    (``ltv_new`` all missing) the bars are ``ltv_expected``, the value of
    the existing customers.
    """
    rows = table[table["customers"] > 0]
    y = np.arange(len(rows))[::-1]
    new = "ltv_new" in rows and bool(np.isfinite(rows["ltv_new"].to_numpy(dtype=float)).any())
    col, low, high = ("ltv_new", "ltv_new_lower", "ltv_new_upper") if new else ("ltv_expected", "ltv_lower", "ltv_upper")
    what = "new-customer LTV" if new else "expected LTV of existing customers"
    ltv = rows[col].to_numpy(dtype=float)
    cac = rows["cac"].to_numpy(dtype=float)
    colours = [NEUTRAL if not (np.isfinite(c) and c > 0) else (PAYS if v >= c else FAILS) for v, c in zip(ltv, cac)]
    ax.barh(y, ltv, color=colours, height=0.6, label=f"{what} per customer")
    lo = rows[low].to_numpy(dtype=float)
    hi = rows[high].to_numpy(dtype=float)
    ok = np.isfinite(lo) & np.isfinite(hi)
    if ok.any():
        # Drawn from its own ends: an interval need not contain the point estimate (few draws, or rounding when
        # every draw equals it), and matplotlib refuses negative error lengths.
        ax.errorbar((lo[ok] + hi[ok]) / 2, y[ok], xerr=np.abs(hi[ok] - lo[ok]) / 2, fmt="none", ecolor="black",
                    capsize=4, lw=1.2, label="interval")
    has = np.isfinite(cac)
    ax.scatter(cac[has], y[has], marker="D", s=60, color="black", zorder=3, label="CAC")
    ax.set_yticks(y, [label(c) for c in rows.index])
    ax.set_xlabel(f"margin per customer {currency}".strip())
    ax.set_title(f"{what[0].upper()}{what[1:]} (bars, with parameter interval) vs CAC (diamonds)")
    ax.legend(loc="lower right", fontsize=8)
    ax.grid(axis="x", alpha=0.3)
    return ax


def payback_curves(curves: pd.DataFrame, cac: pd.Series, *, ax: Any, payback: pd.Series | None = None,
                   time_unit: str = "W", currency: str = "") -> Any:
    """Cumulative discounted margin of a new customer per channel, each channel's CAC dashed in the same colour.

    ``curves`` is :attr:`ChannelReport.payback_curves` (index: time after
    acquisition; columns drawn in their order); ``cac`` the CAC per channel
    (NaN or 0 draws no line); ``payback`` the payback time per channel,
    marked with a dot where the curve reaches CAC.
    """
    import matplotlib as mpl

    colours = mpl.colormaps["tab10"]
    for i, name in enumerate(curves.columns):
        colour = colours(i % 10)
        c = float(cac.get(name, np.nan))
        has_cac = np.isfinite(c) and c > 0
        text = f"{label(name)} (CAC {c:,.2f})" if has_cac else f"{label(name)} (no CAC)"
        ax.plot(curves.index, curves[name], color=colour, lw=2, label=text)
        if has_cac:
            ax.axhline(c, color=colour, ls="--", lw=1)
            t = float(payback.get(name, np.nan)) if payback is not None else np.nan
            if np.isfinite(t):
                ax.plot([t], [c], "o", color=colour, markeredgecolor="black", markersize=8, zorder=4)
    unit = {"W": "weeks", "D": "days", "M": "months"}.get(time_unit, time_unit)
    ax.set_xlabel(f"{unit} after acquisition")
    ax.set_ylabel(f"cumulative margin {currency}".strip())
    ax.set_title("Payback: new-customer margin (solid) reaches CAC (dashed) at the dot")
    ax.legend(fontsize=8, loc="center left", bbox_to_anchor=(1.01, 0.5))
    ax.grid(alpha=0.3)
    return ax


def cohort_heatmap(matrix: pd.DataFrame, *, ax: Any, title: str = "LTV:CAC by acquisition cohort") -> Any:
    """Colour map of a channel x cohort matrix of ratios, centred on 1 (green pays back, red does not).

    ``matrix`` has channels as rows and cohort labels as columns; NaN cells
    (no CAC, no customers) stay blank.
    """
    import matplotlib as mpl
    from matplotlib.colors import TwoSlopeNorm

    values = matrix.to_numpy(dtype=float)
    finite = values[np.isfinite(values)]
    top = max(2.0, float(np.quantile(finite, 0.95))) if finite.size else 2.0
    cmap = mpl.colormaps["RdYlGn"].with_extremes(bad="#eeeeee")
    image = ax.imshow(np.ma.masked_invalid(values), aspect="auto", cmap=cmap,
                      norm=TwoSlopeNorm(vmin=0.0, vcenter=1.0, vmax=top))
    ax.set_yticks(np.arange(len(matrix.index)), [label(c) for c in matrix.index])
    step = max(1, len(matrix.columns) // 12)
    ticks = np.arange(0, len(matrix.columns), step)
    ax.set_xticks(ticks, [label(matrix.columns[i]) for i in ticks], rotation=45, ha="right")
    ax.set_xlabel("acquisition month")
    ax.set_title(title)
    ax.figure.colorbar(image, ax=ax, label="LTV / CAC (1 = break even)")
    return ax


def value_distribution(hist: Any, *, ax: Any, currency: str = "", clip: float = 0.99) -> Any:
    """Histogram of expected lifetime value per customer, cut at the ``clip`` quantile (the cut is labelled).

    ``hist`` is a :class:`clv.reports.customer_figures.ValueHistogram` (the
    cut, bin edges and counts, computed from the customers beforehand); the
    bars are those of ``ax.hist(np.minimum(values, cut), bins=edges)``.
    """
    edges = np.asarray(hist.edges, dtype=float)
    ax.hist(edges[:-1], bins=edges, weights=np.asarray(hist.counts, dtype=float), color="#1565c0", alpha=0.85)
    ax.set_xlabel(f"expected LTV per customer {currency} (top {1 - clip:.0%} shown at {hist.cut:,.0f})".strip())
    ax.set_ylabel("customers")
    ax.set_title("Distribution of customer lifetime value")
    ax.grid(alpha=0.3)
    return ax


def p_alive_mix(shares: pd.DataFrame, *, ax: Any) -> Any:
    """Stacked horizontal bars: share of each channel's customers in each P(alive) band (columns of ``shares``)."""
    import matplotlib as mpl

    colours = mpl.colormaps["RdYlGn"](np.linspace(0.1, 0.9, len(shares.columns)))
    left = np.zeros(len(shares))
    y = np.arange(len(shares))[::-1]
    for colour, band in zip(colours, shares.columns):
        width = shares[band].to_numpy(dtype=float)
        ax.barh(y, width, left=left, color=colour, label=label(band), height=0.6)
        left += width
    ax.set_yticks(y, [label(c) for c in shares.index])
    ax.set_xlim(0, 1)
    ax.set_xlabel("share of customers")
    ax.set_title("P(alive) mix by channel")
    ax.legend(title="P(alive)", fontsize=8, ncol=len(shares.columns), loc="upper center", bbox_to_anchor=(0.5, -0.18))
    return ax


def arm_curves(curves: pd.DataFrame, *, ax: Any, time_unit: str = "W", min_exposed: float = 0.25) -> Any:
    """Cumulative purchases per customer by time since assignment: observed (solid) and each arm's model (dashed).

    ``curves`` is :func:`clv.operations.arm_curves` (columns ``arm, age,
    exposed, observed, expected``). The observed line stops where fewer than
    ``min_exposed`` of the arm's customers (or fewer than 100) have been
    observed that long: beyond, it is the average of a few early assignees.
    """
    import matplotlib as mpl

    colours = mpl.colormaps["tab10"]
    for i, (name, part) in enumerate(curves.groupby("arm", sort=False)):
        colour = colours(i % 10)
        enough = part["exposed"] >= max(100.0, min_exposed * float(part["exposed"].max()))
        ax.plot(part["age"][enough], part["observed"][enough], color=colour, lw=2, label=f"{label(name)} observed")
        ax.plot(part["age"], part["expected"], color=colour, lw=1.5, ls="--", label=f"{label(name)} model")
    unit = {"W": "weeks", "D": "days", "M": "months"}.get(time_unit, time_unit)
    ax.set_xlabel(f"{unit} since assignment")
    ax.set_ylabel("cumulative purchases per customer")
    ax.set_title("Purchases per customer since assignment: observed (solid) vs each arm's model (dashed)")
    ax.legend(fontsize=8, loc="upper left")
    ax.grid(alpha=0.3)
    return ax


def retention_heatmap(matrix: pd.DataFrame, *, ax: Any, title: str = "Share of each cohort buying in each month since acquisition",
                      period_name: str = "month") -> Any:
    """Triangle of a cohort x period-since-acquisition matrix of shares (:meth:`clv.operations.RetentionTable.matrix`).

    Cells past the end of observation are blank; each cell shows its value in percent.
    """
    import matplotlib as mpl

    values = matrix.to_numpy(dtype=float)
    cmap = mpl.colormaps["YlGnBu"].with_extremes(bad="#ffffff")
    finite = values[np.isfinite(values)]
    top = float(np.quantile(finite, 0.98)) if finite.size else 1.0
    image = ax.imshow(np.ma.masked_invalid(values), aspect="auto", cmap=cmap, vmin=0.0, vmax=max(top, 1e-9))
    if values.size <= 400:
        for (i, j), v in np.ndenumerate(values):
            if np.isfinite(v):
                ax.text(j, i, f"{100 * v:.0f}", ha="center", va="center", fontsize=7,
                        color="white" if v > 0.6 * top else "black")
    ax.set_yticks(np.arange(len(matrix.index)), [label(c) for c in matrix.index])
    ax.set_xticks(np.arange(len(matrix.columns)), [str(c) for c in matrix.columns])
    ax.set_xlabel(f"{period_name}s since acquisition (0 = the rest of the acquisition {period_name})")
    ax.set_ylabel("acquisition cohort")
    ax.set_title(title)
    ax.figure.colorbar(image, ax=ax, label="share of the cohort with a purchase (%)",
                       format=mpl.ticker.FuncFormatter(lambda v, _: f"{100 * v:.0f}"))
    return ax


def retention_curves(curves: pd.DataFrame, *, ax: Any, period_name: str = "month") -> Any:
    """Share buying in each period since acquisition per group: observed (solid, dots) and the model (dashed).

    ``curves`` is :meth:`clv.operations.RetentionTable.curves` (index ``group,
    period``; columns ``share`` and ``expected_share``).
    """
    import matplotlib as mpl

    colours = mpl.colormaps["tab10"]
    for i, (name, part) in enumerate(curves.groupby(level=0, sort=False)):
        colour = colours(i % 10)
        k = part.index.get_level_values(1)
        ax.plot(k, part["share"], color=colour, lw=2, marker="o", ms=3, label=f"{label(name)} observed")
        if "expected_share" in part.columns:
            ax.plot(k, part["expected_share"], color=colour, lw=1.3, ls="--")
    ax.plot([], [], color="grey", ls="--", label="model (each colour)")
    ax.set_xlabel(f"{period_name}s since acquisition")
    ax.set_ylabel(f"share buying in the {period_name}")
    ax.yaxis.set_major_formatter(mpl.ticker.PercentFormatter(1.0))
    ax.set_title(f"Retention by {period_name} since acquisition: observed (solid) vs model (dashed)")
    ax.legend(fontsize=8, loc="center left", bbox_to_anchor=(1.01, 0.5))
    ax.grid(alpha=0.3)
    return ax

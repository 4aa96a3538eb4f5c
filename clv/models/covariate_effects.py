"""What a covariate coefficient means, in words and as a multiplier with an interval.

Each coefficient ``g`` of a fitted model with covariates (Fader & Hardie 2007;
see :mod:`clv.models.covariate_links`) is turned into the change it makes,
other covariates held fixed, for a step of the covariate: one level against
the reference level for a categorical covariate, ``step`` units for a numeric
one. The interval is that of ``g`` (``g +/- z se``, the intervals of
:meth:`clv.models.base.MLEModel.summary`) pushed through the same map, so it
carries the coefficient's own uncertainty only.

=============================  ===================================  =========================================
coefficient                    link                                 effect reported
=============================  ===================================  =========================================
``purchase:<col>``             ``alpha_i = alpha exp(-g z)``        mean purchase rate ``r / alpha_i``: ``exp(g)``
``dropout:<col>`` (Pareto/NBD) ``beta_i = beta exp(-g z)``          mean dropout rate ``s / beta_i``: ``exp(g)``
``dropout:<col>`` (BG family)  ``a_i, b_i = (a, b) exp(g z)``       chance of dropping out by the ``n``-th repeat
                                                                    purchase, relative to the reference
``spend:<col>``                ``v_i = v exp(g z)``                 mean spend per purchase ``p v_i / (q - 1)``:
                                                                    ``exp(g)``
=============================  ===================================  =========================================

Under the constrained BG/NBD form the mean dropout probability
``a / (a + b)`` does not move with ``g``; the spread of the probability
across customers does, and so does the share that has dropped out after a
few purchases, ``1 - B(a, b + n) / B(a, b)`` (BG/NBD; ``B(a, b + n + 1)`` for
MBG/NBD, whose customers can also leave at time 0).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy.special import betaln
from scipy.stats import norm

__all__ = ["DROPOUT_PURCHASES", "coefficient_effects"]

DROPOUT_PURCHASES = 5
"""``n`` of the BG-family dropout effect: the chance of having dropped out by the ``n``-th repeat purchase."""

_VERBS = {("alpha", -1): "buy {f} as often as {than}", ("beta", -1): "drop out {f} as fast as {than}",
          ("v", 1): "spend {f} as much per purchase as {than}"}


def _times(value: float) -> str:
    return f"{value:.2f}x" if 0.1 <= abs(value) < 1000 else f"{value:.3g}x"


def _dropped_share(a: float, b: float, scale: np.ndarray, modified: bool) -> np.ndarray:
    """Share of customers who have dropped out by the ``DROPOUT_PURCHASES``-th repeat purchase when ``a, b`` scale by ``scale``."""
    n = DROPOUT_PURCHASES + (1 if modified else 0)
    return -np.expm1(betaln(a * scale, b * scale + n) - betaln(a * scale, b * scale))


def _step_label(column: str, name: str, levels: dict[str, list[Any]], step: float) -> tuple[str, str]:
    """``(who, than)``: the customers the effect is about and those they are compared with, in words."""
    if column in levels:
        return f"customers with {name}", f"those with {column}={levels[column][0]} (the reference level)"
    return f"customers with {step:+g} {column}", "otherwise equal customers"


def coefficient_effects(model: Any, *, level: float = 0.9, steps: dict[str, float] | None = None,
                        posterior: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per covariate coefficient of a fitted model: estimate, interval, effect and what it means in words.

    Parameters
    ----------
    model : fitted MLE model with covariates
        :class:`clv.BetaGeo`, :class:`clv.ModifiedBetaGeo`, :class:`clv.ParetoNBD` or :class:`clv.GammaGamma`.
    level : float
        Coverage of the intervals (0.9: 5% to 95%).
    steps : dict, optional
        ``{numeric column: step}`` for the numeric covariates (default 1).
    posterior : pandas.DataFrame, optional
        Posterior summaries of the coefficients (``mean, sd, lower, upper`` by
        name, as :meth:`clv.bayes.HierarchicalBetaGeo.coefficients` gives at
        ``level``): the estimate is then the posterior mean and the interval
        the posterior's central interval; ``model`` (at the posterior mean)
        supplies the links and, for a BG-family dropout effect, ``a, b``.

    Returns
    -------
    pandas.DataFrame
        Columns ``coefficient, process, column, step, estimate, std_err, lower, upper, effect, effect_lower,
        effect_upper, meaning``; ``effect`` is the multiplier of the table in the module notes (1 = no effect).
        Empty without covariates.

    Examples
    --------
    >>> import pandas as pd, clv
    >>> rfm = clv.rfm_summary(clv.datasets.load_cdnow(), observation_end="1997-09-30")
    >>> rfm["big"] = (rfm["monetary_value"] > 30).astype(int)
    >>> bg = clv.BetaGeo(purchase_covariates=["big"]).fit(rfm)
    >>> coefficient_effects(bg)["meaning"].iloc[0]
    'customers with +1 big buy 7.04x as often as otherwise equal customers (90% interval 5.92x-8.37x)'
    """
    links = getattr(model, "links_", None)
    columns = ["coefficient", "process", "column", "step", "estimate", "std_err", "lower", "upper", "effect", "effect_lower",
               "effect_upper", "meaning"]
    if links is None:
        return pd.DataFrame(columns=columns)
    z = float(norm.ppf(0.5 + level / 2))
    params, se = model.result_.params, model.result_.std_err
    levels, where = links.encoding.levels, links._design_columns()
    names = links.encoding.names
    rows = []
    for group, cols, targets in links.groups:
        for col in cols:
            for c in where[col]:
                key = f"{group}:{names[c]}"
                if posterior is None:
                    g, s = float(params[key]), float(se[key])
                    lo, hi = g - z * s, g + z * s
                else:
                    g, s, lo, hi = (float(posterior.loc[key, c]) for c in ("mean", "sd", "lower", "upper"))
                step = 1.0 if col in levels else float((steps or {}).get(col, 1.0))
                bounds = np.array([g, lo, hi]) * step
                effect, words = _effect(model, targets, bounds)
                who, than = _step_label(col, names[c], levels, step)
                interval = f"{level:.0%} interval {_times(effect[1])}-{_times(effect[2])}" if np.isfinite(s) else "no interval"
                rows.append([key, group, col, step, g, s, lo, hi, *effect,
                             f"{who} {words.format(f=_times(effect[0]), than=than)} ({interval})"])
    return pd.DataFrame(rows, columns=columns)


def _effect(model: Any, targets: tuple[tuple[str, int], ...], bounds: np.ndarray) -> tuple[np.ndarray, str]:
    """The multiplier at the estimate and the two interval ends, and the sentence with a ``{f}`` slot for it."""
    if len(targets) == 1 and targets[0] in _VERBS:
        return np.exp(bounds), _VERBS[targets[0]]
    if {p for p, _ in targets} == {"a", "b"}:
        a, b = float(model.result_.params["a"]), float(model.result_.params["b"])
        modified = type(model).__name__ == "ModifiedBetaGeo"
        share = _dropped_share(a, b, np.exp(bounds), modified) / _dropped_share(a, b, np.ones(1), modified)
        ordered = np.r_[share[0], np.sort(share[1:])]
        return ordered, f"are {{f}} as likely as {{than}} to have dropped out by their {DROPOUT_PURCHASES}th repeat purchase"
    (param, sign), = targets
    return np.exp(sign * bounds) if sign > 0 else np.exp(-bounds), f"have {{f}} the {param} of the dropout distribution of {{than}}"

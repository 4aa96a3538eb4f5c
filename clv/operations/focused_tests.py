"""Focused likelihood-ratio tests of one reported quantity between two arms of an experiment.

The omnibus test of :func:`clv.ab_test` ("same parameters in every arm",
``k`` degrees of freedom per treatment arm) spends power on parameters an
experiment may not have moved. Each row of the A/B table reports one
population quantity ``m(theta)`` (mean purchase rate ``r / alpha``, mean
dropout ``a / (a + b)`` or ``s / beta``, mean spend per purchase
``p v / (q - 1)``); the test of that row is the profile likelihood-ratio
test of

    H0: m(theta_control) = m(theta_treatment)

against arm-specific parameters, with every other parameter free in both
arms. Under H0 the maximum of the joint log-likelihood over the ``2k - 1``
free parameters is found by solving one treatment parameter from the
constraint (``alpha_t = r_t / m``, ``b_t = a_t (1 - m) / m``,
``beta_t = s_t / m``, ``v_t = m (q_t - 1) / p_t`` with ``m`` the control's
value); the statistic ``2 (l_arms - l_H0)`` is chi-square with 1 degree of
freedom under H0 (Wilks 1938). The test is about the reported quantity
only: arms that differ in shape but not in that mean are not rejected.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import optimize, stats

from clv.kernels import gammagamma
from clv.kernels.design import Column

__all__ = ["FOCUSED_METRICS", "arm_pair_test", "focused_lr_test"]


@dataclass(frozen=True)
class _Constraint:
    params: tuple[str, ...]  # the model's parameters, in kernel order
    solved: str  # the treatment parameter that the constraint determines
    value: Callable[[dict[str, float]], float]  # the reported quantity
    solve: Callable[[dict[str, float], float], float]  # the solved parameter from the others and the quantity


_BG = ("r", "alpha", "a", "b")
_PARETO = ("r", "alpha", "s", "beta")
_GG = ("p", "q", "v")

_CONSTRAINTS: dict[tuple[str, tuple[str, ...]], _Constraint] = {
    ("purchase_rate", _BG): _Constraint(_BG, "alpha", lambda t: t["r"] / t["alpha"], lambda t, m: t["r"] / m),
    ("purchase_rate", _PARETO): _Constraint(_PARETO, "alpha", lambda t: t["r"] / t["alpha"], lambda t, m: t["r"] / m),
    ("dropout", _BG): _Constraint(_BG, "b", lambda t: t["a"] / (t["a"] + t["b"]), lambda t, m: t["a"] * (1 - m) / m),
    ("dropout", _PARETO): _Constraint(_PARETO, "beta", lambda t: t["s"] / t["beta"], lambda t, m: t["s"] / m),
    ("spend", _GG): _Constraint(_GG, "v", lambda t: t["p"] * t["v"] / (t["q"] - 1), lambda t, m: m * (t["q"] - 1) / t["p"]),
}

FOCUSED_METRICS = {"purchase_rate": "mean purchase rate", "dropout": "mean dropout", "spend": "mean spend per purchase"}


def _loglik(kernel: Any, theta: np.ndarray, data: tuple[np.ndarray, ...]) -> tuple[float, np.ndarray]:
    *columns, w = data
    return kernel.loglik_grad(theta, *columns, w)


def focused_lr_test(metric: str, kernel: Any, names: tuple[str, ...], params: tuple[dict[str, float], dict[str, float]],
                    data: tuple[tuple[np.ndarray, ...], tuple[np.ndarray, ...]], starts: tuple[dict[str, float], ...] = ()) -> dict[str, float]:
    """Profile likelihood-ratio test that one arm-level quantity is equal in two arms.

    Parameters
    ----------
    metric : {"purchase_rate", "dropout", "spend"}
    kernel : module
        Kernel with ``loglik_grad(theta, *columns, weights)`` (:mod:`clv.kernels.bgnbd`,
        :mod:`clv.kernels.paretonbd`, :mod:`clv.kernels.gammagamma`, ...).
    names : tuple of str
        The kernel's parameter names, in order.
    params : (dict, dict)
        The control's and the treatment's maximum-likelihood estimates (arms fitted separately).
    data : (tuple, tuple)
        Per arm the kernel's data columns then the weights: ``(x, t_x, T, w)``
        or ``(x, m, w)`` for Gamma-Gamma.
    starts : tuple of dict, optional
        Further starting points for both arms (e.g. the pooled fit).

    Returns
    -------
    dict
        ``statistic, df, p_value, loglik_constrained, loglik_arms``; all NaN
        when the model has no such constraint (``df`` 0).

    Examples
    --------
    >>> import numpy as np
    >>> from clv.kernels import gammagamma
    >>> rng = np.random.default_rng(1)
    >>> x = rng.integers(1, 6, 400).astype(float)
    >>> arm = (x, rng.gamma(6.0, 5.0, 400), np.ones(400))
    >>> est = {"p": 6.0, "q": 4.0, "v": 15.0}
    >>> out = focused_lr_test("spend", gammagamma, ("p", "q", "v"), (est, est), (arm, arm))
    >>> out["df"], bool(out["statistic"] >= 0)
    (1, True)
    """
    spec = _CONSTRAINTS.get((metric, tuple(names)))
    nan = {"statistic": np.nan, "df": 0, "p_value": np.nan, "loglik_constrained": np.nan, "loglik_arms": np.nan}
    if spec is None:
        return nan
    k = len(names)
    j = names.index(spec.solved)
    free_t = [i for i in range(k) if i != j]

    def split(u: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        theta_c = np.exp(u[:k])
        rest = dict(zip([names[i] for i in free_t], np.exp(u[k:])))
        theta_t = np.empty(k)
        theta_t[free_t] = np.exp(u[k:])
        theta_t[j] = spec.solve(rest, spec.value(dict(zip(names, theta_c))))
        return theta_c, theta_t

    def solved_log(u: np.ndarray) -> float:
        value = split(u)[1][j]
        return float(np.log(value)) if value > 0 and np.isfinite(value) else np.nan

    def objective(u: np.ndarray) -> tuple[float, np.ndarray]:
        theta_c, theta_t = split(u)
        if not (np.all(np.isfinite(theta_t)) and theta_t[j] > 0):
            return 1e100, np.zeros_like(u)
        ll_c, g_c = _loglik(kernel, theta_c, data[0])
        ll_t, g_t = _loglik(kernel, theta_t, data[1])
        total = ll_c + ll_t
        if not np.isfinite(total):
            return 1e100, np.zeros_like(u)
        h = 1e-6
        d_solved = np.array([(solved_log(u + h * e) - solved_log(u - h * e)) / (2 * h) for e in np.eye(len(u))])
        grad = np.concatenate([g_c * theta_c, (g_t * theta_t)[free_t]]) + g_t[j] * theta_t[j] * d_solved
        return -total / scale, -grad / scale

    unconstrained = sum(_loglik(kernel, np.array([p[n] for n in names]), d)[0] for p, d in zip(params, data))
    scale = float(sum(d[-1].sum() for d in data))
    best = None
    for c, t in [params, *[(s, s) for s in starts]]:
        u0 = np.log(np.r_[[c[n] for n in names], [t[names[i]] for i in free_t]])
        if not np.isfinite(solved_log(u0)) or objective(u0)[0] >= 1e100:
            continue
        res = optimize.minimize(objective, u0, jac=True, method="L-BFGS-B", options={"maxiter": 2000, "gtol": 1e-10, "ftol": 1e-15})
        if best is None or res.fun < best.fun:
            best = res
    if best is None:
        return nan
    constrained = -best.fun * scale
    stat = max(2.0 * (unconstrained - constrained), 0.0)
    return {"statistic": stat, "df": 1, "p_value": float(stats.chi2.sf(stat, 1)), "loglik_constrained": float(constrained),
            "loglik_arms": float(unconstrained)}


def transaction_data(rfm: Any) -> tuple[np.ndarray, ...]:
    """``(x, t_x, T, weights)`` of the distinct histories of ``rfm`` (``frequency, recency, T``); x, t_x, T as kernel ``Column``."""
    hist = rfm[["frequency", "recency", "T"]].value_counts(sort=False)
    cols = hist.index.to_frame(index=False)
    return (*(Column.of(cols[c].to_numpy(float)) for c in ("frequency", "recency", "T")), hist.to_numpy(float))


def spend_data(rfm: Any) -> tuple[np.ndarray, ...]:
    """``(x, m, weights)`` of the customers Gamma-Gamma fits on: repeat buyers with a positive mean spend."""
    x = rfm["frequency"].to_numpy(float)
    m = rfm["monetary_value"].to_numpy(float)
    keep = (x > 0) & (m > 0)
    return x[keep], m[keep], np.ones(int(keep.sum()))


def arm_pair_test(metric: str, control: Any, treatment: Any, pooled: Any, rfm_control: Any, rfm_treatment: Any) -> dict[str, float]:
    """:func:`focused_lr_test` of ``metric`` between two arms from their fitted models and RFM frames.

    Parameters
    ----------
    metric : {"purchase_rate", "dropout", "spend"}
    control, treatment, pooled : fitted models
        Transaction models (BG/NBD, MBG/NBD, Pareto/NBD) or, for ``"spend"``,
        Gamma-Gamma models, fitted on each arm and on the arms pooled.
    rfm_control, rfm_treatment : pandas.DataFrame
        The arms' RFM frames.

    Returns
    -------
    dict
        As :func:`focused_lr_test`; NaN (``df`` 0) for limit models,
        covariate models and models without the constraint.

    Examples
    --------
    >>> import clv
    >>> sim = clv.simulate(3000, seed=5, start="2024-01-01", end="2025-01-01", channels={"a": {}, "b": {}})
    >>> rfm = clv.rfm_summary(sim.transactions).join(sim.customers["channel"].rename("arm"))
    >>> a, b = rfm[rfm["arm"] == "a"], rfm[rfm["arm"] == "b"]
    >>> fits = [clv.BetaGeo().fit(f) for f in (a, b, rfm)]
    >>> out = arm_pair_test("purchase_rate", *fits, a, b)
    >>> out["df"], bool(0 <= out["p_value"] <= 1)
    (1, True)
    """
    nan = {"statistic": np.nan, "df": 0, "p_value": np.nan, "loglik_constrained": np.nan, "loglik_arms": np.nan}
    models = (control, treatment, pooled)
    names = tuple(dict(control.params_))
    if any(tuple(dict(m.params_)) != names or getattr(m, "coef_names_", ()) for m in models):
        return nan  # a limit model (other parameters) or covariates: no such constraint here
    spend = metric == "spend"
    kernel = gammagamma if spend else getattr(control, "kernel", None)
    if kernel is None or not hasattr(kernel, "loglik_grad"):
        return nan
    to_data = spend_data if spend else transaction_data
    return focused_lr_test(metric, kernel, names, (dict(control.params_), dict(treatment.params_)),
                           (to_data(rfm_control), to_data(rfm_treatment)), starts=(dict(pooled.params_),))


def lr_tests_table(lr_tm: dict[str, float], lr_sm: dict[str, float], focused: dict[str, dict[str, float]]) -> Any:
    """The likelihood-ratio tests of :func:`clv.ab_test` as one frame.

    Rows ``purchase_model`` and ``spend_model`` (omnibus: same parameters in
    every arm) then one row ``"<metric>: <arm>"`` per focused test, with
    columns ``statistic, df, p_value, loglik_pooled`` (the log-likelihood
    under the null: pooled, or constrained for a focused test),
    ``loglik_arms`` and ``hypothesis`` (the null in words).
    """
    import pandas as pd

    rows = {"purchase_model": {**lr_tm, "hypothesis": "same purchase-model parameters in every arm"},
            "spend_model": {**lr_sm, "hypothesis": "same spend-model parameters in every arm"}}
    for key, lr in focused.items():
        metric, arm = key.split(": ", 1)
        rows[key] = {"statistic": lr["statistic"], "df": lr["df"], "p_value": lr["p_value"], "loglik_pooled": lr["loglik_constrained"],
                     "loglik_arms": lr["loglik_arms"], "hypothesis": f"equal {FOCUSED_METRICS[metric]}: {arm} against control"}
    return pd.DataFrame.from_dict(rows, orient="index").rename_axis("test")

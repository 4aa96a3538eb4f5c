"""Within-customer A/B test for experiments on existing customers (BG/NBD, MBG/NBD).

When the arms' customers bought before their assignment, each customer's own
history tells how fast that customer bought before the campaign. The
within-customer design fits one BG/NBD (or MBG/NBD) to the customers' whole
histories, from their first purchase, with the purchase rate multiplied by
``theta_arm`` after the assignment::

    l_i = l_BG(x_i, Lambda(t_x,i), Lambda(T_i)) + x_post,i ln(theta_arm(i))

(:mod:`clv.kernels.timechange`; exact, because BG/NBD customers drop out
only at purchases). ``r, alpha, a, b`` are shared by every arm;
``theta_control`` absorbs whatever changed for everyone after the assignment
date (season, a common campaign), and the treatment effect on the purchase
rate is ``theta_treatment / theta_control``. Its test, ``theta_treatment =
theta_control``, is a 1-df likelihood-ratio test (Wilks 1938). Conditioning
on each customer's pre-assignment history removes most of the
between-customer spread of the purchase rate, which is what limits the power
of the comparison of new customers (CUPED, Deng et al. 2013, in spirit; here
exact within the model). For customers first seen after the assignment
(``tau = 0``) the term is BG/NBD with ``alpha / theta``, the arm-specific
``alpha`` of the new-customer design, which is therefore nested.

The expected LTV of an arm averages, over every customer of the experiment
with a purchase (all arms pooled: the same population for each arm), the
expected discounted purchases in ``horizon`` after assignment given the
customer's history at assignment with that arm's ``theta``
(:func:`clv.kernels.timechange.expected_purchases_after`). Pareto/NBD is
not supported: its dropout runs in calendar time, so a rate change is no
time change of the whole process.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import optimize, stats

from clv.errors import ConvergenceError
from clv.kernels import timechange

__all__ = ["HISTORY_COLUMNS", "WithinDesign", "WithinFit", "choose_design", "compare_draws", "fit_pooled_within", "fit_within", "history_columns",
           "within_curves", "within_design", "within_purchases", "within_rows", "within_tests_table"]

HISTORY_COLUMNS = ("hist_frequency", "hist_recency", "hist_T", "hist_tau", "hist_frequency_pre", "hist_recency_pre")
_KERNEL_K = {"BetaGeo": 0, "ModifiedBetaGeo": 1}


def history_columns(first: np.ndarray, start: np.ndarray, end_day: int, who: np.ndarray, day: np.ndarray, unit: float) -> dict[str, np.ndarray]:
    """Each customer's whole history, from the first purchase, with the assignment time on that clock.

    Parameters
    ----------
    first : numpy.ndarray
        First purchase day per customer (NaN when none up to ``end_day``).
    start : numpy.ndarray
        Assignment day per customer.
    end_day : int
        Last observed day.
    who, day : numpy.ndarray
        Customer position and day of every purchase day up to ``end_day``.
    unit : float
        Days per time unit.

    Returns
    -------
    dict
        :data:`HISTORY_COLUMNS`: repeat purchase days, recency and age from
        the first purchase; ``hist_tau``, the time from the first purchase to
        the assignment (0 for customers first seen on or after the assignment
        day); and the repeat purchase days and recency on or before the
        assignment day. NaN for customers without a purchase.

    Examples
    --------
    >>> import numpy as np
    >>> cols = history_columns(np.array([0.0]), np.array([14]), 28, np.array([0, 0, 0]), np.array([0, 7, 21]), 7.0)
    >>> {k: float(v[0]) for k, v in cols.items()}
    {'hist_frequency': 2.0, 'hist_recency': 3.0, 'hist_T': 4.0, 'hist_tau': 2.0, 'hist_frequency_pre': 1.0, 'hist_recency_pre': 1.0}
    """
    n = len(first)
    cut = np.maximum(start, np.nan_to_num(first, nan=0.0))[who]  # purchases on or before the assignment day are "pre"
    repeat = day > first[who]
    pre = repeat & (day <= cut)
    last, last_pre = np.full(n, -np.inf), np.full(n, -np.inf)
    np.maximum.at(last, who, day)
    np.maximum.at(last_pre, who[pre], day[pre])
    last_pre = np.where(np.isfinite(last_pre), last_pre, first)
    out = {
        "hist_frequency": np.bincount(who[repeat], minlength=n).astype(float),
        "hist_recency": (last - first) / unit,
        "hist_T": (end_day - first) / unit,
        "hist_tau": np.maximum(start - first, 0.0) / unit,
        "hist_frequency_pre": np.bincount(who[pre], minlength=n).astype(float),
        "hist_recency_pre": (last_pre - first) / unit,
    }
    missing = np.isnan(first)
    return {k: np.where(missing, np.nan, v) for k, v in out.items()}


@dataclass(frozen=True)
class WithinFit:
    """The within-customer model fitted on an experiment.

    Attributes
    ----------
    params : dict
        Shared ``r, alpha, a, b``.
    theta : dict
        Post-assignment purchase-rate multiplier per arm.
    loglik : float
    covariance : numpy.ndarray
        Asymptotic covariance of the log parameters ``(r, alpha, a, b, theta_arm...)``
        (inverse of the numerical Hessian).
    tests : dict
        Per treatment arm: ``statistic, df, p_value, loglik_constrained, loglik_arms``
        of ``theta_arm = theta_control``.
    k : int
        0 for BG/NBD, 1 for MBG/NBD.
    n_customers, excluded : int
        Customers fitted, and customers left out (no purchase up to observation end).
    """

    params: dict[str, float]
    theta: dict[Any, float]
    loglik: float
    covariance: np.ndarray
    tests: dict[Any, dict[str, float]]
    k: int
    n_customers: int
    excluded: int

    def vector(self) -> np.ndarray:
        """The log parameters in the order of :attr:`covariance`."""
        return np.log(np.r_[[self.params[n] for n in ("r", "alpha", "a", "b")], list(self.theta.values())])


def _data(rfm: pd.DataFrame, arm: str, names: list[Any]) -> tuple[tuple[np.ndarray, ...], np.ndarray, int]:
    ok = rfm["hist_T"].notna().to_numpy()
    h = rfm.loc[ok]
    x = h["hist_frequency"].to_numpy(float)
    cols = (x, h["hist_recency"].to_numpy(float), h["hist_T"].to_numpy(float), h["hist_tau"].to_numpy(float),
            x - h["hist_frequency_pre"].to_numpy(float))
    group = pd.Index(names).get_indexer(h[arm]).astype(np.intp)
    return cols, group, int((~ok).sum())


def _maximise(cols: tuple[np.ndarray, ...], group: np.ndarray, u0: np.ndarray, k: int) -> tuple[np.ndarray, float]:
    w = np.ones(len(group))
    n = float(len(group))

    def objective(u: np.ndarray) -> tuple[float, np.ndarray]:
        ll, g = timechange.loglik_grad(np.exp(u), *cols, group, w, k=k)
        if not np.isfinite(ll):
            return 1e100, np.zeros_like(u)
        return -ll / n, -g * np.exp(u) / n

    res = optimize.minimize(objective, u0, jac=True, method="L-BFGS-B", bounds=[(-12.0, 12.0)] * len(u0),
                            options={"maxiter": 3000, "gtol": 1e-9, "ftol": 1e-14})
    if not np.isfinite(res.fun) or res.fun >= 1e100:
        raise ConvergenceError(f"the within-customer A/B model did not converge ({res.message})")
    return res.x, float(-res.fun * n)


def _covariance(cols: tuple[np.ndarray, ...], group: np.ndarray, u: np.ndarray, k: int) -> np.ndarray:
    """Inverse of the Hessian of -loglik in the log parameters, by central differences of the analytic gradient."""
    w = np.ones(len(group))

    def grad(v: np.ndarray) -> np.ndarray:
        return -timechange.loglik_grad(np.exp(v), *cols, group, w, k=k)[1] * np.exp(v)

    h = 1e-4
    hess = np.array([(grad(u + h * e) - grad(u - h * e)) / (2 * h) for e in np.eye(len(u))])
    return np.linalg.pinv((hess + hess.T) / 2)


def fit_within(rfm: pd.DataFrame, arm: str, names: list[Any], model: str, start: dict[str, float]) -> WithinFit:
    """Fit the within-customer model and test each treatment arm's multiplier against the control's.

    Parameters
    ----------
    rfm : pandas.DataFrame
        :func:`clv.operations.experiment_rfm` with ``history=True`` (the
        :data:`HISTORY_COLUMNS`) and the ``arm`` column.
    arm : str
    names : list
        The arms, control first.
    model : {"BetaGeo", "ModifiedBetaGeo"}
    start : dict
        Starting ``r, alpha, a, b`` (e.g. a fit on the whole histories).

    Returns
    -------
    WithinFit

    Examples
    --------
    >>> import clv
    >>> arms = {"control": {"assigned_at": "2025-01-01"}, "treatment": {"assigned_at": "2025-01-01", "rate_multiplier": 1.5}}
    >>> sim = clv.simulate(3000, seed=3, start="2024-01-01", acquisition_end="2025-01-01", end="2026-01-01", channels=arms)
    >>> table = sim.customers[["channel", "assigned_at"]].rename(columns={"channel": "arm"}).reset_index()
    >>> rfm = clv.operations.experiment_rfm(sim.transactions, table, history=True)
    >>> fit = fit_within(rfm, "arm", ["control", "treatment"], "BetaGeo", {"r": 0.3, "alpha": 5.0, "a": 0.8, "b": 2.5})
    >>> ratio = fit.theta["treatment"] / fit.theta["control"]  # simulated with 1.5
    >>> bool(1.3 < ratio < 1.7), bool(fit.tests["treatment"]["p_value"] < 0.01)
    (True, True)
    """
    k = _KERNEL_K[model]
    cols, group, excluded = _data(rfm, arm, names)
    u0 = np.log(np.r_[[start[n] for n in ("r", "alpha", "a", "b")], np.ones(len(names))])
    u, ll = _maximise(cols, group, u0, k)
    tests = {}
    for j in range(1, len(names)):
        merged = np.where(group == j, 0, group)
        merged = np.where(merged > j, merged - 1, merged).astype(np.intp)
        _, ll_null = _maximise(cols, merged, np.delete(u, 4 + j), k)
        stat = max(2.0 * (ll - ll_null), 0.0)
        tests[names[j]] = {"statistic": stat, "df": 1, "p_value": float(stats.chi2.sf(stat, 1)), "loglik_constrained": ll_null,
                           "loglik_arms": ll}
    theta = np.exp(u[4:])
    return WithinFit(params=dict(zip(("r", "alpha", "a", "b"), np.exp(u[:4]).tolist())), theta=dict(zip(names, theta.tolist())),
                     loglik=ll, covariance=_covariance(cols, group, u, k), tests=tests, k=k, n_customers=len(group), excluded=excluded)


def fit_pooled_within(rfm: pd.DataFrame, arm: str, names: list[Any], fit: WithinFit) -> dict[str, Any]:
    """The within-customer model with ONE multiplier for every arm: a fit that does not look at the arms.

    Per-customer quantities from it are exchangeable between the arms when the campaign has no effect, which makes the
    permutation tests of :mod:`clv.operations.ab_permutation` exact.

    Parameters
    ----------
    rfm, arm, names
        As :func:`fit_within`.
    fit : WithinFit
        The arm-specific fit (its estimates start the search).

    Returns
    -------
    dict
        ``r, alpha, a, b, theta, k``.

    Examples
    --------
    >>> import clv
    >>> arms = {"control": {"assigned_at": "2025-01-01"}, "treatment": {"assigned_at": "2025-01-01"}}
    >>> sim = clv.simulate(600, seed=3, start="2024-01-01", acquisition_end="2025-01-01", end="2026-01-01", channels=arms)
    >>> table = sim.customers[["channel", "assigned_at"]].rename(columns={"channel": "arm"}).reset_index()
    >>> rfm = clv.operations.experiment_rfm(sim.transactions, table, history=True)
    >>> fit = fit_within(rfm, "arm", ["control", "treatment"], "BetaGeo", {"r": 0.3, "alpha": 5.0, "a": 0.8, "b": 2.5})
    >>> sorted(fit_pooled_within(rfm, "arm", ["control", "treatment"], fit))
    ['a', 'alpha', 'b', 'k', 'r', 'theta']
    """
    cols, group, _ = _data(rfm, arm, names)
    u0 = fit.vector()
    u, _ = _maximise(cols, np.zeros_like(group), np.r_[u0[:4], np.mean(u0[4:])], fit.k)
    return {**dict(zip(("r", "alpha", "a", "b", "theta"), np.exp(u).tolist())), "k": fit.k}


def within_purchases(fit: WithinFit, rfm: pd.DataFrame, edges: np.ndarray, factors: np.ndarray, *, n_draws: int = 0, seed: int = 0,
                     max_customers: int = 200) -> tuple[dict[Any, float], dict[Any, np.ndarray], dict[Any, np.ndarray]]:
    """Per arm: expected discounted purchases per customer after assignment, and the mean purchase rate after it.

    ``sum_k factors[k] (E[X(t_k)] - E[X(t_{k-1})])`` averaged over every
    customer of ``rfm`` with a purchase, each at their history on the
    assignment day, with the arm's multiplier (module notes).

    Parameters
    ----------
    fit : WithinFit
    rfm : pandas.DataFrame
        The frame ``fit`` was fitted on.
    edges, factors : numpy.ndarray
        Period ends after assignment and their discount factors.
    n_draws : int
        Parameter draws from the asymptotic normal law of the log parameters.
    seed : int
    max_customers : int
        The draws are evaluated on a seeded sample of at most this many
        customers and scaled by the ratio of the full to the sample's value
        at the estimate (the relative spread across draws hardly depends on
        which customers are averaged; evaluating every customer per draw
        would cost minutes). The mean curve ``E[X(t)]`` is evaluated at up
        to 14 of the ``edges`` and interpolated linearly in between.

    Returns
    -------
    (dict, dict, dict)
        Point value of the discounted purchases per arm; their draws; draws of
        the mean purchase rate ``r theta / alpha``.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> fit = WithinFit({"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}, {"A": 1.0, "B": 1.2}, 0.0, np.eye(6) * 1e-4,
    ...                 {}, 0, 1, 0)
    >>> rfm = pd.DataFrame({"hist_T": [60.0], "hist_tau": [10.0], "hist_frequency_pre": [2.0], "hist_recency_pre": [8.0]})
    >>> point, _, _ = within_purchases(fit, rfm, np.arange(1.0, 53.0), np.ones(52))
    >>> bool(point["B"] > point["A"])
    True
    """
    h = rfm.loc[rfm["hist_T"].notna()]
    hist = (h["hist_frequency_pre"].to_numpy(float), h["hist_recency_pre"].to_numpy(float), h["hist_tau"].to_numpy(float))
    rng = np.random.default_rng([seed, 11])
    sample = rng.choice(len(h), size=min(max_customers, len(h)), replace=False)
    sub = tuple(c[sample] for c in hist)
    weights = np.diff(np.r_[factors, 0.0]) * -1.0  # sum_k f_k (E_k - E_{k-1}) = sum_k E_k (f_k - f_{k+1})

    knots = edges[np.unique(np.linspace(0, len(edges) - 1, min(len(edges), 14)).round().astype(int))]

    def value(p: np.ndarray, theta: float, cols: tuple[np.ndarray, ...]) -> float:
        e = timechange.expected_purchases_after(knots[:, None], *p, theta, *cols, k=fit.k).mean(axis=1)
        return float(weights @ np.interp(edges, np.r_[0.0, knots], np.r_[0.0, e]))  # the mean curve is smooth in t

    base = np.exp(fit.vector())
    arms = list(fit.theta)
    point = {a: value(base[:4], base[4 + j], hist) for j, a in enumerate(arms)}
    scale = {a: point[a] / value(base[:4], base[4 + j], sub) for j, a in enumerate(arms)}
    draws = np.exp(rng.multivariate_normal(fit.vector(), fit.covariance, size=n_draws)) if n_draws else np.empty((0, len(base)))
    ltv = {a: np.array([scale[a] * value(d[:4], d[4 + j], sub) for d in draws]) for j, a in enumerate(arms)}
    rate = {a: draws[:, 0] / draws[:, 1] * draws[:, 4 + j] for j, a in enumerate(arms)}
    return point, ltv, rate


def within_tests_table(fit: WithinFit) -> pd.DataFrame:
    """The within-customer tests as rows of :attr:`clv.ABTest.tests`.

    Parameters
    ----------
    fit : WithinFit

    Returns
    -------
    pandas.DataFrame
        One row ``"purchase_rate (within-customer): <arm>"`` per treatment
        arm, columns as :func:`clv.operations.focused_tests.lr_tests_table`.

    Examples
    --------
    >>> import numpy as np
    >>> fit = WithinFit({"r": 1.0, "alpha": 1.0, "a": 1.0, "b": 1.0}, {"A": 1.0, "B": 1.1}, -10.0, np.eye(6),
    ...                 {"B": {"statistic": 4.0, "df": 1, "p_value": 0.0455, "loglik_constrained": -12.0, "loglik_arms": -10.0}}, 0, 5, 0)
    >>> within_tests_table(fit).index.tolist()
    ['purchase_rate (within-customer): B']
    """
    rows = {f"purchase_rate (within-customer): {a}": {
        "statistic": t["statistic"], "df": t["df"], "p_value": t["p_value"], "loglik_pooled": t["loglik_constrained"],
        "loglik_arms": t["loglik_arms"],
        "hypothesis": f"equal post-assignment purchase-rate multiplier, each customer's pre-assignment history as baseline: {a} against control",
    } for a, t in fit.tests.items()}
    return pd.DataFrame.from_dict(rows, orient="index").rename_axis("test")


def compare_draws(control: float, treatment: float, c_draws: np.ndarray, t_draws: np.ndarray, better: str,
             interval: float) -> dict[str, Any]:
    """Difference and ratio at the estimates, percentile intervals and Wald p-value from the draws.

    Parameters
    ----------
    control, treatment : float
        The values at the estimates.
    c_draws, t_draws : numpy.ndarray
        Their parameter draws.
    better : {"higher", "lower"}
    interval : float

    Returns
    -------
    dict
        The columns of :attr:`clv.ABTest.table` from ``control`` to ``better``.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> row = compare_draws(1.0, 1.2, rng.normal(1.0, 0.05, 500), rng.normal(1.2, 0.05, 500), "higher", 0.9)
    >>> round(row["difference"], 2), bool(row["p_treatment_better"] > 0.95)
    (0.2, True)
    """
    lo, hi = (1 - interval) / 2, (1 + interval) / 2
    diff = t_draws - c_draws
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = t_draws / c_draws
        point_ratio = treatment / control if control != 0 else np.nan
    se = float(np.std(diff, ddof=1))
    d = treatment - control
    wins = diff > 0 if better == "higher" else diff < 0
    p_wald = float(2 * stats.norm.sf(abs(d) / se)) if se > 0 else np.nan
    return {
        "control": control, "treatment": treatment,
        "difference": d, "difference_lower": float(np.quantile(diff, lo)), "difference_upper": float(np.quantile(diff, hi)),
        "ratio": point_ratio, "ratio_lower": float(np.nanquantile(ratio, lo)), "ratio_upper": float(np.nanquantile(ratio, hi)),
        "p_value": p_wald, "test": "Wald (bootstrap)", "p_value_wald": p_wald,
        "p_treatment_better": float(wins.mean()), "better": better,
    }


@dataclass(frozen=True)
class WithinDesign:
    """Which design :func:`clv.ab_test` used for purchase rate and LTV, why, and (within-customer) the fit and its draws."""

    used: bool
    note: str
    fit: WithinFit | None = None
    purchases: dict[Any, float] | None = None
    purchase_draws: dict[Any, np.ndarray] | None = None
    rate_draws: dict[Any, np.ndarray] | None = None
    pooled: dict[str, Any] | None = None  # the fit with one multiplier for every arm (fit_pooled_within)


def choose_design(rfm: pd.DataFrame, model: str, within: bool | None) -> tuple[bool, str]:
    """Whether the within-customer design applies, and the note saying why (or why not).

    Parameters
    ----------
    rfm : pandas.DataFrame
    model : str
        Class name of the transaction model.
    within : bool or None
        ``None`` chooses; ``True`` requires the design (:class:`clv.errors.DataError` if impossible); ``False`` turns it off.

    Returns
    -------
    (bool, str)

    Examples
    --------
    >>> import pandas as pd
    >>> choose_design(pd.DataFrame({"frequency": [1.0]}), "BetaGeo", None)[0]
    False
    """
    from clv.errors import DataError

    if within is False:
        return False, "post-assignment design (within-customer test turned off): each arm fitted on its customers' purchases after assignment"
    has = all(c in rfm.columns for c in HISTORY_COLUMNS)
    before = int((rfm["hist_tau"] > 0).sum()) if has else 0
    why = None
    if not has:
        why = "the frame has no pre-assignment histories (clv.operations.experiment_rfm(..., history=True) adds them)"
    elif before == 0:
        why = "no customer bought before the assignment"
    elif model not in _KERNEL_K:
        why = (f"{model}'s dropout runs in calendar time, so a rate change at assignment is no exact time change of its process; "
               "the within-customer test needs BG/NBD or MBG/NBD")
    if why is not None:
        if within:
            raise DataError(f"within=True: the within-customer test cannot be used: {why}")
        return False, f"post-assignment design: each arm fitted on its customers' purchases after assignment ({why})"
    return True, (f"within-customer design for purchase rate and LTV: {before:,} of {len(rfm):,} customers bought before their assignment, "
                  f"so each customer's pre-assignment history is the baseline of their purchase rate (exact time-changed {model}; "
                  "shared parameters, one post-assignment multiplier per arm; within=False turns it off)")


def within_design(rfm: pd.DataFrame, arm: str, names: list[Any], model: str, start: dict[str, float], choice: tuple[bool, str], *,
                  edges: np.ndarray, factors: np.ndarray, n_draws: int, seed: int) -> WithinDesign:
    """When :func:`choose_design` chose the within-customer design, fit it and draw its LTV and rate.

    Parameters
    ----------
    rfm, arm, names, model, start
        As :func:`fit_within`.
    choice : (bool, str)
        What :func:`choose_design` returned.
    edges, factors, n_draws, seed
        As :func:`within_purchases`.

    Returns
    -------
    WithinDesign

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> d = within_design(pd.DataFrame({"frequency": [1.0]}), "arm", ["a", "b"], "BetaGeo", {}, (False, "no"), edges=np.ones(1),
    ...                   factors=np.ones(1), n_draws=10, seed=0)
    >>> d.used
    False
    """
    used, note = choice
    if not used:
        return WithinDesign(False, note)
    fit = fit_within(rfm, arm, names, model, start)
    point, ltv, rate = within_purchases(fit, rfm, edges, factors, n_draws=n_draws, seed=seed)
    return WithinDesign(True, note, fit, point, ltv, rate, fit_pooled_within(rfm, arm, names, fit))


def within_rows(design: WithinDesign, control: Any, treatment: Any, spend: tuple[float, float], spend_draws: tuple[np.ndarray, np.ndarray],
                margin: float, interval: float) -> dict[str, dict[str, Any]]:
    """The ``purchase_rate`` and ``ltv`` rows of one treatment arm under the within-customer design (empty otherwise).

    Parameters
    ----------
    design : WithinDesign
    control, treatment
        Arm names.
    spend, spend_draws : tuple
        Control's and treatment's mean spend at the estimate and its draws.
    margin, interval : float

    Returns
    -------
    dict
        ``{"purchase_rate": row, "ltv": row}`` as :func:`compare_draws`, with
        the within-customer likelihood-ratio p-value for the purchase rate.

    Examples
    --------
    >>> within_rows(WithinDesign(False, "post-assignment design"), "a", "b", (1.0, 1.0), (None, None), 1.0, 0.9)
    {}
    """
    if not design.used:
        return {}
    fit = design.fit
    pr = fit.params["r"] / fit.params["alpha"]
    rows = {"purchase_rate": compare_draws(pr * fit.theta[control], pr * fit.theta[treatment], design.rate_draws[control],
                                           design.rate_draws[treatment], "higher", interval)}
    test = fit.tests[treatment]
    rows["purchase_rate"].update(p_value=test["p_value"], test="likelihood ratio, 1 df (within-customer)")
    n = min(len(spend_draws[0]), len(design.purchase_draws[control]))
    rows["ltv"] = compare_draws(margin * spend[0] * design.purchases[control], margin * spend[1] * design.purchases[treatment],
                                margin * spend_draws[0][:n] * design.purchase_draws[control][:n],
                                margin * spend_draws[1][:n] * design.purchase_draws[treatment][:n], "higher", interval)
    rows["ltv"]["test"] = "Wald (within-customer draws)"
    return rows


def within_curves(fit: WithinFit, every: tuple[np.ndarray, np.ndarray], start: np.ndarray, end_day: int, grid: np.ndarray, unit: float,
                  names: np.ndarray) -> dict[Any, np.ndarray]:
    """Per arm: the within-customer model's expected purchases after assignment at ages ``grid``, averaged over the arm's customers.

    Each customer counts from their history on the assignment day with the arm's multiplier
    (:func:`clv.kernels.timechange.expected_purchases_after`); customers first seen after assignment count from their first
    purchase (repeat purchases only).

    Parameters
    ----------
    fit : WithinFit
    every : (numpy.ndarray, numpy.ndarray)
        Customer position and day of every purchase day up to ``end_day``.
    start : numpy.ndarray
        Assignment day per customer.
    end_day : int
    grid : numpy.ndarray
        Ages (time units since assignment).
    unit : float
        Days per time unit.
    names : numpy.ndarray
        Arm per customer.

    Returns
    -------
    dict
        ``{arm: expected cumulative purchases at grid}``.

    Examples
    --------
    >>> import numpy as np
    >>> fit = WithinFit({"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}, {"A": 1.0, "B": 1.5}, 0.0, np.eye(6), {}, 0, 2, 0)
    >>> curves = within_curves(fit, (np.array([0, 0, 1]), np.array([0, 7, 3])), np.array([14, 14]), 60, np.arange(3.0), 7.0,
    ...                        np.array(["A", "B"]))
    >>> len(curves["B"]), bool(curves["A"][0] == 0 and curves["A"][2] > 0)
    (3, True)
    """
    who, day = every
    first = np.full(len(names), np.inf)
    np.minimum.at(first, who, day.astype(float))
    first[~np.isfinite(first)] = np.nan
    h = history_columns(first, start, end_day, who, day, unit)
    ok = ~np.isnan(h["hist_T"])
    out = {}
    for name, theta in fit.theta.items():
        mine = ok & (names == name)
        e = timechange.expected_purchases_after(grid[:, None].astype(float), *(fit.params[p] for p in ("r", "alpha", "a", "b")), theta,
                                                h["hist_frequency_pre"][mine], h["hist_recency_pre"][mine], h["hist_tau"][mine], k=fit.k)
        out[name] = e.mean(axis=1)
    return out

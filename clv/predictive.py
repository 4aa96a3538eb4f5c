"""Full predictive distributions of future purchases and revenue, per customer and summed over groups.

Each simulation ``s`` combines three sources of uncertainty:

1. parameter uncertainty: the transaction and spend models' parameters are
   drawn from their maximum-likelihood asymptotic normal (on the log scale,
   :meth:`clv.FitResult.sample_params`); ``n_param_draws`` sets are drawn and
   simulation ``s`` uses set ``s mod n_param_draws``;
2. the customer's posterior given the history: alive or not at ``T``, the
   purchase rate, the dropout probability or rate, and the spend scale
   (:func:`clv.kernels.bgnbd.simulate_future`, :func:`clv.kernels.paretonbd.simulate_future`,
   :func:`clv.kernels.gammagamma.simulate_revenue`);
3. the purchase (Poisson) and spend (gamma) noise of the future itself.

Customers with the same ``(frequency, recency, T, monetary_value, group)``
have the same predictive distribution, so each distinct tuple is simulated
once. For a total over ``w`` customers sharing a tuple, the draw enters as
``w * mean_s + sqrt(w) * (draw - mean_s)``, where ``mean_s`` is the exact
conditional expectation under the parameter set of simulation ``s``: this
keeps the mean and the variance of the sum of ``w`` independent customers
exact (their sum is then close to normal by the central limit theorem) without
simulating every customer.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from clv.data.rfm_checks import check_rfm
from clv.errors import DataError
from clv.kernels import gammagamma
from clv.models.transactions import compress

__all__ = ["Predictive", "predictive"]

_CHUNK = 4_000_000  # tuple-simulations held in memory at once (tuples x simulations)


@dataclass(frozen=True)
class Predictive:
    """Result of :func:`clv.predictive`.

    Attributes
    ----------
    customers : pandas.DataFrame
        Indexed like the RFM frame: ``purchases_mean``, ``purchases_lower``,
        ``purchases_upper`` and, with a spend model, the same for ``revenue``.
    purchases : pandas.DataFrame
        One row per simulation, one column per group: the group's total purchases.
    revenue : pandas.DataFrame or None
        The same for revenue (``None`` without a spend model).
    level : float
        Central probability of the intervals.

    Examples
    --------
    >>> import clv
    >>> rfm = clv.rfm_summary(clv.datasets.load_cdnow(), observation_end="1997-09-30")
    >>> bg, gg = clv.BetaGeo().fit(rfm), clv.GammaGamma().fit(rfm)
    >>> pred = clv.predictive(bg, gg, rfm, horizon=39, n_sims=200, seed=1)
    >>> pred.totals().round(-1)
           purchases_mean  purchases_lower  purchases_upper  revenue_mean  revenue_lower  revenue_upper
    group
    all            1660.0           1510.0           1810.0       60000.0        54220.0        66110.0
    """

    customers: pd.DataFrame
    purchases: pd.DataFrame
    revenue: pd.DataFrame | None
    level: float

    def totals(self, level: float | None = None) -> pd.DataFrame:
        """Mean and central interval of each group's total purchases (and revenue).

        Parameters
        ----------
        level : float, optional
            Central probability; default: the level of the simulation.

        Returns
        -------
        pandas.DataFrame
            One row per group.

        Examples
        --------
        >>> import clv
        >>> rfm = clv.rfm_summary(clv.datasets.load_cdnow(), observation_end="1997-09-30")
        >>> pred = clv.predictive(clv.BetaGeo().fit(rfm), None, rfm, horizon=39, n_sims=200, seed=1)
        >>> list(pred.totals(0.5).columns)
        ['purchases_mean', 'purchases_lower', 'purchases_upper']
        """
        level = self.level if level is None else level
        tail = (1 - level) / 2
        out = {}
        for name, frame in (("purchases", self.purchases), ("revenue", self.revenue)):
            if frame is None:
                continue
            out[f"{name}_mean"] = frame.mean()
            out[f"{name}_lower"] = frame.quantile(tail)
            out[f"{name}_upper"] = frame.quantile(1 - tail)
        table = pd.DataFrame(out)
        table.index.name = "group"
        return table

    def coverage(self, level: float | None = None, *, seed: int) -> float:
        """Share of customers whose observed purchases fall in their central ``level`` predictive region.

        Counts are discrete, so a plain ``[lower, upper]`` interval covers more
        than ``level`` (a customer with P(0 purchases) = 0.93 has the interval
        [0, 0] or wider). The randomised PIT ``u = P(N < y) + V P(N = y)``,
        ``V ~ U(0, 1)``, is uniform when the predictions are calibrated
        (Czado, Gneiting & Held 2009), so the share with ``u`` in the
        central ``level`` estimates the calibrated coverage without the
        discreteness. Needs ``predictive(..., observed=column)``.

        Parameters
        ----------
        level : float, optional
            Central probability; default: the level of the simulation.
        seed : int
            Seed of the randomisation ``V``.

        Returns
        -------
        float

        Examples
        --------
        >>> import clv
        >>> data = clv.calibration_holdout(clv.datasets.load_cdnow(), calibration_end="1997-09-30", observation_end="1998-06-30")
        >>> pred = clv.predictive(clv.BetaGeo().fit(data), None, data, horizon=39, n_sims=200, seed=1, observed="holdout_frequency")
        >>> round(pred.coverage(seed=0), 2)
        0.88
        """
        if "purchases_cdf_below" not in self.customers:
            raise DataError("coverage needs predictive(..., observed=<holdout purchases column>)")
        return _coverage(self.customers, self.level if level is None else level, seed)


def _coverage(customers: pd.DataFrame, level: float, seed: int) -> float:
    """Share of customers whose randomised PIT ``P(N < y) + V P(N = y)`` lies in the central ``level`` (Czado, Gneiting & Held 2009)."""
    below, at = customers["purchases_cdf_below"].to_numpy(), customers["purchases_cdf_at"].to_numpy()
    pit = below + np.random.default_rng(seed).random(len(below)) * (at - below)
    tail = (1 - level) / 2
    return float(np.mean((pit >= tail) & (pit <= 1 - tail)))


def _group_codes(rfm: pd.DataFrame, group: Any) -> tuple[np.ndarray, list[str]]:
    if group is None:
        return np.zeros(len(rfm), dtype=np.int64), ["all"]
    values = rfm[group] if isinstance(group, str) else pd.Series(np.asarray(group), index=rfm.index)
    if isinstance(group, str) and group not in rfm.columns:
        raise DataError(f"column '{group}': group column missing from the RFM frame")
    if len(values) != len(rfm) or values.isna().any():
        raise DataError("group: one non-empty label per customer is needed")
    codes, labels = pd.factorize(values.astype(str), sort=True)
    return codes.astype(np.int64), [str(v) for v in labels]


def _parameter_sets(model: Any, n: int, seed: int, uncertainty: bool) -> np.ndarray:
    estimates = np.asarray(model.result_.estimates, dtype=float)
    if not uncertainty or not np.all(np.isfinite(model.result_.cov_log)):
        return estimates[None, :]
    return model.result_.sample_params(n, seed=seed).to_numpy()


def _score(draws: np.ndarray, start: int, inverse: np.ndarray, y: np.ndarray, cdf: tuple[np.ndarray, np.ndarray], n_sims: int) -> None:
    """Fill ``P(N < y)`` and ``P(N <= y)`` for the customers whose tuples are the columns of ``draws``."""
    rows = np.flatnonzero((inverse >= start) & (inverse < start + draws.shape[1]))
    step = max(1, _CHUNK // n_sims)
    for i in range(0, len(rows), step):
        part = rows[i : i + step]
        d = draws[:, inverse[part] - start]
        cdf[0][part] = (d < y[part]).mean(axis=0)
        cdf[1][part] = (d <= y[part]).mean(axis=0)


def predictive(
    model: Any,
    spend_model: Any,
    rfm: pd.DataFrame,
    horizon: float,
    n_sims: int = 1000,
    seed: int | None = None,
    *,
    group: str | Any = None,
    level: float = 0.9,
    n_param_draws: int = 100,
    parameter_uncertainty: bool = True,
    observed: str | None = None,
) -> Predictive:
    """Simulate each customer's purchases and revenue over ``horizon`` time units after ``T``.

    Parameters
    ----------
    model : fitted BetaGeo, ModifiedBetaGeo or ParetoNBD
    spend_model : fitted GammaGamma or None
        Without it only purchases are simulated.
    rfm : pandas.DataFrame
        ``frequency, recency, T`` (and ``monetary_value`` with a spend model).
    horizon : float
        Time units after each customer's ``T``.
    n_sims : int
        Simulations.
    seed : int
        Seed of every random draw (required).
    group : str or array-like, optional
        Column of ``rfm`` (or labels) to total over; default: one group ``all``.
    level : float
        Central probability of the per-customer and total intervals.
    n_param_draws : int
        Parameter sets drawn (simulation ``s`` uses set ``s mod n_param_draws``).
    parameter_uncertainty : bool
        ``False`` keeps the parameters at their estimates.
    observed : str, optional
        Column of ``rfm`` with the purchases that actually happened in the
        horizon (a holdout): adds ``purchases_cdf_below = P(N < y)`` and
        ``purchases_cdf_at = P(N <= y)`` per customer, for calibration checks
        with :meth:`Predictive.coverage`.

    Returns
    -------
    Predictive
        Per-customer means and intervals, and per-simulation group totals.

    Examples
    --------
    >>> import clv
    >>> rfm = clv.rfm_summary(clv.datasets.load_cdnow(), observation_end="1997-09-30")
    >>> pred = clv.predictive(clv.BetaGeo().fit(rfm), None, rfm, horizon=39, n_sims=200, seed=1)
    >>> pred.customers.head(2)
                 purchases_mean  purchases_lower  purchases_upper
    customer_id
    1                     1.225              0.0              4.0
    2                     0.185              0.0              1.0
    """
    if seed is None:
        raise DataError("predictive needs an explicit seed (the same seed gives the same draws)")
    if not (0 < level < 1) or n_sims < 2 or not (np.isfinite(horizon) and horizon > 0):
        raise DataError(f"need 0 < level < 1, n_sims >= 2 and a positive horizon; got {level}, {n_sims}, {horizon}")
    cols = ("frequency", "recency", "T", "monetary_value") if spend_model is not None else ("frequency", "recency", "T")
    check_rfm(rfm, cols)
    x, t_x, T = (rfm[c].to_numpy(dtype=float) for c in ("frequency", "recency", "T"))
    m = rfm["monetary_value"].to_numpy(dtype=float) if spend_model is not None else np.zeros(len(rfm))
    usable = (x > 0) & (m > 0)
    m = np.where(usable, m, 0.0)
    codes, labels = _group_codes(rfm, group)
    (ux, ut, uT, um, ug), w, inverse = compress(x, t_x, T, m, codes, weights=np.ones(len(rfm)))
    ug = ug.astype(np.int64)
    sx = np.where(um > 0, ux, 0.0)  # spend history: customers without usable spend get the prior
    t_sets = _parameter_sets(model, n_param_draws, seed, parameter_uncertainty)
    s_sets = _parameter_sets(spend_model, n_param_draws, seed + 1, parameter_uncertainty) if spend_model is not None else None
    kernel = model.kernel
    rng = np.random.default_rng(seed)
    tail = (1 - level) / 2
    names = ["purchases"] + (["revenue"] if spend_model is not None else [])
    per_tuple = {f"{n}_{k}": np.empty(len(w)) for n in names for k in ("mean", "lower", "upper")}
    totals = {n: np.zeros((n_sims, len(labels))) for n in names}
    chunk = max(1, _CHUNK // n_sims)
    y = None if observed is None else check_rfm(rfm, (observed,))[observed].to_numpy(dtype=float)
    cdf = (np.empty(len(rfm)), np.empty(len(rfm)))
    sim_set = np.arange(n_sims) % len(t_sets)
    for start in range(0, len(w), chunk):
        rows = slice(start, start + chunk)
        draws = {n: np.empty((n_sims, len(w[rows]))) for n in names}
        means = {n: np.empty((n_sims, len(w[rows]))) for n in names}
        for j in range(len(t_sets)):
            sims = np.flatnonzero(sim_set == j)
            if not len(sims):
                continue
            theta = t_sets[j]
            mean_n = kernel.expected_purchases(horizon, *theta, ux[rows], ut[rows], uT[rows])
            draws["purchases"][sims] = kernel.simulate_future(rng, horizon, *theta, ux[rows], ut[rows], uT[rows], size=len(sims))
            means["purchases"][sims] = mean_n
            if s_sets is not None:
                phi = s_sets[j % len(s_sets)]
                draws["revenue"][sims] = gammagamma.simulate_revenue(rng, *phi, sx[rows], um[rows], draws["purchases"][sims])
                means["revenue"][sims] = mean_n * gammagamma.expected_spend(*phi, sx[rows], um[rows])
        weight = w[rows]
        onehot = np.zeros((len(weight), len(labels)))
        onehot[np.arange(len(weight)), ug[rows]] = 1.0
        for n in names:
            per_tuple[f"{n}_mean"][rows] = draws[n].mean(axis=0)
            lower, upper = np.quantile(draws[n], [tail, 1 - tail], axis=0, method="inverted_cdf")
            per_tuple[f"{n}_lower"][rows], per_tuple[f"{n}_upper"][rows] = lower, upper
            contribution = weight * means[n] + np.sqrt(weight) * (draws[n] - means[n])
            totals[n] += contribution @ onehot
        if y is not None:
            _score(draws["purchases"], start, inverse, y, cdf, n_sims)
    customers = pd.DataFrame({k: v[inverse] for k, v in per_tuple.items()}, index=rfm.index)
    if y is not None:
        customers["purchases_cdf_below"], customers["purchases_cdf_at"] = cdf
    frames = {n: pd.DataFrame(v, columns=pd.Index(labels, name="group")) for n, v in totals.items()}
    return Predictive(customers=customers, purchases=frames["purchases"], revenue=frames.get("revenue"), level=level)

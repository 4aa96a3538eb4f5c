"""Full predictive distributions of future purchases and revenue, per customer and summed over groups.

Each simulation ``s`` combines three sources of uncertainty:

1. parameter uncertainty: the transaction and spend models' parameters are
   drawn from their maximum-likelihood asymptotic normal (on the log scale,
   :meth:`clv.FitResult.sample_params`); ``n_param_draws`` sets are drawn and
   simulation ``s`` uses set ``s mod n_param_draws``;
2. the customer's posterior given the history: alive or not at ``T``, the
   purchase rate, the dropout probability or rate, and the spend scale
   (``simulate_paths`` of :mod:`clv.kernels.bgnbd`, :mod:`clv.kernels.mbgnbd`
   and :mod:`clv.kernels.paretonbd`; :func:`clv.kernels.gammagamma.simulate_spend_ratio`);
3. the purchase (Poisson) and spend (gamma) noise of the future itself.

Customers who share a history are simulated once; a group total adds the
``w`` customers of a history with the exact conditional mean and variance of
a sum of ``w`` independent customers (see :mod:`clv.predictive_engine`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from clv.data.rfm_checks import check_rfm
from clv.errors import DataError
from clv.kernels import bgbb
from clv.models.transactions import compress
from clv.predictive_engine import CHUNK, Setup, Tuples, run_blocks
from clv.predictive_params import kernel_of, source

__all__ = ["Predictive", "TotalDraws", "predictive", "predictive_totals"]


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
    checkpoints : numpy.ndarray or None
        With ``predictive(..., checkpoints=)``: the times of ``cumulative``.
    cumulative : dict or None
        With checkpoints: ``{"purchases": array, "revenue": array}``, each of
        shape (simulations, groups, checkpoints), the group totals of the
        cumulative purchases (revenue) at each checkpoint.

    Examples
    --------
    >>> import clv
    >>> rfm = clv.rfm_summary(clv.datasets.load_cdnow(), observation_end="1997-09-30")
    >>> bg, gg = clv.BetaGeo().fit(rfm), clv.GammaGamma().fit(rfm)
    >>> pred = clv.predictive(bg, gg, rfm, horizon=39, n_sims=200, seed=1)
    >>> pred.totals().round(-1)
           purchases_mean  purchases_lower  purchases_upper  revenue_mean  revenue_lower  revenue_upper
    group
    all            1670.0           1520.0           1830.0       60460.0        53680.0        67770.0
    """

    customers: pd.DataFrame
    purchases: pd.DataFrame
    revenue: pd.DataFrame | None
    level: float
    checkpoints: np.ndarray | None = None
    cumulative: dict[str, np.ndarray] | None = None

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


class _Collector:
    """Gathers the block results of :func:`clv.predictive_engine.run_blocks` into per-customer columns and group totals."""

    def __init__(self, tuples: Tuples, inverse: np.ndarray, y: np.ndarray | None, n_sims: int, n_groups: int, n_edges: int,
                 spend: bool) -> None:
        self.tuples, self.inverse, self.y, self.n_sims = tuples, inverse, y, n_sims
        self.names = ["purchases"] + (["revenue"] if spend else [])
        self.columns: dict[str, np.ndarray] = {}
        self.totals = {n: np.zeros((n_sims, n_groups, n_edges)) for n in self.names}
        if y is not None:
            self.order = np.argsort(inverse, kind="stable")
            self.sorted_tuple = inverse[self.order]
            self.cdf = (np.empty(len(y)), np.empty(len(y)))

    def _put(self, key: str, size: int, part: slice, values: np.ndarray) -> None:
        if key not in self.columns:
            self.columns[key] = np.empty(size)
        self.columns[key][part] = values

    def consume(self, rows: slice, res: dict[str, Any]) -> None:
        """Store one block's per-tuple and per-spend statistics, add its totals and score the observed purchases."""
        for k, v in res["purchases"].items():
            self._put(f"purchases_{k}", len(self.tuples.w), rows, v)
        if "revenue" in res:
            spends = slice(*np.searchsorted(self.tuples.f_tuple, [rows.start, rows.stop]))
            for k, v in res["revenue"].items():
                self._put(f"revenue_{k}", len(self.tuples.f_m), spends, v)
        for n in self.names:
            self.totals[n] += res[f"{n}_total"]
        if self.y is None:
            return
        first, stop = np.searchsorted(self.sorted_tuple, [rows.start, rows.stop])
        step = max(1, CHUNK // self.n_sims)
        for i in range(int(first), int(stop), step):
            part = self.order[i : min(i + step, int(stop))]
            d = res["n_draws"][:, self.inverse[part] - rows.start]
            self.cdf[0][part] = (d < self.y[part]).mean(axis=0)
            self.cdf[1][part] = (d <= self.y[part]).mean(axis=0)

    def result(self, index: pd.Index, f_inverse: np.ndarray, labels: list[str], level: float, edges: np.ndarray | None) -> Predictive:
        """The :class:`Predictive` of the collected blocks."""
        customers = pd.DataFrame({k: v[self.inverse if k.startswith("purchases") else f_inverse] for k, v in self.columns.items()},
                                 index=index)
        if self.y is not None:
            customers["purchases_cdf_below"], customers["purchases_cdf_at"] = self.cdf
        columns = pd.Index(labels, name="group")
        frames = {n: pd.DataFrame(v[:, :, -1], columns=columns) for n, v in self.totals.items()}
        return Predictive(customers=customers, purchases=frames["purchases"], revenue=frames.get("revenue"), level=level,
                          checkpoints=edges, cumulative=None if edges is None else self.totals)


def _tuples(x: np.ndarray, t_x: np.ndarray, T: np.ndarray, m: np.ndarray, codes: np.ndarray, profiles: tuple[np.ndarray, np.ndarray]
            ) -> tuple[Tuples, np.ndarray, np.ndarray]:
    """Purchase tuples and distinct spends (see :mod:`clv.predictive_engine`), with each customer's tuple and spend index."""
    sx = np.where(m > 0, x, 0.0)
    (ux, ut, uT, usx, ug, tp, sp), w, inverse = compress(x, t_x, T, sx, codes, *profiles, weights=np.ones(len(x)))
    (f_tuple, f_m), _, f_inverse = compress(inverse.astype(float), m, weights=np.ones(len(x)))
    order = np.argsort(f_tuple, kind="stable")
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order))
    tuples = Tuples(x=ux, t_x=ut, T=uT, sx=usx, group=ug.astype(np.int64), w=w,
                    m_sum=np.bincount(inverse, weights=m, minlength=len(w)), m_sq=np.bincount(inverse, weights=m * m, minlength=len(w)),
                    f_tuple=f_tuple[order].astype(np.int64), f_m=f_m[order], t_profile=tp, s_profile=sp)
    return tuples, inverse, rank[f_inverse]


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
    interval_rule: str = "central",
    checkpoints: Any = None,
    n_jobs: int | None = None,
) -> Predictive:
    """Simulate each customer's purchases and revenue over ``horizon`` time units after ``T``.

    Parameters
    ----------
    model : fitted BetaGeo, ModifiedBetaGeo, ParetoNBD (with or without covariates), BetaGeoBetaBinom, or clv.bayes.HierarchicalBetaGeo
        Where the parameter sets come from: the MLE's asymptotic normal
        (covariate coefficients included; each customer gets its profile's
        parameters) or the posterior draws (each customer gets its group's);
        see :mod:`clv.predictive_params`.
    spend_model : fitted GammaGamma or clv.bayes.HierarchicalGammaGamma, or None
        Without it only purchases are simulated.
    rfm : pandas.DataFrame
        ``frequency, recency, T`` (BG/BB: ``frequency, recency, n_periods``)
        and ``monetary_value`` with a spend model.
    horizon : float
        Time units after each customer's ``T`` (BG/BB: whole opportunities
        after ``n_periods``).
    n_sims : int
        Simulations.
    seed : int
        Seed of every random draw (required). The draws do not depend on ``n_jobs``.
    group : str or array-like, optional
        Column of ``rfm`` (or labels) to total over; default: one group ``all``.
    level : float
        Central probability of the per-customer and total intervals.
    n_param_draws : int
        Parameter sets drawn (simulation ``s`` uses set ``s mod n_param_draws``);
        for a posterior, the number of posterior draws used.
    parameter_uncertainty : bool
        ``False`` keeps the parameters at their estimates (posterior: the
        posterior mean of each group's parameters).
    observed : str, optional
        Column of ``rfm`` with the purchases that actually happened in the
        horizon (a holdout): adds ``purchases_cdf_below = P(N < y)`` and
        ``purchases_cdf_at = P(N <= y)`` per customer, for calibration checks
        with :meth:`Predictive.coverage`.
    interval_rule : {"central", "closest"}
        How the per-customer purchase interval is chosen (counts are
        discrete, so no integer interval has exactly ``level`` in general).
        ``"central"``: from the ``(1-level)/2`` and ``(1+level)/2`` quantiles,
        so its mass is at least ``level``. ``"closest"``: the central interval
        with its upper, then its lower, end point dropped whenever that brings
        the mass closer to ``level``. Either way ``purchases_mass`` states the
        interval's predictive probability. Revenue intervals are always
        central (``revenue_mass`` exceeds ``level`` when the chance of no
        purchase is above ``(1-level)/2``).
    checkpoints : sequence of float, optional
        Increasing times in ``(0, horizon]``: the group totals of the
        cumulative purchases (and revenue) at each are kept in
        :attr:`Predictive.cumulative`, drawn along one consistent path per
        simulation.
    n_jobs : int, optional
        Threads drawing blocks of histories (default: up to 2).

    Returns
    -------
    Predictive
        Per-customer means, intervals and interval masses, and per-simulation group totals.

    Notes
    -----
    The per-customer means are exact (the average over the parameter sets of
    the conditional expectation); the intervals and totals are simulated.
    See :mod:`clv.predictive_engine` for how customers sharing a history are
    simulated once.

    Examples
    --------
    >>> import clv
    >>> rfm = clv.rfm_summary(clv.datasets.load_cdnow(), observation_end="1997-09-30")
    >>> pred = clv.predictive(clv.BetaGeo().fit(rfm), None, rfm, horizon=39, n_sims=200, seed=1)
    >>> pred.customers.head(2).round(3)
                 purchases_mean  purchases_lower  purchases_upper  purchases_mass
    customer_id
    1                     1.233              0.0              4.0           0.960
    2                     0.207              0.0              2.0           0.965
    """
    edges = _checked_edges(horizon, checkpoints)
    setup, tuples, inverse, f_inverse, labels = _prepare(model, spend_model, rfm, horizon, edges, n_sims, seed, group=group, level=level,
                                                         n_param_draws=n_param_draws, parameter_uncertainty=parameter_uncertainty,
                                                         interval_rule=interval_rule)
    y = None if observed is None else check_rfm(rfm, (observed,))[observed].to_numpy(dtype=float)
    collected = _Collector(tuples, inverse, y, n_sims, len(labels), len(edges), spend_model is not None)
    run_blocks(setup, tuples, seed, n_jobs, collected.consume)  # type: ignore[arg-type]
    return collected.result(rfm.index, f_inverse, labels, level, edges if checkpoints is not None else None)


def _checked_edges(horizon: float, checkpoints: Any) -> np.ndarray:
    """The checkpoints (default: the horizon alone), checked to increase from above 0 to the horizon."""
    edges = np.array([horizon], dtype=float) if checkpoints is None else np.asarray(checkpoints, dtype=float)
    if checkpoints is not None and (edges.ndim != 1 or len(edges) == 0 or edges[0] <= 0 or np.any(np.diff(edges) <= 0)
                                    or not np.isclose(edges[-1], horizon)):
        raise DataError("checkpoints must increase from above 0 to the horizon")
    return edges


def _prepare(model: Any, spend_model: Any, rfm: pd.DataFrame, horizon: float, edges: np.ndarray, n_sims: int, seed: int | None, *,
             group: Any, level: float, n_param_draws: int, parameter_uncertainty: bool, interval_rule: str, totals_only: bool = False
             ) -> tuple[Setup, Tuples, np.ndarray, np.ndarray, list[str]]:
    """Check the inputs; the simulation setup, the purchase tuples, each customer's tuple and spend index, and the group labels."""
    if seed is None:
        raise DataError("predictive needs an explicit seed (the same seed gives the same draws)")
    if not (0 < level < 1) or n_sims < 2 or not (np.isfinite(horizon) and horizon > 0):
        raise DataError(f"need 0 < level < 1, n_sims >= 2 and a positive horizon; got {level}, {n_sims}, {horizon}")
    if interval_rule not in ("central", "closest"):
        raise DataError(f"interval_rule must be 'central' or 'closest', got {interval_rule!r}")
    kernel = kernel_of(model)
    if kernel is None or not hasattr(kernel, "simulate_paths"):
        raise DataError(f"predictive: no simulation for {type(model).__name__}; use BetaGeo, ModifiedBetaGeo, ParetoNBD, "
                        "BetaGeoBetaBinom or HierarchicalBetaGeo")
    history = ("frequency", "recency", "n_periods" if kernel is bgbb else "T")
    if history[2] == "n_periods" and np.any(edges != np.round(edges)):
        raise DataError(f"BetaGeoBetaBinom counts whole opportunities: horizon and checkpoints must be whole numbers, got {edges}")
    check_rfm(rfm, (*history, "monetary_value") if spend_model is not None else history)
    x, t_x, T = (rfm[c].to_numpy(dtype=float) for c in history)
    m = rfm["monetary_value"].to_numpy(dtype=float) if spend_model is not None else np.zeros(len(rfm))
    m = np.where((x > 0) & (m > 0), m, 0.0)  # customers without a usable spend get the spend prior
    codes, labels = _group_codes(rfm, group)
    t_src = source(model, rfm, n_param_draws, seed, parameter_uncertainty)
    s_src = source(spend_model, rfm, n_param_draws, seed + 1, parameter_uncertainty) if spend_model is not None else None
    tuples, inverse, f_inverse = _tuples(x, t_x, T, m, codes, (t_src.profile, np.zeros(len(rfm)) if s_src is None else s_src.profile))
    setup = Setup(
        kernel=t_src.kernel, params=lambda j, rows: t_src.params(j, tuples.t_profile[rows]),
        spend=None if s_src is None else lambda j, rows: s_src.params(j, tuples.s_profile[rows]),  # type: ignore[union-attr]
        sim_set=np.arange(n_sims) % t_src.n_sets, spend_set=np.arange(n_sims) % (1 if s_src is None else s_src.n_sets),
        edges=edges, n_groups=len(labels), level=level, rule=interval_rule, totals_only=totals_only,
    )
    return setup, tuples, inverse, f_inverse, labels


@dataclass(frozen=True)
class TotalDraws:
    """Result of :func:`predictive_totals`: per-simulation group totals, and their exact conditional means.

    Attributes
    ----------
    purchases : pandas.DataFrame
        One row per simulation, one column per group: the group's total
        purchases (the same draws as :attr:`Predictive.purchases` for the same
        arguments).
    revenue : pandas.DataFrame or None
        The same for revenue (``None`` without a spend model).
    purchases_mean : pandas.DataFrame
        The sum of the customers' exact conditional expected purchases under
        the parameter set of each simulation: ``purchases - purchases_mean``
        is the customer randomness of that simulation, ``purchases_mean`` its
        parameter-driven part.
    revenue_mean : pandas.DataFrame or None
        The same for revenue.

    Examples
    --------
    >>> import clv
    >>> rfm = clv.rfm_summary(clv.datasets.load_cdnow(), observation_end="1997-09-30")
    >>> from clv.predictive import predictive_totals
    >>> draws = predictive_totals(clv.BetaGeo().fit(rfm), None, rfm, horizon=39, n_sims=200, seed=1)
    >>> round(float(draws.purchases_mean["all"].mean()), -2), draws.revenue is None
    (1700.0, True)
    """

    purchases: pd.DataFrame
    revenue: pd.DataFrame | None
    purchases_mean: pd.DataFrame
    revenue_mean: pd.DataFrame | None


def predictive_totals(model: Any, spend_model: Any, rfm: pd.DataFrame, horizon: float, n_sims: int = 1000, seed: int | None = None, *,
                      group: str | Any = None, n_param_draws: int = 100, parameter_uncertainty: bool = True,
                      n_jobs: int | None = None) -> TotalDraws:
    """The group totals of :func:`predictive` alone, without any per-customer figure.

    The draws are those of :func:`predictive` with the same arguments (so the
    totals are the same numbers), but no per-customer or per-spend quantiles
    are computed and nothing of size customers x simulations is kept: memory
    is one block of purchase tuples. Each simulation's total also comes
    split into its parameter-driven part (the exact conditional mean of the
    total under that simulation's parameters) and the customer randomness
    around it, which is what scaling a sample of customers up to a whole
    base needs (:func:`clv.channels.uncertainty.customer_level_columns`).

    Parameters
    ----------
    model, spend_model, rfm, horizon, n_sims, seed, group, n_param_draws, parameter_uncertainty, n_jobs
        As in :func:`predictive`.

    Returns
    -------
    TotalDraws

    Examples
    --------
    >>> import clv
    >>> rfm = clv.rfm_summary(clv.datasets.load_cdnow(), observation_end="1997-09-30")
    >>> bg, gg = clv.BetaGeo().fit(rfm), clv.GammaGamma().fit(rfm)
    >>> from clv.predictive import predictive_totals
    >>> totals = predictive_totals(bg, gg, rfm, horizon=39, n_sims=200, seed=1)
    >>> full = clv.predictive(bg, gg, rfm, horizon=39, n_sims=200, seed=1)
    >>> bool((totals.revenue == full.revenue).all().all())
    True
    """
    edges = _checked_edges(horizon, None)
    setup, tuples, _, _, labels = _prepare(model, spend_model, rfm, horizon, edges, n_sims, seed, group=group, level=0.9,
                                           n_param_draws=n_param_draws, parameter_uncertainty=parameter_uncertainty,
                                           interval_rule="central", totals_only=True)
    names = ["purchases", "purchases_mean"] + (["revenue", "revenue_mean"] if spend_model is not None else [])
    sums = {n: np.zeros((n_sims, len(labels), 1)) for n in names}

    def add(rows: slice, res: dict[str, Any]) -> None:
        for n in names:
            sums[n] += res[f"{n}_total"]

    run_blocks(setup, tuples, seed, n_jobs, add)  # type: ignore[arg-type]
    columns = pd.Index(labels, name="group")
    frames = {n: pd.DataFrame(v[:, :, -1], columns=columns) for n, v in sums.items()}
    return TotalDraws(purchases=frames["purchases"], revenue=frames.get("revenue"), purchases_mean=frames["purchases_mean"],
                      revenue_mean=frames.get("revenue_mean"))

"""Uncertainty beyond the parameter draws: single customers, the channel's total, and the choice of model.

The channel table's intervals (``ltv_new_lower`` ...) carry parameter
uncertainty only. This module adds, per channel with maximum-likelihood
models:

* ``share_new_paying_back``: the share of the channel's *new customers*
  expected to return their CAC within the payback horizon, from
  :func:`clv.predictive` simulations of single just-acquired customers
  (a one-customer group's total is that customer's draw);
* ``future_margin_total`` with ``future_margin_lower`` / ``future_margin_upper``:
  the channel's total margin over the horizon from its existing customers,
  with a :func:`clv.predictive` interval that includes customer randomness;
* ``ltv_new_other_model`` and ``ltv_new_to_cac_other_model``: the headline
  under the other purchase model family (BG/NBD against Pareto/NBD), a
  sensitivity to the choice of model.

Each figure's definition, and what its interval includes, is in
:data:`UNCERTAINTY_DEFINITIONS`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from clv.channels.base import ChannelSample, FrameSamples, frame_sample
from clv.channels.intervals import Valuation
from clv.errors import ClvError
from clv.kernels import gammagamma
from clv.model_set import ModelSet
from clv.predictive import predictive, predictive_totals
from clv.predictive_params import source

__all__ = ["SIM_SAMPLE", "UNCERTAINTY_COLUMNS", "UNCERTAINTY_DEFINITIONS", "channel_totals", "customer_level_columns",
           "future_margin_draws", "other_model_columns", "simulated_columns"]

SIM_SAMPLE = 50_000
"""Largest number of a channel's customers simulated for its future-margin interval; larger channels are sampled (see
:func:`future_margin_draws`)."""

UNCERTAINTY_COLUMNS = ("share_new_paying_back", "future_margin_total", "future_margin_lower", "future_margin_upper",
                       "ltv_new_other_model", "ltv_new_to_cac_other_model")

UNCERTAINTY_DEFINITIONS = {
    "share_new_paying_back": "Share of new customers paying back: share of a channel's newly acquired customers whose own margin "
                             "(acquisition purchase + simulated repeat purchases, undiscounted) reaches CAC within the payback horizon. "
                             "Each simulated customer draws its own spend level from the channel's spend model (Gamma-Gamma), "
                             "and that level drives its first purchase and its repeat purchases alike; includes "
                             "customer-to-customer randomness (purchases and amounts) and parameter uncertainty.",
    "future_margin_total": "Future margin, total: the channel's existing customers' expected margin over the horizon, summed, "
                           "undiscounted, with an interval that includes parameter uncertainty, each customer's unknown state "
                           "and purchase and spend randomness (clv.predictive).",
    "ltv_new_other_model": "New-customer LTV under the other purchase model (Pareto/NBD for a BG/NBD report, BG/NBD otherwise), "
                           "fitted to the same channel: a sensitivity to the choice of model.",
    "ltv_new_to_cac_other_model": "Headline LTV:CAC under the other purchase model; far from ltv_new_to_cac means the verdict "
                                  "depends on the model.",
}
"""One-line definition of each column of :data:`UNCERTAINTY_COLUMNS` (shown in the report and its JSON)."""

_JUST_ACQUIRED = {"frequency": 0.0, "recency": 0.0, "T": 0.0, "monetary_value": 0.0}
_PARAM_DRAWS = 100  # spend parameter sets, as clv.predictive's default n_param_draws


def _new_customer_margins(pair: Any, horizon: float, margin: float, n_sims: int, seed: int) -> np.ndarray:
    """``n_sims`` draws of one new customer's margin over ``horizon``, the acquisition purchase included.

    The repeat purchases come from :func:`clv.predictive` on a just-acquired
    history (with parameter uncertainty). The spend of the acquisition
    purchase and of the repeat purchases is drawn for the same customer: a
    spend scale ``nu ~ Gamma(q, v)`` from the population, and ``n + 1``
    amounts ``Gamma(p, nu)`` (Fader & Hardie 2013), i.e. the revenue of
    ``n + 1`` purchases of a customer without spend history
    (:func:`clv.kernels.gammagamma.simulate_spend_ratio`, the draw
    :func:`clv.predictive` makes for future spend). The spend parameters of
    simulation ``s`` are set ``s mod n_param_draws`` of the spend model, as in
    :func:`clv.predictive`.
    """
    tm, sm = pair
    one = pd.DataFrame({k: [v] for k, v in _JUST_ACQUIRED.items()}, index=pd.Index(["new"], name="customer_id"))
    repeats = predictive(tm, None, one, horizon, n_sims=n_sims, seed=seed).purchases["all"].to_numpy(dtype=float)
    spend = source(sm, one, _PARAM_DRAWS, seed + 1, True)
    sets = np.arange(n_sims) % spend.n_sets
    p, q, v = (np.array([spend.params(int(j), np.zeros(1))[k] for j in sets], dtype=float).reshape(-1) for k in range(3))
    ratio = gammagamma.simulate_spend_ratio(np.random.default_rng(seed + 2), p, q, np.zeros(n_sims), (repeats + 1.0)[:, None])
    return margin * v * ratio[:, 0]


def customer_level_columns(
    table: pd.DataFrame, acq: pd.DataFrame, rfm: pd.DataFrame | None, models: ModelSet, value: Valuation, *,
    payback_horizon: float, interval: float, n_sims: int, seed: int, sample: int = SIM_SAMPLE,
    expected_revenue: pd.Series | None = None,
) -> dict[str, str]:
    """Fill ``share_new_paying_back`` and the ``future_margin_*`` columns of ``table`` in place.

    Only maximum-likelihood channel models are simulated (a channel whose
    models :func:`clv.predictive` cannot simulate, e.g. a limit model, stays
    n/a); the future-margin interval needs a finite horizon and ``rfm``.

    Parameters
    ----------
    table : pandas.DataFrame
        The channel table (index ``channel``, with ``cac``).
    acq : pandas.DataFrame
        The acquired customers (``customer_id``, ``channel``, ``scored``).
    rfm : pandas.DataFrame or None
        The RFM frame of the scored customers.
    models : ModelSet
        The report's channel models.
    value : Valuation
        The report's valuation settings.
    payback_horizon : float
        Horizon of the paying-back share (time units).
    interval : float
        Central probability of the future-margin interval.
    n_sims : int
        Simulations per channel (0 skips both).
    seed : int
        Seed of the simulations.
    sample : int
        Channels with more scored customers than this get their future-margin
        interval from a seeded sample of ``sample`` of them
        (:func:`future_margin_draws`).
    expected_revenue : pandas.Series, optional
        Each customer's expected revenue over the horizon at the point
        estimates (the ``expected_revenue`` score, index ``customer_id``):
        the auxiliary variable of the sampled totals, which then have the
        closed-form mean of the whole channel. Default: ``acq["clv"]``.

    Returns
    -------
    dict
        ``{column: reason}`` for the columns left n/a, for the report's settings.

    Examples
    --------
    >>> import pandas as pd, clv
    >>> channels = {"email": {"share": 0.6}, "search": {"share": 0.4, "params": {"r": 0.2, "alpha": 6.0, "a": 0.9, "b": 2.0}}}
    >>> sim = clv.simulate(600, seed=3, start="2024-01-01", end="2025-01-01", channels=channels)
    >>> rfm = clv.rfm_summary(sim.transactions, observation_end="2024-12-31")
    >>> acq = clv.read_acquisitions(sim.acquisitions).assign(scored=True)
    >>> models = clv.fit_channel_models(rfm, acq)
    >>> table = pd.DataFrame({"cac": [10.0, 20.0]}, index=pd.Index(["email", "search"], name="channel"))
    >>> value = clv.channels.intervals.Valuation(52.0, 0.1, 0.3, "W", 1.0)
    >>> customer_level_columns(table, acq, rfm, models, value, payback_horizon=52.0, interval=0.9, n_sims=500, seed=1)
    {}
    >>> table["share_new_paying_back"].round(2).tolist()
    [0.56, 0.25]
    """
    return simulated_columns(table, FrameSamples(acq, rfm, expected_revenue), models, value, payback_horizon=payback_horizon,
                             interval=interval, n_sims=n_sims, seed=seed, sample=sample)


def simulated_columns(
    table: pd.DataFrame, base: Any, models: ModelSet, value: Valuation, *, payback_horizon: float, interval: float, n_sims: int,
    seed: int, sample: int = SIM_SAMPLE,
) -> dict[str, str]:
    """:func:`customer_level_columns` for any customer base (:class:`clv.channels.base.CustomerBase`): the channels' sampled
    rows come from ``base.sim_rows`` (``base.has_members`` and ``base.has_rfm`` say whether a channel has customers and whether
    there are RFM rows); same columns, same reasons."""
    for column in UNCERTAINTY_COLUMNS[:4]:
        table[column] = np.nan
    point = models.point()
    if n_sims <= 0:
        return {"share_new_paying_back": "no simulations", "future_margin_total": "no simulations"}
    if point is None:
        reason = "maximum-likelihood channel models only (posterior draws are not simulated here)"
        return {"share_new_paying_back": reason, "future_margin_total": reason}
    missing: dict[str, str] = {}
    no_future = value.horizon is None or not base.has_rfm  # the future margin is not simulated at all: its reason is set once, here
    if no_future:
        missing["future_margin_total"] = "needs a finite horizon" if value.horizon is None else "needs the RFM frame"
    cac = table["cac"].to_numpy(dtype=float)
    for j, name in enumerate(table.index):
        if not base.has_members(name):
            continue
        pair = models.pair(name, point)
        try:
            if np.isfinite(cac[j]) and cac[j] > 0:
                table.iloc[j, table.columns.get_loc("share_new_paying_back")] = float(
                    np.mean(_new_customer_margins(models.new_customer_pair(name, point), payback_horizon, value.margin, n_sims, seed) >= cac[j]))
            if "future_margin_total" not in missing:
                group = base.sim_rows(name, sample, seed)
                totals = value.margin * channel_totals(pair, group, value.horizon, n_sims=n_sims, seed=seed)  # type: ignore[arg-type]
                tail = (1 - interval) / 2
                row = [float(totals.mean()), float(totals.quantile(tail)), float(totals.quantile(1 - tail))]
                table.iloc[j, [table.columns.get_loc(c) for c in UNCERTAINTY_COLUMNS[1:4]]] = row
        except (ClvError, AttributeError, ValueError) as exc:  # a model clv.predictive cannot simulate: n/a, with the reason
            if np.isfinite(cac[j]) and cac[j] > 0 and np.isnan(table.iloc[j, table.columns.get_loc("share_new_paying_back")]):
                note_missing(missing, "share_new_paying_back", f"{name}: {exc}")
            if not no_future:
                note_missing(missing, "future_margin_total", f"{name}: {exc}")
    return missing


def future_margin_draws(pair: Any, rfm: pd.DataFrame, clv: np.ndarray, horizon: float, *, n_sims: int, seed: int,
                        sample: int = SIM_SAMPLE) -> pd.Series:
    """Simulated totals of the revenue of a group of customers over ``horizon``: all of them, or a sample scaled up.

    Up to ``sample`` customers the totals are :func:`clv.predictive`'s (the
    same numbers; computed by :func:`clv.predictive.predictive_totals`, which
    keeps nothing per customer). A larger group of ``N`` customers is
    represented by a seeded simple random sample of ``n = sample`` of them.
    Simulation ``s`` of the sample gives its total ``t_s`` and, under the
    parameter set of that simulation, the exact conditional mean of that
    total ``m_s``. The group total of simulation ``s`` is then

    ``T_s = (C_N / C_n) m_s + sqrt(N / n) (t_s - m_s)``

    * parameter-driven part: a ratio estimator (Cochran 1977, ch. 6) with a
      closed-form score known for every customer as auxiliary variable
      (``C_N`` its sum over the group, ``C_n`` over the sample): best the expected revenue over the horizon at the point
      estimates (the ``expected_revenue`` score), so that ``C_N`` is the
      group's exact closed-form mean and ``m_s / C_n`` the sample's
      relative change of that mean under the parameters of simulation
      ``s`` (the discounted ``clv``, nearly proportional to it, also
      serves);
    * customer randomness: given the parameters, customers are independent,
      so the variance of the noise adds over customers; the sample's sum of
      variances times ``N / n`` estimates the group's (an unbiased expansion),
      hence the factor ``sqrt(N / n)`` on the sample's noise.

    Without a positive summed score the ratio falls back to ``N / n``.
    Accuracy against the full simulation is measured in ``benchmarks/RESULTS.md``
    ("Session 6: report at scale").

    Parameters
    ----------
    pair : tuple
        The transaction and spend models.
    rfm : pandas.DataFrame
        The group's customers (``frequency, recency, T, monetary_value``).
    clv : numpy.ndarray
        Each customer's expected revenue over ``horizon`` at the point
        estimates (or another closed-form value roughly proportional to
        it), in the order of ``rfm``.
    horizon : float
        Time units after each customer's ``T``.
    n_sims : int
        Simulations.
    seed : int
        Seed of the sample and of the simulations.
    sample : int
        Largest group simulated whole.

    Returns
    -------
    pandas.Series
        One total per simulation.

    Examples
    --------
    >>> import clv
    >>> rfm = clv.rfm_summary(clv.datasets.load_cdnow(), observation_end="1997-09-30")
    >>> bg, gg = clv.BetaGeo().fit(rfm), clv.GammaGamma().fit(rfm)
    >>> score = clv.customer_value(bg, gg, rfm, horizon=39, discount_rate=0.1)["expected_revenue"].to_numpy()
    >>> whole = future_margin_draws((bg, gg), rfm, score, 39.0, n_sims=200, seed=1)
    >>> bool((whole == clv.predictive(bg, gg, rfm, 39.0, n_sims=200, seed=1).revenue["all"]).all())
    True
    >>> sampled = future_margin_draws((bg, gg), rfm, score, 39.0, n_sims=200, seed=1, sample=1000)
    >>> round(float(sampled.mean() / whole.mean()), 2)
    1.0
    """
    return channel_totals(pair, frame_sample(rfm, clv, sample, seed), horizon, n_sims=n_sims, seed=seed)


def channel_totals(pair: Any, group: ChannelSample, horizon: float, *, n_sims: int, seed: int) -> pd.Series:
    """The simulated totals of :func:`future_margin_draws` from a :class:`clv.channels.base.ChannelSample`: the whole group
    simulated, or its sample simulated and scaled up by the ratio of the summed scores (the rule and its accuracy are in
    :func:`future_margin_draws`)."""
    tm, sm = pair
    if group.picked_score is None:
        return predictive_totals(tm, sm, group.rows, horizon, n_sims=n_sims, seed=seed).revenue["all"]  # type: ignore[index]
    n, size = len(group.rows), group.size
    draws = predictive_totals(tm, sm, group.rows, horizon, n_sims=n_sims, seed=seed)
    t, m = draws.revenue["all"], draws.revenue_mean["all"]  # type: ignore[index]
    scored = group.picked_score
    ratio = float(group.total_score) / scored if scored > 0 and np.isfinite(scored) else size / n  # type: ignore[arg-type]
    return ratio * m + np.sqrt(size / n) * (t - m)


def note_missing(missing: dict[str, str], column: str, reason: str) -> None:
    """Add ``reason`` to the n/a reasons of ``column`` (reasons of several channels are joined with '; ')."""
    missing[column] = f"{missing[column]}; {reason}" if column in missing else reason


def other_model_columns(table: pd.DataFrame, other: ModelSet | None, value: Valuation, new_grid: np.ndarray) -> None:
    """Fill ``ltv_new_other_model`` and ``ltv_new_to_cac_other_model`` from the channel models of the other family (in place).

    Parameters
    ----------
    table : pandas.DataFrame
        The channel table (index ``channel``, with ``cac``).
    other : ModelSet or None
        Channel models fitted with the other purchase model; None leaves the columns n/a.
    value : Valuation
        The report's valuation settings.
    new_grid : numpy.ndarray
        Period ends of the new-customer horizon.

    Returns
    -------
    None

    Examples
    --------
    >>> import pandas as pd, clv
    >>> channels = {"email": {"share": 0.6}, "search": {"share": 0.4, "params": {"r": 0.2, "alpha": 6.0, "a": 0.9, "b": 2.0}}}
    >>> sim = clv.simulate(600, seed=3, start="2024-01-01", end="2025-01-01", channels=channels)
    >>> rfm = clv.rfm_summary(sim.transactions, observation_end="2024-12-31")
    >>> acq = clv.read_acquisitions(sim.acquisitions)
    >>> other = clv.fit_channel_models(rfm, acq, transaction_model="mbgnbd")
    >>> table = pd.DataFrame({"cac": [10.0, 20.0]}, index=pd.Index(["email", "search"], name="channel"))
    >>> value = clv.channels.intervals.Valuation(52.0, 0.1, 0.3, "W", 1.0)
    >>> other_model_columns(table, other, value, clv.valuation.period_edges(52.0, 1.0))
    >>> table["ltv_new_other_model"].round(2).tolist(), table["ltv_new_to_cac_other_model"].round(2).tolist()
    ([24.26, 20.19], [2.43, 1.01])
    """
    table["ltv_new_other_model"] = np.nan
    table["ltv_new_to_cac_other_model"] = np.nan
    point = None if other is None else other.point()
    if point is None:
        return
    cac = table["cac"].to_numpy(dtype=float)
    has_customers = table["customers"].to_numpy() > 0 if "customers" in table else np.ones(len(table), dtype=bool)
    for j, name in enumerate(table.index):
        if not has_customers[j]:  # no channel of its own to fit: the pooled model would say nothing about it
            continue
        try:
            ltv = value.new_value(other.pair(name, point), new_grid)  # type: ignore[union-attr]
        except ClvError:
            continue
        table.iloc[j, table.columns.get_loc("ltv_new_other_model")] = ltv
        if np.isfinite(cac[j]) and cac[j] > 0:
            table.iloc[j, table.columns.get_loc("ltv_new_to_cac_other_model")] = ltv / cac[j]

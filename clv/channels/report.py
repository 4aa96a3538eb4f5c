"""Customer acquisition cost (CAC) against lifetime value (LTV) by acquisition channel.

Definitions (all money figures are margin, i.e. revenue times ``margin``)
-------------------------------------------------------------------------
``ltv_realized``
    Mean over a channel's acquired customers of ``margin * revenue to date``
    (every transaction up to the observation end, the acquisition purchase
    included, refunds subtracted). Undiscounted: it has already happened.
``ltv_expected``
    ``ltv_realized`` plus the mean discounted expected future margin over the
    report horizon (the ``clv`` column of :func:`clv.customer_value`, which
    discounts per period at the annual ``discount_rate``). Customers acquired
    but absent from the transaction log count as zero value, because the
    spend bought them.
``cac``
    Per customer, the ``cost`` column of the acquisition table when filled;
    otherwise the spend of the customer's channel and period divided by all
    the customers of that channel acquired in that period. When both are
    given, a customer's own cost *replaces* its share of the channel spend
    (never added to it); the replaced spend is in
    ``reconciliation["spend_replaced_by_own_cost"]``. A channel's ``cac`` is the mean over its customers
    with a known cost; the same rule gives the CAC of each acquisition
    cohort (channel x month).
``ltv_to_cac``
    ``ltv_expected / cac``: the value of the existing customers against what
    they cost. Not the headline: it mixes realized value of customers of
    different ages with a fixed horizon of future value, so older channels
    look better. Not applicable (NaN, shown "n/a", never inf) when CAC is
    zero (organic) or unknown.
``ltv_new``
    Expected discounted margin of a *newly acquired* customer of the channel
    over the horizon, from the channel-level parameters: the acquisition
    purchase at time 0 plus the repeat purchases of the new-customer curve,
    ``margin * E[Z] * (1 + sum_k (E[X(t_k)] - E[X(t_{k-1})]) d(t_k))`` with
    ``E[X(t)]`` = ``expected_purchases_new(t)`` (Fader, Hardie & Lee 2005,
    eq. 7), ``E[Z]`` the Gamma-Gamma population mean spend ``p v / (q - 1)``
    (Fader & Hardie 2013) and ``d`` the discount factors of
    :func:`clv.valuation.discount_factors` (see :func:`new_customer_curve`).
    With ``horizon=None`` (the lifetime horizon) it is ``ltv_new_lifetime``.
``ltv_new_52w``, ``ltv_new_lifetime``
    The same new-customer value cut off 52 weeks after acquisition, and over
    the whole lifetime: ``margin * E[Z] * (1 + DERT_new)`` with
    ``DERT_new = int_0^inf exp(-delta t) dE[X(t)]`` at the continuous rate
    ``delta = ln(1 + discount_rate) / (time units per year)``
    (:func:`clv.channels.new_customer_lifetime_value`). Shown side by side
    whatever the horizon, so the truncation is visible.
``ltv_new_to_cac``
    ``ltv_new / cac``, the **headline**: forward-looking unit economics of a
    newly acquired customer. The summary verdict ("pays back" when at least
    1) and the ranking use it whenever channel models are given
    (``settings["headline_ratio"]``); without models they fall back to
    ``ltv_to_cac``.
``payback_lower``, ``payback_upper``
    Quantiles of the payback period over the same parameter draws (NaN when
    that quantile is beyond the payback horizon or there are no draws).
``prob_ltv_new_exceeds_cac``
    Share of parameter draws in which ``ltv_new`` exceeds CAC (parameter
    uncertainty only, not customer-to-customer variation).
``payback_period``
    Time (in the report's time unit) until the cumulative curve of
    ``ltv_new`` reaches CAC, linearly interpolated within the period where it
    crosses; 0 when the acquisition purchase alone covers CAC. When it never
    does within ``payback_horizon`` the period is NaN and
    ``payback_status`` says ``"not within horizon"``.
``prob_ltv_exceeds_cac``
    Share of parameter draws in which the channel's ``ltv_expected`` exceeds
    its CAC: draws from the asymptotic normal of each channel's MLE
    (parametric bootstrap), or posterior draws of a Bayesian model
    (:class:`clv.model_set.PosteriorDraws`). ``ltv_lower``/``ltv_upper`` and
    ``ltv_new_lower``/``ltv_new_upper`` are quantiles of the same draws.
    These intervals carry parameter uncertainty only. To keep draws cheap the
    future part of ``ltv_expected`` is re-valued on a random subsample of at
    most ``draw_sample`` customers per channel and applied as a shift from
    the reported point figure (see :func:`clv.channels.intervals.ltv_expected_draws`).

``share_of_customers``, ``share_of_value``
    A channel's share of the acquired customers, and of their summed
    ``ltv_expected``; customers without an acquisition record are in
    neither (they are counted in the reconciliation).

Everything that does not line up (customers in transactions but not in the
acquisition table and the reverse, acquisitions after the observation end,
spend periods or whole channels with spend but no customers, customers
without any cost data, zero-cost channels, customers whose acquisition date
is after their first purchase) is counted in
:attr:`ChannelReport.reconciliation`; nothing is dropped silently.

Cohorts are calendar months of the acquisition table's ``acquired_at``
(``reconciliation["cohort_date"]``), not of the first purchase; customers
acquired after their first purchase keep their acquisition month and are
counted in ``acquired_after_first_purchase``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from clv.channels.base import CustomerBase, FrameBase
from clv.channels.cohorts import cohort_figures
from clv.channels.costs import check_acquisitions, resolve_observation_end
from clv.channels.intervals import Valuation, apply_intervals, ltv_expected_draws, new_customer_columns
from clv.channels.new_customer import unit_economics
from clv.channels.uncertainty import SIM_SAMPLE, UNCERTAINTY_COLUMNS, UNCERTAINTY_DEFINITIONS, other_model_columns, simulated_columns
from clv.checks import check_interval, check_margin, check_scores, require_seed
from clv.data.summary import time_unit_days
from clv.errors import DataError
from clv.model_set import ModelPair, ModelSet, Progress
from clv.output import jsonable, records
from clv.valuation import continuous_rate, period_edges

__all__ = ["DEFINITIONS", "LIFETIME", "TABLE_COLUMNS", "ChannelReport", "channel_report", "lifetime_payback_horizon"]

LIFETIME = "lifetime"
"""``settings["horizon"]`` of a report over the whole customer lifetime (``horizon=None``, ``--horizon lifetime``)."""


def lifetime_payback_horizon(time_unit: str) -> float:
    """How far a lifetime report looks for payback: five years in ``time_unit`` (261 weeks, 1,826 days, 60 months).

    Parameters
    ----------
    time_unit : {"W", "D", "M"}
        The report's time unit.

    Returns
    -------
    float
        Five years, rounded to whole time units.

    Examples
    --------
    >>> lifetime_payback_horizon("W"), lifetime_payback_horizon("M")
    (261.0, 60.0)
    """
    return float(round(5 * 365.25 / time_unit_days(time_unit)))

DEFINITIONS = {
    "ltv_new": "New-customer LTV: expected discounted margin of a newly acquired customer over the horizon, "
               "acquisition purchase included, from the channel's own parameters.",
    "ltv_new_52w": "New-customer LTV, 52 weeks: the same value cut off 52 weeks after acquisition (a budget year).",
    "ltv_new_lifetime": "New-customer LTV, lifetime: the same value over the customer's whole expected lifetime, discounted "
                        "continuously at the annual rate (DERT); n/a with a zero discount rate. Its gap to the 52-week value "
                        "is what a one-year horizon leaves out.",
    "ltv_new_to_cac": "Headline LTV:CAC: new-customer LTV / CAC; what one more customer bought through the channel returns.",
    "prob_ltv_new_exceeds_cac": "P(new-customer LTV > CAC): share of parameter draws in which new-customer LTV exceeds CAC "
                                "(parameter uncertainty only).",
    "payback_period": "Payback: time until a new customer's cumulative discounted margin reaches CAC.",
    "payback_lower": "Payback low/high: interval of payback over the parameter draws (parameter uncertainty only); "
                     "empty when beyond the payback horizon.",
    "cac": "CAC: acquisition cost per customer; a customer's own cost when given, else its share of the channel's spend "
           "in the period.",
    "ltv_realized": "Realized value: margin on the purchases of the existing customers to date, undiscounted, mean per customer.",
    "ltv_expected": "Value of existing customers: realized value plus their discounted expected margin over the horizon, "
                    "mean per customer; mixes customer ages, so it is not the headline.",
    "ltv_to_cac": "Existing-customer value:CAC: value of existing customers / CAC (older channels look better).",
    "prob_ltv_exceeds_cac": "P(existing value > CAC): share of parameter draws in which the value of existing customers "
                            "exceeds CAC (parameter uncertainty only).",
    **UNCERTAINTY_DEFINITIONS,
}
"""One-line definition of the main columns of :attr:`ChannelReport.table` (shown in the report and its JSON)."""


@dataclass
class ChannelReport:
    """Result of :func:`channel_report`.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per channel (index ``channel``), ranked by ``ltv_to_cac``
        (channels without a ratio last); columns described in
        :data:`TABLE_COLUMNS` and the module notes.
    cohorts : pandas.DataFrame
        The same figures per channel and acquisition month (columns
        ``channel, cohort`` first).
    customers : pandas.DataFrame or clv.duckdb.DuckRows
        One row per acquired or scored customer: channel, cohort, cost and
        the LTV parts (index ``customer_id``); a :class:`clv.duckdb.DuckRows`
        (the same rows, kept in DuckDB) from :func:`clv.duckdb.channel_report`.
    payback_curves : pandas.DataFrame
        Cumulative discounted margin of a new customer per channel (columns)
        at each time (index, time units after acquisition; row 0 is the
        acquisition purchase).
    ltv_draws : pandas.DataFrame
        ``ltv_expected`` per draw (rows) and channel (columns).
    reconciliation : dict
        Counts of everything that did not line up (see the module notes).
    settings : dict
        Horizon, discounting, margin, time unit, interval, draws, seed,
        observation end and the model description.

    Examples
    --------
    >>> import pandas as pd, clv
    >>> channels = {"email": {"share": 0.6},
    ...             "search": {"share": 0.4, "params": {"r": 0.2, "alpha": 6.0, "a": 0.9, "b": 2.0}}}
    >>> sim = clv.simulate(1000, seed=3, start="2024-01-01", end="2025-01-01", channels=channels)
    >>> rfm = clv.rfm_summary(sim.transactions, observation_end="2024-12-31")
    >>> acquisitions = clv.read_acquisitions(sim.acquisitions)
    >>> models = clv.fit_channel_models(rfm, acquisitions)
    >>> spend = clv.read_channel_spend(pd.DataFrame({"channel": ["email", "search"], "spend": [6000.0, 8000.0],
    ...                                               "period": ["2024-01-01/2024-07-01"] * 2}))
    >>> scores = models.score(rfm, acquisitions.set_index("customer_id")["channel"],
    ...                       horizon=52, discount_rate=0.1, margin=0.3)
    >>> report = clv.channel_report(scores, acquisitions, spend=spend, transactions=sim.transactions, rfm=rfm,
    ...                             models=models, horizon=52, discount_rate=0.1, margin=0.3, n_draws=50, seed=1)
    >>> report.table.index.tolist(), report.ltv_draws.shape, report.payback_curves.shape
    (['email', 'search'], (50, 2), (53, 2))
    >>> report.cohorts[["channel", "cohort", "customers", "cac", "ltv_expected"]].head(2).round(2)
      channel   cohort  customers   cac  ltv_expected
    0   email  2024-01        108  10.0         37.14
    1   email  2024-02         91  10.0         52.93
    >>> report.reconciliation["customers_without_acquisition"], sorted(report.to_dict())
    (0, ['channels', 'cohorts', 'definitions', 'reconciliation', 'settings'])
    """

    table: pd.DataFrame
    cohorts: pd.DataFrame
    customers: Any
    payback_curves: pd.DataFrame
    ltv_draws: pd.DataFrame
    reconciliation: dict[str, Any]
    settings: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary for budgeting scripts (NaN becomes ``None``)."""
        return {
            "settings": jsonable(self.settings),
            "channels": records(self.table.reset_index()),
            "cohorts": records(self.cohorts),
            "reconciliation": jsonable(self.reconciliation),
            "definitions": dict(DEFINITIONS),
        }


TABLE_COLUMNS = (
    "customers", "acquired_without_transactions", "spend", "cac", "ltv_realized", "ltv_expected", "ltv_lower",
    "ltv_upper", "ltv_to_cac", "prob_ltv_exceeds_cac", "ltv_new", "ltv_new_to_cac", "ltv_new_52w", "ltv_new_lifetime",
    "ltv_new_lower", "ltv_new_upper",
    "prob_ltv_new_exceeds_cac", "payback_period", "payback_lower", "payback_upper", "payback_status", "p_alive",
    "share_of_customers", "share_of_value", "model_source", *UNCERTAINTY_COLUMNS,
)


def channel_report(
    scores: pd.DataFrame,
    acquisitions: pd.DataFrame,
    *,
    spend: pd.DataFrame | None = None,
    transactions: pd.DataFrame | None = None,
    rfm: pd.DataFrame | None = None,
    models: Any = None,
    horizon: float | None = 52.0,
    discount_rate: float = 0.1,
    margin: float = 1.0,
    time_unit: str = "W",
    period: float = 1.0,
    interval: float = 0.9,
    n_draws: int = 200,
    seed: int | None = None,
    payback_horizon: float | None = None,
    observation_end: Any = None,
    draw_sample: int = 300,
    progress: Progress = None,
    other_models: Any = None,
    n_sims: int = 500,
) -> ChannelReport:
    """CAC versus LTV per acquisition channel and per acquisition cohort.

    Parameters
    ----------
    scores : pandas.DataFrame
        Per-customer output of :func:`clv.customer_value` (index
        ``customer_id``), computed with the same ``horizon``,
        ``discount_rate``, ``margin``, ``time_unit`` and ``period``; ideally
        with the channel-level models (``models.score(...)``). Optional
        ``revenue_to_date`` replaces ``transactions``.
    acquisitions : pandas.DataFrame
        Output of :func:`clv.read_acquisitions`.
    spend : pandas.DataFrame, optional
        Output of :func:`clv.read_channel_spend`.
    transactions : pandas.DataFrame, optional
        Output of :func:`clv.read_transactions`, for the realized margin.
    rfm : pandas.DataFrame, optional
        The RFM frame the scores came from; needed (with ``models``) for the
        interval of ``ltv_expected`` and ``prob_ltv_exceeds_cac``.
    models : ChannelModels or PosteriorChannelModels, optional
        Channel-level parameters (:func:`fit_channel_models` or the
        hierarchical Bayesian model wrapped in
        :class:`PosteriorChannelModels`). Without it the new-customer
        columns, payback and the probability are NaN, and ``ltv_lower`` /
        ``ltv_upper`` are the channel means of ``clv_lower`` / ``clv_upper``
        when the scores have them.
    horizon, discount_rate, margin, time_unit, period
        As in :func:`clv.customer_value`; ``horizon=None`` is the lifetime
        horizon (``ltv_new`` is then ``ltv_new_lifetime`` and the scores
        should come from ``horizon=None`` too).
    interval : float
        Width of the reported intervals (0.9 = 5% to 95% quantiles).
    n_draws : int
        Parameter draws (bootstrap or posterior) for intervals and
        ``prob_ltv_exceeds_cac``; 0 skips them.
    seed : int, optional
        Required when draws are taken.
    payback_horizon : float, optional
        How far to look for payback (time units); defaults to ``horizon``,
        or to five years for the lifetime horizon.
    observation_end : date-like, optional
        End of the observed period; defaults to ``rfm.attrs`` or the last
        transaction day.
    draw_sample : int
        Customers per channel re-valued under each draw (a random subsample;
        the draws shift the full-data figure, see the module notes).
    progress : callable, optional
        Called with a short text at each long step.
    other_models : ChannelModels, optional
        The same channels fitted with the other purchase model family, for
        ``ltv_new_other_model`` (:func:`clv.channels.uncertainty.other_model_columns`).
    n_sims : int
        :func:`clv.predictive` simulations per channel for
        ``share_new_paying_back`` and the ``future_margin_*`` interval
        (maximum-likelihood models, with ``seed``; 0 skips them).

    Returns
    -------
    ChannelReport

    Examples
    --------
    Six months of acquisition spend on a simulated business whose
    ``search`` customers buy less often and leave sooner:

    >>> import pandas as pd, clv
    >>> channels = {"email": {"share": 0.6},
    ...             "search": {"share": 0.4, "params": {"r": 0.2, "alpha": 6.0, "a": 0.9, "b": 2.0}}}
    >>> sim = clv.simulate(1000, seed=3, start="2024-01-01", end="2025-01-01", channels=channels)
    >>> rfm = clv.rfm_summary(sim.transactions, observation_end="2024-12-31")
    >>> acquisitions = clv.read_acquisitions(sim.acquisitions)
    >>> models = clv.fit_channel_models(rfm, acquisitions)
    >>> spend = clv.read_channel_spend(pd.DataFrame({"channel": ["email", "search"], "spend": [6000.0, 8000.0],
    ...                                               "period": ["2024-01-01/2024-07-01"] * 2}))
    >>> scores = models.score(rfm, acquisitions.set_index("customer_id")["channel"],
    ...                       horizon=52, discount_rate=0.1, margin=0.3)
    >>> report = clv.channel_report(scores, acquisitions, spend=spend, transactions=sim.transactions, rfm=rfm,
    ...                             models=models, horizon=52, discount_rate=0.1, margin=0.3, n_draws=50, seed=1)
    >>> report.table[["customers", "cac", "ltv_expected", "ltv_to_cac", "prob_ltv_exceeds_cac", "ltv_new", "payback_period"]].round(2)
             customers   cac  ltv_expected  ltv_to_cac  prob_ltv_exceeds_cac  ltv_new  payback_period
    channel
    email          600  10.0         35.33        3.53                   1.0    27.20             0.0
    search         400  20.0         18.63        0.93                   0.0    14.19             NaN
    >>> report.table["payback_status"].tolist()
    ['paid back at acquisition', 'not within horizon']
    """
    scores = check_scores(scores, ("clv",), allow_empty=True, name="scores")
    acquisitions = check_acquisitions(acquisitions)
    margin = check_margin(margin)
    check_interval(interval)
    if horizon is None:
        continuous_rate(discount_rate, time_unit)  # a lifetime needs a positive discount rate
    end = resolve_observation_end(rfm, transactions, observation_end)
    base = FrameBase(scores, acquisitions, spend, transactions, rfm, end, margin)
    return build_report(base, end, models=models, horizon=horizon, discount_rate=discount_rate, margin=margin, time_unit=time_unit,
                        period=period, interval=interval, n_draws=n_draws, seed=seed, payback_horizon=payback_horizon,
                        draw_sample=draw_sample, progress=progress, other_models=other_models, n_sims=n_sims)


def build_report(
    base: CustomerBase, end: pd.Timestamp | None, *, models: Any, horizon: float | None, discount_rate: float, margin: float,
    time_unit: str, period: float, interval: float, n_draws: int, seed: int | None, payback_horizon: float | None,
    draw_sample: int, progress: Progress, other_models: Any, n_sims: int,
) -> ChannelReport:
    """The channel report of a customer base (pandas or an engine's): the one home of the model phase of :func:`channel_report`.

    The keywords are those of :func:`channel_report`; ``end`` is the resolved observation end.
    """
    margin = check_margin(margin)
    interval = check_interval(interval)
    value = Valuation(None if horizon is None else float(horizon), float(discount_rate), margin, time_unit, float(period))
    if horizon is None:
        continuous_rate(discount_rate, time_unit)  # a lifetime needs a positive discount rate
    payback_horizon = float((lifetime_payback_horizon(time_unit) if horizon is None else horizon)
                            if payback_horizon is None else payback_horizon)
    recon = base.recon
    names = base.names
    table = point_table(base.channel_sums(), names, base.unallocated, recon, with_score_intervals=models is None)
    grid = period_edges(payback_horizon, period)
    curves = pd.DataFrame(index=pd.Index(np.r_[0.0, grid], name="time"))
    draws = pd.DataFrame(columns=names, dtype=float)
    if models is not None:
        curves, draws = model_columns(table, base, models, grid, value, interval=interval, n_draws=n_draws, seed=seed,
                                      draw_sample=draw_sample, progress=progress)
        if progress is not None and seed is not None and n_sims > 0:
            progress(f"simulating single new customers and channel totals ({n_sims} simulations per channel)")
        not_shown = simulated_columns(table, base, models, value, payback_horizon=payback_horizon, interval=interval,
                                      n_sims=n_sims if seed is not None else 0, seed=0 if seed is None else seed)
        other_model_columns(table, other_models, value, grid if horizon is None else period_edges(float(horizon), period))
    else:
        not_shown = {"share_new_paying_back": "no channel models", "future_margin_total": "no channel models"}
    headline = "ltv_new_to_cac" if models is not None else "ltv_to_cac"
    table = rank(finish_statuses(new_customer_ratio(table)), headline)
    customers = base.customers()
    settings = {
        "horizon": LIFETIME if horizon is None else float(horizon), "payback_horizon": payback_horizon, "discount_rate": float(discount_rate),
        "margin": float(margin), "time_unit": time_unit, "period": float(period), "interval": float(interval),
        "n_draws": int(n_draws) if models is not None else 0, "seed": seed,
        "observation_end": None if end is None else str(end.date()),
        "model": "none (scores only)" if models is None else models.description,
        "headline_ratio": headline,
        "target_ratio": 1.0,
        "intervals_include": "parameter uncertainty only (draws of the channel parameters); not customer-to-customer "
                             "randomness, not model choice" if models is not None and n_draws > 0 else "no intervals",
        "future_margin_interval_includes": "parameter uncertainty, each customer's unknown state (alive, rates, spend level) and "
                                           "purchase and spend randomness (clv.predictive); undiscounted; a channel of more than "
                                           f"{SIM_SAMPLE:,} scored customers is simulated on a seeded sample of {SIM_SAMPLE:,} of them, "
                                           "scaled up (clv.channels.uncertainty.future_margin_draws)",
        "share_new_paying_back_includes": "customer-to-customer randomness and parameter uncertainty (clv.predictive on a "
                                          "just-acquired customer); the acquisition purchase and the repeat purchases drawn at the "
                                          "customer's own spend level (Gamma-Gamma); undiscounted",
        "other_model": None if other_models is None else type(other_models.transaction_models["*"]).__name__,
        "not_shown": not_shown,
    }
    return ChannelReport(table, cohort_figures(base.cohort_sums()), customers, curves, draws, recon, settings)


def point_table(
    sums: pd.DataFrame, names: list[str], unallocated: list[dict[str, Any]], recon: dict[str, Any], *, with_score_intervals: bool,
) -> pd.DataFrame:
    """The per-channel figures that need no channel model: customers, spend, CAC, realized and expected LTV, shares.

    ``sums`` are the per-channel sums of :meth:`clv.channels.base.CustomerBase.channel_sums`; every mean, CAC, ratio and
    share of the table is computed here from them. The model columns start as n/a (``payback_status`` "no channel
    model"); without channel models ``ltv_lower``/``ltv_upper`` are the channel means of the scores'
    ``clv_lower``/``clv_upper`` when present.
    """
    k = len(names)
    n_cust = sums["customers"].to_numpy(dtype=float)
    cost_sum = sums["cost_sum"].to_numpy(dtype=float)
    cost_n = sums["cost_known"].to_numpy()
    cac = np.divide(cost_sum, cost_n, out=np.full(k, np.nan), where=cost_n > 0)
    total_spend = cost_sum.copy()
    for u in unallocated:
        total_spend[names.index(u["channel"])] += u["spend"]
    has_spend_info = cost_n > 0
    total_spend[~has_spend_info & (total_spend == 0)] = np.nan
    recon["zero_cost_channels"] = [names[i] for i in range(k) if has_spend_info[i] and cac[i] == 0]
    recon["channels_without_cost_data"] = [names[i] for i in range(k) if not has_spend_info[i] and n_cust[i] > 0]

    def mean(column: str) -> np.ndarray:
        return np.divide(sums[column].to_numpy(dtype=float), n_cust, out=np.full(k, np.nan), where=n_cust > 0)

    realized, expected = mean("ltv_realized"), mean("ltv_expected")
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = np.where((cac > 0) & np.isfinite(cac), expected / np.where(cac > 0, cac, 1.0), np.nan)
    p_alive = mean("p_alive") if "p_alive" in sums else np.full(k, np.nan)
    value_total = sums["ltv_expected"].to_numpy(dtype=float)
    table = pd.DataFrame(
        {
            "customers": n_cust.astype(int),
            "acquired_without_transactions": sums["acquired_without_transactions"].to_numpy(),
            "spend": total_spend,
            "cac": cac,
            "ltv_realized": realized,
            "ltv_expected": expected,
            "ltv_lower": np.nan,
            "ltv_upper": np.nan,
            "ltv_to_cac": ratio,
            "prob_ltv_exceeds_cac": np.nan,
            "ltv_new": np.nan,
            "ltv_new_to_cac": np.nan,
            "ltv_new_52w": np.nan,
            "ltv_new_lifetime": np.nan,
            "ltv_new_lower": np.nan,
            "ltv_new_upper": np.nan,
            "prob_ltv_new_exceeds_cac": np.nan,
            "payback_period": np.nan,
            "payback_lower": np.nan,
            "payback_upper": np.nan,
            "payback_status": "no channel model",
            "p_alive": p_alive,
            "share_of_customers": n_cust / max(n_cust.sum(), 1.0),
            "share_of_value": value_total / value_total.sum() if value_total.sum() > 0 else np.nan,
            "model_source": "",
            **{column: np.nan for column in UNCERTAINTY_COLUMNS},
        },
        index=pd.Index(names, name="channel"),
    )
    if "ltv_lower" in sums and with_score_intervals:
        table["ltv_lower"] = mean("ltv_lower")
        table["ltv_upper"] = mean("ltv_upper")
    table.loc[table["customers"] == 0, ["ltv_realized", "ltv_expected", "share_of_value"]] = np.nan
    return table


def model_columns(
    table: pd.DataFrame, base: CustomerBase, models: ModelSet, grid: np.ndarray, value: Valuation, *,
    interval: float, n_draws: int, seed: int | None, draw_sample: int, progress: Progress,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Fill the columns that come from the channel-level models (in place); return the payback curves and LTV draws."""
    names = list(table.index)
    point = models.point()
    sets: list[dict[str, ModelPair]] = []
    if point is None and n_draws <= 0:
        raise DataError("a Bayesian channel model needs n_draws > 0 (its estimates are means over posterior draws)")
    if n_draws > 0:
        if progress is not None:
            progress(f"drawing {n_draws} parameter sets for intervals ({models.description})")
        sets = models.draws(n_draws, seed=require_seed(seed, "drawing intervals"))
    new_grid = grid if value.horizon is None else period_edges(value.horizon, value.period)
    curves, new_draws, payback_draws = new_customer_columns(table, models, base.channels, sets, point, grid, new_grid, value)
    draws = pd.DataFrame(columns=names, dtype=float)
    if sets:
        if not base.has_rfm:
            raise DataError("channel_report: pass rfm= (the RFM frame behind the scores) to draw LTV intervals")
        centre = table["ltv_expected"].to_numpy()
        draws = ltv_expected_draws(base, models, sets, point, names, centre, value, sample=draw_sample,
                                   seed=require_seed(seed, "drawing intervals"), progress=progress)
        apply_intervals(table, draws, new_draws, interval, models.bayesian, payback_draws)
    return curves, draws


def finish_statuses(table: pd.DataFrame) -> pd.DataFrame:
    """Payback statuses of channels without customers, or without cost and model."""
    table.loc[table["customers"] == 0, ["payback_status"]] = "no customers"
    table.loc[table["customers"] == 0, ["model_source"]] = "none (no customers)"
    table.loc[(table["customers"] > 0) & (table["cac"] == 0) & (table["payback_status"] == "no channel model"),
              "payback_status"] = "no acquisition cost"
    return table


def new_customer_ratio(table: pd.DataFrame) -> pd.DataFrame:
    """Fill ``ltv_new_to_cac`` (``ltv_new / cac``; NaN when CAC is zero or unknown) with :func:`clv.channels.unit_economics`."""
    table["ltv_new_to_cac"] = unit_economics(table["ltv_new"], table["cac"])["ltv_new_to_cac"].to_numpy()
    return table


def rank(table: pd.DataFrame, by: str = "ltv_new_to_cac") -> pd.DataFrame:
    """Channels by the headline ratio ``by`` (channels without a ratio last), ties by ``ltv_new`` then ``ltv_expected``."""
    key = table[by].fillna(-np.inf)
    order = np.lexsort((-table["ltv_expected"].fillna(-np.inf).to_numpy(), -table["ltv_new"].fillna(-np.inf).to_numpy(),
                        -key.to_numpy()))
    return table.iloc[order]

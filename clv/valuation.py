"""Customer lifetime value from a fitted transaction model and spend model.

Discounting scheme
------------------
The horizon is cut into periods of ``period`` time units (the last one may
be shorter). Purchases expected in period ``k``, ``E[Y(t_k)] - E[Y(t_{k-1})]``,
are valued at the expected spend and discounted to today at the end of the
period with the annual rate ``d``::

    CLV = margin * spend * sum_k (E[Y(t_k)] - E[Y(t_{k-1})]) / (1 + d) ** (t_k / units_per_year)

With ``period=1`` and weeks this is weekly discounting; lifetimes'
``customer_lifetime_value`` is the special case of monthly periods
(``period=4.345`` weeks, its month) with its monthly rate
``(1 + d) ** (1/12) - 1``.

Lifetime horizon (``horizon=None``)
-----------------------------------
Value over the whole remaining lifetime uses continuous discounting: a
purchase at time ``t`` after the observation end is discounted by
``exp(-delta t)`` with ``delta = ln(1 + d) / (time units per year)``, the same
annual rate compounded continuously, so ``exp(-delta t) = (1 + d) ** -years``
exactly at every ``t``. Then::

    CLV = margin * spend * DERT,   DERT = int_0^inf exp(-delta t) dE[Y(t)]

(discounted expected residual transactions, Fader, Hardie & Lee 2005, "RFM
and CLV", eq. 2; see :meth:`clv.BetaGeo.discounted_expected_transactions`).
It is the limit of the finite-horizon value as ``horizon`` grows and
``period`` shrinks (end-of-period discounting values a period's purchases
at most ``(1 + d) ** (period / units_per_year) - 1`` lower).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from clv.checks import check_interval, check_margin, require_seed
from clv.data.summary import rfm_in_time_unit, time_unit_days
from clv.errors import DataError
from clv.model_set import MLEModelSet, ModelSet, is_posterior

__all__ = [
    "DEFAULT_MARGIN",
    "continuous_rate",
    "customer_value",
    "discount_factors",
    "in_time_unit",
    "period_edges",
    "purchase_forecast",
    "valuation_time_unit",
    "value_by_group",
]

DAYS_PER_YEAR = 365.25
DEFAULT_MARGIN = 1.0
"""Share of revenue kept as margin when none is given, in Python and on the command line alike.

1.0 values revenue as it is (lifetimes' convention: no hidden cost
assumption); pass your gross margin (``margin=0.3``, ``--margin 0.3``) for
a profit figure. Every function that takes ``margin`` defaults to this.
"""


def valuation_time_unit(time_unit: str | None, models: Any = (), rfm: pd.DataFrame | None = None) -> str:
    """The time unit a valuation runs in: ``time_unit`` when given, else the models', else the RFM frame's, else weeks.

    Models record the unit of the RFM frame they were fitted on
    (``time_unit_``); models that disagree with each other are an error.
    """
    if time_unit is not None:
        time_unit_days(time_unit)
        return time_unit
    recorded = {getattr(m, "time_unit_", None) for m in models} - {None}
    if len(recorded) > 1:
        raise DataError(f"the models were fitted in different time units {sorted(recorded)}; refit them on one RFM frame")
    if recorded:
        return str(recorded.pop())
    if rfm is not None and rfm.attrs.get("time_unit"):
        return str(rfm.attrs["time_unit"])
    return "W"


def in_time_unit(model: Any, time_unit: str, function: str) -> Any:
    """``model`` with its rates per ``time_unit`` (see :meth:`clv.models.base.MLEModel.in_time_unit`).

    A model that records another unit but cannot convert itself is refused
    rather than valued with rates in the wrong unit.
    """
    convert = getattr(model, "in_time_unit", None)
    if callable(convert):
        return convert(time_unit)
    recorded = getattr(model, "time_unit_", None)
    if recorded is not None and recorded != time_unit:
        raise DataError(f"{function}: {type(model).__name__} was fitted with time_unit {recorded!r} and cannot be "
                        f"converted to {time_unit!r}; pass time_unit={recorded!r}")
    return model


def period_edges(horizon: float, period: float) -> np.ndarray:
    """End times ``t_1 < ... < t_K = horizon`` of the discounting periods."""
    if not np.isfinite(horizon) or horizon <= 0:
        raise DataError(f"horizon must be positive, got {horizon}")
    if not np.isfinite(period) or period <= 0:
        raise DataError(f"period must be positive, got {period}")
    edges = np.arange(1, int(np.ceil(horizon / period - 1e-9)) + 1) * period
    edges[-1] = horizon
    return edges


def discount_factors(times: np.ndarray, discount_rate: float, time_unit: str) -> np.ndarray:
    """``(1 + discount_rate) ** -(times in years)`` for times in ``time_unit``."""
    if not np.isfinite(discount_rate) or discount_rate <= -1:
        raise DataError(f"discount_rate must be an annual rate above -1, got {discount_rate}")
    if discount_rate > 1:
        raise DataError(f"discount_rate {discount_rate:g} means more than 100% a year; rates are fractions "
                        f"(0.1 = 10% a year): did you mean {discount_rate / 100:g}?")
    years = np.asarray(times, dtype=float) * time_unit_days(time_unit) / DAYS_PER_YEAR
    return (1.0 + discount_rate) ** -years


def continuous_rate(discount_rate: float, time_unit: str) -> float:
    """``delta = ln(1 + discount_rate) / (time units per year)``: the continuous rate equivalent to an annual rate."""
    discount_factors(np.zeros(1), discount_rate, time_unit)  # the finite horizon's checks (a fraction, not a percentage)
    if discount_rate <= 0:
        raise DataError(f"discount_rate must be a positive annual rate for a lifetime horizon, got {discount_rate}")
    return float(np.log1p(discount_rate) * time_unit_days(time_unit) / DAYS_PER_YEAR)


def purchase_forecast(transactions_model: Any, rfm: pd.DataFrame, *, horizon: float, time_unit: str | None = None) -> pd.DataFrame:
    """Per-customer purchase forecast without money: what a purchase-only log supports.

    Parameters
    ----------
    transactions_model : fitted BetaGeo, ModifiedBetaGeo or ParetoNBD
    rfm : pandas.DataFrame
        Output of :func:`clv.rfm_summary` (``monetary_value`` not needed).
    horizon : float
        Forecast horizon in time units.
    time_unit : {"W", "D", "M"}, optional
        Unit of ``horizon`` and of ``purchase_rate``; defaults to the
        model's (converted otherwise, as in :func:`customer_value`).

    Returns
    -------
    pandas.DataFrame
        Indexed like ``rfm``: ``purchase_rate`` (per time unit, while
        alive), ``p_alive``, ``churn_probability`` and
        ``expected_purchases`` over the horizon (Fader, Hardie & Lee 2005,
        eqs. 10 and A.1 for BG/NBD).

    Examples
    --------
    >>> import clv
    >>> tx = clv.datasets.load_cdnow().drop(columns="amount")
    >>> rfm = clv.rfm_summary(tx, observation_end="1997-09-30")
    >>> bg = clv.BetaGeo().fit(rfm)
    >>> clv.purchase_forecast(bg, rfm, horizon=39).head(2).round(3)
                 purchase_rate  p_alive  churn_probability  expected_purchases
    customer_id
    1                    0.055    0.727              0.273               1.226
    2                    0.166    0.212              0.788               0.203
    """
    time_unit = valuation_time_unit(time_unit, (transactions_model,), rfm)
    model = in_time_unit(transactions_model, time_unit, "purchase_forecast")
    rfm = rfm_in_time_unit(rfm, time_unit)
    period_edges(horizon, horizon)  # validates the horizon
    p_alive = model.probability_alive(rfm).to_numpy()
    return pd.DataFrame(
        {
            "purchase_rate": model.purchase_rate(rfm).to_numpy(),
            "p_alive": p_alive,
            "churn_probability": 1.0 - p_alive,
            "expected_purchases": model.expected_purchases(rfm, horizon).to_numpy(),
        },
        index=rfm.index,
    )


def customer_value(
    transactions_model: Any,
    spend_model: Any,
    rfm: pd.DataFrame,
    *,
    horizon: float | None,
    discount_rate: float,
    margin: float = DEFAULT_MARGIN,
    time_unit: str | None = None,
    period: float = 1.0,
    interval: float | None = None,
    n_draws: int = 200,
    seed: int | None = None,
    groups: pd.Series | None = None,
) -> pd.DataFrame:
    """Per-customer purchase forecast and discounted lifetime value.

    Parameters
    ----------
    transactions_model : fitted BetaGeo, ModifiedBetaGeo or ParetoNBD, a Bayesian model, or channel models
        With :class:`clv.ChannelModels` or :class:`clv.PosteriorChannelModels`
        (``spend_model=None``), each customer is valued with the models of
        its channel (``groups``; the pooled model for customers without one)
        and the result gains a ``channel`` column (see :func:`value_by_group`).
    spend_model : fitted GammaGamma, or None with channel models
    rfm : pandas.DataFrame
        Output of :func:`clv.rfm_summary`, with ``monetary_value`` (a
        purchase-only summary is refused: lifetime value needs amounts).
    horizon : float or None
        Forecast horizon in time units; ``None`` values the whole remaining
        lifetime with continuous discounting (DERT, see the module notes):
        the columns ``expected_purchases`` and ``expected_revenue`` are then
        replaced by ``dert`` (discounted expected residual transactions).
        Maximum-likelihood models only.
    discount_rate : float
        Annual discount rate (0.1 = 10% a year); rates above 1 are refused
        as a likely percentage.
    margin : float
        Share of revenue kept as profit; CLV is a margin figure. Defaults
        to :data:`DEFAULT_MARGIN` (1.0, revenue).
    time_unit : {"W", "D", "M"}, optional
        Time unit of ``horizon``, ``period`` and the ``purchase_rate``
        column. Defaults to the unit the transaction model was fitted in
        (``time_unit_``). Another unit is converted: the model's rates and
        the RFM frame's durations (``rfm.attrs["time_unit"]``) are rescaled,
        so the answer does not depend on the unit the model was fitted in.
    period : float
        Length of a discounting period in time units (see the module notes).
    interval : float, optional
        When given (e.g. 0.9), adds ``clv_lower`` and ``clv_upper`` from a
        parametric bootstrap of both models' MLE (``n_draws`` parameter sets
        from the asymptotic normal, ``seed`` required).

        For Bayesian models (:mod:`clv.bayes`, anything with
        ``draw_models(n_draws)``) every column is the posterior mean over
        ``n_draws`` evenly thinned posterior draws, and ``clv_lower``,
        ``clv_upper`` always come (``interval`` defaults to 0.9 there; no
        seed is needed since no randomness is involved).
    groups : pandas.Series, optional
        Channel of each customer (index ``customer_id``), with channel models;
        defaults to the ``channel`` column of ``rfm``.

    Returns
    -------
    pandas.DataFrame
        Indexed like ``rfm``: ``purchase_rate, p_alive, churn_probability,
        expected_purchases`` (over the horizon, undiscounted),
        ``expected_spend`` (per transaction), ``expected_revenue``
        (undiscounted) and ``clv`` (discounted margin).

    Examples
    --------
    >>> import clv
    >>> rfm = clv.rfm_summary(clv.datasets.load_cdnow(), observation_end="1997-09-30")
    >>> bg, gg = clv.BetaGeo().fit(rfm), clv.GammaGamma().fit(rfm)
    >>> scores = clv.customer_value(bg, gg, rfm, horizon=52, discount_rate=0.1)
    >>> list(scores.columns)
    ['purchase_rate', 'p_alive', 'churn_probability', 'expected_purchases', 'expected_spend', 'expected_revenue', 'clv']
    """
    margin = check_margin(margin)
    if horizon is None and (isinstance(transactions_model, ModelSet) or _is_posterior(transactions_model) or _is_posterior(spend_model)):
        raise DataError("customer_value(horizon=None) needs maximum-likelihood models; give a finite horizon for Bayesian or channel models")
    if isinstance(transactions_model, ModelSet):
        return _value_of_model_set(transactions_model, spend_model, rfm, groups, horizon=horizon, discount_rate=discount_rate,
                                   margin=margin, time_unit=time_unit, period=period, n_draws=n_draws, seed=seed)
    if spend_model is None or "monetary_value" not in rfm.columns:
        raise DataError("customer_value: lifetime value needs purchase amounts, and this RFM frame has no 'monetary_value' "
                        "(a purchase-only log read with amount=None); use clv.purchase_forecast, or read the log with its "
                        "amount column")
    time_unit = valuation_time_unit(time_unit, (transactions_model,), rfm)
    transactions_model = in_time_unit(transactions_model, time_unit, "customer_value")
    rfm = rfm_in_time_unit(rfm, time_unit)
    if horizon is None:
        return _lifetime_value(transactions_model, spend_model, rfm, discount_rate, margin, time_unit, interval, n_draws, seed)
    edges = period_edges(horizon, period)
    factors = discount_factors(edges, discount_rate, time_unit)
    if _is_posterior(transactions_model) or _is_posterior(spend_model):
        return _posterior_value(transactions_model, spend_model, rfm, edges, factors, margin, 0.9 if interval is None else interval, n_draws)
    discounted, total = transactions_model.discounted_purchases(rfm, edges, factors)
    p_alive = transactions_model.probability_alive(rfm).to_numpy()
    spend = spend_model.expected_spend(rfm).to_numpy()
    out = pd.DataFrame(
        {
            "purchase_rate": transactions_model.purchase_rate(rfm).to_numpy(),
            "p_alive": p_alive,
            "churn_probability": 1.0 - p_alive,
            "expected_purchases": total,
            "expected_spend": spend,
            "expected_revenue": total * spend,
            "clv": margin * spend * discounted,
        },
        index=rfm.index,
    )
    if interval is not None:
        lower, upper = _bootstrap_interval(transactions_model, spend_model, rfm, lambda m: m.discounted_purchases(rfm, edges, factors)[0],
                                           margin, interval, n_draws, seed)
        out["clv_lower"], out["clv_upper"] = lower, upper
    return out


def _lifetime_value(tm: Any, sm: Any, rfm: pd.DataFrame, discount_rate: float, margin: float, time_unit: str,
                    interval: float | None, n_draws: int, seed: int | None) -> pd.DataFrame:
    """``customer_value(horizon=None)``: margin * spend * DERT at the continuous equivalent of ``discount_rate``."""
    delta = continuous_rate(discount_rate, time_unit)
    p_alive = tm.probability_alive(rfm).to_numpy()
    dert = tm.discounted_expected_transactions(rfm, delta).to_numpy()
    spend = sm.expected_spend(rfm).to_numpy()
    out = pd.DataFrame(
        {"purchase_rate": tm.purchase_rate(rfm).to_numpy(), "p_alive": p_alive, "churn_probability": 1.0 - p_alive,
         "dert": dert, "expected_spend": spend, "clv": margin * spend * dert},
        index=rfm.index,
    )
    if interval is not None:
        lower, upper = _bootstrap_interval(tm, sm, rfm, lambda m: m.discounted_expected_transactions(rfm, delta).to_numpy(),
                                           margin, interval, n_draws, seed)
        out["clv_lower"], out["clv_upper"] = lower, upper
    return out


def _bootstrap_interval(
    tm: Any, sm: Any, rfm: pd.DataFrame, discounted: Callable[[Any], np.ndarray],
    margin: float, interval: float, n_draws: int, seed: int | None,
) -> tuple[np.ndarray, np.ndarray]:
    """Quantiles of CLV over parameter draws of both models (the model set's parametric bootstrap)."""
    check_interval(interval)
    runs = MLEModelSet({"all": tm}, {"all": sm}).draws(int(n_draws), seed=require_seed(seed))
    values = np.empty((len(runs), len(rfm)))
    for i, run in enumerate(runs):
        t_draw, s_draw = run["all"]
        values[i] = margin * s_draw.expected_spend(rfm).to_numpy() * discounted(t_draw)
    tail = (1 - interval) / 2
    return np.quantile(values, tail, axis=0), np.quantile(values, 1 - tail, axis=0)


def value_by_group(
    models: ModelSet,
    rfm: pd.DataFrame,
    channel_of: pd.Series,
    *,
    horizon: float,
    discount_rate: float,
    margin: float = DEFAULT_MARGIN,
    time_unit: str | None = None,
    period: float = 1.0,
    n_draws: int = 200,
    seed: int | None = None,
) -> pd.DataFrame:
    """Value every customer with the models of its group (the columns of :func:`customer_value`).

    Parameters
    ----------
    models : ModelSet
        :class:`clv.ChannelModels` or :class:`clv.PosteriorChannelModels`.
    rfm : pandas.DataFrame
        Output of :func:`clv.rfm_summary`.
    channel_of : pandas.Series
        Group of each customer (index ``customer_id``); customers missing
        from it use the pooled model (its population level for a posterior).
    horizon, discount_rate, margin, time_unit, period
        As in :func:`customer_value`.
    n_draws, seed
        Posterior draws averaged for a posterior model set (seed required).

    Returns
    -------
    pandas.DataFrame
        Indexed like ``rfm``; with posterior draws each column is the mean over draws.

    Examples
    --------
    >>> import pandas as pd, clv
    >>> rfm = clv.rfm_summary(clv.datasets.load_cdnow(), observation_end="1997-09-30")
    >>> models = clv.ChannelModels({"*": clv.BetaGeo().fit(rfm)}, {"*": clv.GammaGamma().fit(rfm)})
    >>> nobody = pd.Series([], dtype=object)  # no customer has a channel: all use the pooled "*"
    >>> scores = value_by_group(models, rfm, nobody, horizon=52, discount_rate=0.1)
    >>> bool((scores["clv"] == clv.customer_value(clv.BetaGeo().fit(rfm), clv.GammaGamma().fit(rfm), rfm,
    ...                                          horizon=52, discount_rate=0.1)["clv"]).all())
    True
    """
    groups = channel_of.reindex(rfm.index).fillna("*").astype(str)
    sets = models.evaluation_sets(n_draws, seed)
    parts = []
    for channel, members in groups.groupby(groups, sort=False).groups.items():
        sub = rfm.loc[members]
        frames = [
            customer_value(*models.pair(channel, params), sub, horizon=horizon, discount_rate=discount_rate,
                           margin=margin, time_unit=time_unit, period=period)
            for params in sets
        ]
        parts.append(frames[0] if len(frames) == 1 else sum(frames) / len(frames))
    return pd.concat(parts).reindex(rfm.index)


def _value_of_model_set(models: ModelSet, spend_model: Any, rfm: pd.DataFrame, groups: pd.Series | None, **settings: Any) -> pd.DataFrame:
    """:func:`customer_value` for channel models: :func:`value_by_group` with a ``channel`` column first."""
    if spend_model is not None:
        raise DataError(f"customer_value: a {type(models).__name__} carries its spend models; pass spend_model=None")
    groups = group_of_customers(rfm, groups, "customer_value")
    out = value_by_group(models, rfm, groups, **settings)
    out.insert(0, "channel", groups.reindex(rfm.index).to_numpy())
    return out


def group_of_customers(rfm: pd.DataFrame, groups: pd.Series | None, function: str) -> pd.Series:
    """The group (channel) of each customer: ``groups`` or the ``channel`` column of ``rfm``."""
    if groups is None:
        if "channel" not in rfm.columns:
            raise DataError(f"{function}: channel models need groups= (the channel of each customer, index customer_id) "
                            "or a 'channel' column in the RFM frame")
        return rfm["channel"]
    if not isinstance(groups, pd.Series):
        raise DataError(f"groups must be a pandas Series mapping customer_id to channel, got {type(groups).__name__}")
    if groups.index.has_duplicates:
        raise DataError(f"customer {groups.index[groups.index.duplicated()][0]!r} appears twice in groups")
    return groups


_POSTERIOR_CHUNK = 50_000  # customers valued at once over all draws (bounds memory at n_draws x chunk)


def _is_posterior(model: Any) -> bool:
    """True for a Bayesian model (:func:`clv.model_set.is_posterior`) that also gives per-draw models."""
    return is_posterior(model) and callable(getattr(model, "draw_models", None))


def _posterior_value(
    tm: Any, sm: Any, rfm: pd.DataFrame, edges: np.ndarray, factors: np.ndarray, margin: float, interval: float, n_draws: int,
) -> pd.DataFrame:
    """Posterior means and the central ``interval`` of CLV, pairing the i-th draw of each model.

    Each draw is a fitted-model-like object valued with the same discounting
    as the MLE path; customers are processed in chunks so memory stays at
    ``n_draws x _POSTERIOR_CHUNK`` numbers.
    """
    check_interval(interval)
    if not (_is_posterior(tm) and _is_posterior(sm)):
        raise DataError("customer_value: combine a Bayesian transaction model with a Bayesian spend model (or two MLE models)")
    t_models, s_models = tm.draw_models(n_draws), sm.draw_models(n_draws)
    n = min(len(t_models), len(s_models))
    names = ("purchase_rate", "p_alive", "expected_purchases", "expected_spend", "expected_revenue", "clv")
    out = {k: np.empty(len(rfm)) for k in (*names, "clv_lower", "clv_upper")}
    tail = (1 - interval) / 2
    for start in range(0, len(rfm), _POSTERIOR_CHUNK):
        sub = rfm.iloc[start : start + _POSTERIOR_CHUNK]
        sums = {k: np.zeros(len(sub)) for k in names}
        values = np.empty((n, len(sub)))
        for i in range(n):
            disc, total = t_models[i].discounted_purchases(sub, edges, factors)
            spend = s_models[i].expected_spend(sub).to_numpy()
            values[i] = margin * spend * disc
            for k, v in (
                ("purchase_rate", t_models[i].purchase_rate(sub).to_numpy()),
                ("p_alive", t_models[i].probability_alive(sub).to_numpy()),
                ("expected_purchases", total),
                ("expected_spend", spend),
                ("expected_revenue", total * spend),
                ("clv", values[i]),
            ):
                sums[k] += v
        part = slice(start, start + len(sub))
        for k in names:
            out[k][part] = sums[k] / n
        out["clv_lower"][part], out["clv_upper"][part] = np.quantile(values, [tail, 1 - tail], axis=0)
    frame = pd.DataFrame(out, index=rfm.index)
    frame.insert(2, "churn_probability", 1.0 - frame["p_alive"])
    return frame

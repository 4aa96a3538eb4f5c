"""The value of a newly acquired customer per channel and the highest CAC that meets a target, see :mod:`clv.budget`."""

from __future__ import annotations

from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd

from clv.budget.groups import Chosen, channel_models, drop_failed, per_group, quantiles
from clv.channels.new_customer import new_customer_curve, unit_economics
from clv.checks import check_draw_settings, check_margin
from clv.errors import DataError
from clv.valuation import DEFAULT_MARGIN, discount_factors, in_time_unit, period_edges

__all__ = ["max_cac", "new_customer_value"]


def _figures(tm: Any, sm: Any, edges: np.ndarray, rates: tuple[float, str], margin: float, first: float | None) -> np.ndarray:
    """A new customer's cumulative discounted margin at each edge, then ``E[X(horizon)]`` and the mean spend.

    The margin curve is :func:`clv.channels.new_customer_curve`, which values
    the acquisition purchase at the population mean spend; a given ``first``
    replaces that term.
    """
    discount_rate, time_unit = rates
    tm = in_time_unit(tm, time_unit, "new_customer_value")  # rates per time_unit, whatever unit tm was fitted in
    spend = sm.population_mean_spend()
    curve = new_customer_curve(tm, sm, edges, discount_rate=discount_rate, margin=margin, time_unit=time_unit)
    if first is not None:
        curve = curve + margin * (first - spend)
    return np.r_[curve, float(np.asarray(tm.expected_purchases_new(edges[-1]))), spend]


def _new_customer_draws(
    sets: Chosen, edges: np.ndarray, rates: tuple[float, str], margin: float,
    first_values: list[float | None], interval: float | None, n_draws: int, seed: int | None,
) -> tuple[np.ndarray, np.ndarray | None, dict[str, int]]:
    """:func:`_figures` per group at the point, ``(groups, K + 2)``, and per draw, ``(draws, groups, K + 2)``.

    The point is the estimates for MLE models and the posterior mean for
    posterior draws. The last return value counts failed draws per group.
    """
    point = None
    if sets.point is not None:
        at = sets.point
        point = np.stack([_figures(*sets.pair(g, at), edges, rates, margin, fv) for g, fv in zip(sets.names, first_values)])
        if interval is None:
            return point, None, {}
    runs = sets.draws(n_draws, seed)  # type: ignore[arg-type]
    draws = np.stack([[_figures(*sets.pair(g, pairs), edges, rates, margin, fv) for g, fv in zip(sets.names, first_values)]
                      for pairs in runs])
    failed = {}
    for g, name in enumerate(sets.names):
        draws[:, g], failed[name] = drop_failed(draws[:, g], stacklevel=4)
    return (np.nanmean(draws, axis=0) if point is None else point), draws, failed


def _first_values(names: list[str], first_purchase_value: Any) -> list[float | None]:
    values = []
    for name in names:
        value = per_group(first_purchase_value, name, "first_purchase_value")
        if value is not None and (not np.isfinite(value) or value < 0):
            raise DataError(f"first_purchase_value for group {name!r} must be a non-negative number, got {value}")
        values.append(None if value is None else float(value))
    return values


def new_customer_value(
    model: Any,
    spend_model: Any,
    *,
    horizon: float,
    discount_rate: float,
    group: str | Sequence[str] | None = None,
    margin: float = DEFAULT_MARGIN,
    first_purchase_value: float | Mapping[str, float] | None = None,
    time_unit: str | None = None,
    period: float = 1.0,
    interval: float | None = None,
    n_draws: int = 200,
    seed: int | None = None,
) -> pd.DataFrame:
    """Expected lifetime value of a newly acquired customer, per channel.

    A new customer makes the acquisition purchase at time 0 and then repeat
    purchases whose expected count by time ``t`` is the model's
    unconditional ``E[X(t)]`` (BG/NBD: Fader, Hardie & Lee 2005, eq. 7), each
    worth the spend model's population mean ``p v / (q - 1)`` (Fader & Hardie
    2013). With periods ``(t_{k-1}, t_k]`` of ``period`` time units::

        ltv = margin * first_purchase_value
              + margin * spend * sum_k (E[X(t_k)] - E[X(t_{k-1})]) / (1 + d) ** (t_k in years)

    Parameters
    ----------
    model : fitted transaction model, dict ``{channel: fitted model}``, ChannelModels or grouped Bayesian model
        A dict values each channel with its own parameters (for example
        per-channel MLE fits). The result of
        :func:`clv.channels.fit_channel_models` may be passed as it is (with
        ``spend_model=None``); its pooled pair is the group ``"*"``. A
        grouped Bayesian model (with ``group_param_draws``, together with its
        Bayesian spend model) gives one row per group, valued at posterior
        draws (point = posterior mean, interval always given).
    spend_model : fitted GammaGamma, dict ``{channel: fitted GammaGamma}``, or None
        One spend model may be shared by all channels; ``None`` with a
        ChannelModels.
    horizon : float
        Lifetime horizon in time units.
    discount_rate : float
        Annual discount rate.
    group : str or list of str, optional
        Channels to value; all of them by default. Only meaningful with
        per-channel models.
    margin : float
        Share of revenue kept as profit.
    first_purchase_value : float or dict, optional
        Revenue of the acquisition purchase. Defaults to the spend model's
        population mean spend; 0 values repeat purchases only.
    time_unit : {"W", "D", "M"}, optional
        Unit of ``horizon`` and ``period``. Defaults to the unit the models
        were fitted in (``time_unit_``, else weeks); another unit is
        converted by rescaling the models' rates (a weekly fit valued with
        ``time_unit="M"`` and ``horizon=12`` gives the value of 12 months).
    period : float
        Length of a discounting period in time units.
    interval : float, optional
        Adds ``ltv_lower`` and ``ltv_upper`` from a parametric bootstrap of
        each channel's models (needs ``seed``).

    Returns
    -------
    pandas.DataFrame
        Index ``group`` (``"all"`` for a single model); columns
        ``channel`` (the group again, as a column), ``expected_repeat_purchases`` (over the horizon, undiscounted),
        ``mean_spend``, ``first_purchase_margin``, ``repeat_margin``
        (discounted) and ``ltv`` (their sum).

    Examples
    --------
    >>> import clv
    >>> rfm = clv.rfm_summary(clv.datasets.load_cdnow(), observation_end="1997-09-30")
    >>> bg, gg = clv.BetaGeo().fit(rfm), clv.GammaGamma().fit(rfm)
    >>> clv.new_customer_value(bg, gg, horizon=52, discount_rate=0.1, margin=0.3).drop(columns="channel").round(2)
           expected_repeat_purchases  mean_spend  first_purchase_margin  repeat_margin    ltv
    group
    all                         1.44       35.17                  10.55          14.64  25.19

    Per channel, from a dict of fitted models (here two halves of CDNOW stand
    in for two channels):

    >>> odd = rfm.index % 2 == 1
    >>> models = {"odd": clv.BetaGeo().fit(rfm[odd]), "even": clv.BetaGeo().fit(rfm[~odd])}
    >>> clv.new_customer_value(models, gg, horizon=52, discount_rate=0.1, margin=0.3)["ltv"].round(2)
    group
    odd     26.06
    even    24.31
    Name: ltv, dtype: float64
    """
    margin = check_margin(margin)
    sets, time_unit = channel_models(model, spend_model, group, "new_customer_value", time_unit)
    if sets.posterior:
        interval = 0.9 if interval is None else interval
    check_draw_settings(interval, seed, n_draws)
    first_values = _first_values(sets.names, first_purchase_value)
    edges = period_edges(float(horizon), float(period))
    rates = (float(discount_rate), time_unit)
    discount_factors(edges, discount_rate, time_unit)  # validates the rate before any work
    point, draws, failed = _new_customer_draws(sets, edges, rates, margin, first_values, interval, n_draws, seed)

    ltv, repeat, spend = point[:, len(edges) - 1], point[:, -2], point[:, -1]
    first = np.array([s if fv is None else fv for s, fv in zip(spend, first_values)])
    table = pd.DataFrame(
        {
            "expected_repeat_purchases": repeat,
            "mean_spend": spend,
            "first_purchase_margin": margin * first,
            "repeat_margin": ltv - margin * first,
            "ltv": ltv,
        },
        index=pd.Index(sets.names, name="group"),
    )
    if draws is not None:
        table["ltv_lower"], table["ltv_upper"] = quantiles(draws[:, :, len(edges) - 1], interval)  # type: ignore[arg-type]
    table.insert(0, "channel", list(sets.names))
    table.attrs.update(
        {"horizon": float(horizon), "discount_rate": float(discount_rate), "margin": margin, "time_unit": time_unit,
         "period": float(period), "interval": interval, "n_draws": int(n_draws) if interval is not None else 0,
         "failed_draws": failed, "point": "posterior mean" if sets.posterior else "estimates"}
    )
    return table


def max_cac(
    model: Any,
    spend_model: Any,
    *,
    discount_rate: float,
    target_ratio: float | None = None,
    horizon: float | None = None,
    payback: float | None = None,
    group: str | Sequence[str] | None = None,
    margin: float = DEFAULT_MARGIN,
    first_purchase_value: float | Mapping[str, float] | None = None,
    time_unit: str | None = None,
    period: float = 1.0,
    interval: float | None = None,
    n_draws: int = 200,
    seed: int | None = None,
) -> pd.DataFrame:
    """Highest customer acquisition cost per channel that still meets the targets.

    Two targets, either or both:

    * ``target_ratio`` with ``horizon``: LTV over the horizon (as in
      :func:`new_customer_value`) must be at least ``target_ratio`` times the
      CAC, so ``max_cac_ratio = ltv / target_ratio`` (the ``max_cac`` of
      :func:`clv.channels.unit_economics`, the definition the channel report uses);
    * ``payback``: the new customer's cumulative discounted margin must cover
      the CAC within ``payback`` time units, so ``max_cac_payback`` is that
      cumulative margin at ``payback`` (the acquisition purchase included).

    ``max_cac`` is the smaller of the two that were asked for, and
    ``binding`` names the target that sets it.

    Parameters
    ----------
    model, spend_model, group, margin, first_purchase_value, time_unit, period
        As in :func:`new_customer_value`.
    discount_rate : float
        Annual discount rate, used for both targets (``0`` for an
        undiscounted payback).
    target_ratio : float, optional
        Required LTV:CAC ratio (e.g. 3).
    horizon : float, optional
        LTV horizon in time units; required with ``target_ratio``.
    payback : float, optional
        Payback period in time units.
    interval : float, optional
        Adds ``max_cac_lower`` and ``max_cac_upper`` (bootstrap, needs
        ``seed``). A cautious plan uses ``max_cac_lower``: with
        ``interval=0.9`` the targets are met with about 95% confidence.

    Returns
    -------
    pandas.DataFrame
        Index ``group``; ``channel`` (the group again, as a column),
        ``ltv`` and ``max_cac_ratio`` (with a ratio target),
        ``max_cac_payback`` (with a payback target),
        ``max_cac`` and ``binding``.

    Examples
    --------
    >>> import clv
    >>> rfm = clv.rfm_summary(clv.datasets.load_cdnow(), observation_end="1997-09-30")
    >>> bg, gg = clv.BetaGeo().fit(rfm), clv.GammaGamma().fit(rfm)
    >>> caps = clv.max_cac(bg, gg, discount_rate=0.1, margin=0.3, target_ratio=3, horizon=156, payback=26)
    >>> caps[["ltv", "max_cac_ratio", "max_cac_payback", "max_cac", "binding"]].round(2)
             ltv  max_cac_ratio  max_cac_payback  max_cac binding
    group
    all    36.75          12.25            19.86    12.25   ratio
    """
    if target_ratio is None and payback is None:
        raise DataError("max_cac needs target_ratio (with horizon) and/or payback")
    if target_ratio is not None and (not np.isfinite(target_ratio) or target_ratio <= 0):
        raise DataError(f"target_ratio must be a positive number, got {target_ratio}")
    if target_ratio is not None and horizon is None:
        raise DataError("target_ratio needs horizon (the LTV horizon in time units)")
    margin = check_margin(margin)
    sets, time_unit = channel_models(model, spend_model, group, "max_cac", time_unit)
    if sets.posterior:
        interval = 0.9 if interval is None else interval
    check_draw_settings(interval, seed, n_draws)
    first_values = _first_values(sets.names, first_purchase_value)

    def at(end: float) -> tuple[np.ndarray, np.ndarray | None]:
        edges = period_edges(float(end), float(period))
        point, draws, _ = _new_customer_draws(
            sets, edges, (float(discount_rate), time_unit), margin, first_values, interval, n_draws, seed
        )
        k = len(edges) - 1
        return point[:, k], None if draws is None else draws[:, :, k]

    table = pd.DataFrame(index=pd.Index(sets.names, name="group"))
    caps: dict[str, tuple[np.ndarray, np.ndarray | None]] = {}
    if target_ratio is not None:
        ltv, ltv_draws = at(horizon)  # type: ignore[arg-type]
        table["ltv"] = ltv
        table["max_cac_ratio"] = unit_economics(pd.Series(ltv, index=sets.names), None, target_ratio=target_ratio)["max_cac"].to_numpy()
        caps["ratio"] = (ltv / target_ratio, None if ltv_draws is None else ltv_draws / target_ratio)
    if payback is not None:
        covered, covered_draws = at(payback)
        table["max_cac_payback"] = covered
        caps["payback"] = (covered, covered_draws)
    names = list(caps)
    values = np.stack([caps[n][0] for n in names])
    table["max_cac"] = values.min(axis=0)
    table["binding"] = [names[i] for i in values.argmin(axis=0)]
    if interval is not None:
        per_draw = np.min(np.stack([caps[n][1] for n in names]), axis=0)  # type: ignore[arg-type]
        table["max_cac_lower"], table["max_cac_upper"] = quantiles(per_draw, interval)
    table.insert(0, "channel", list(sets.names))
    table.attrs.update(
        {"target_ratio": target_ratio, "horizon": horizon, "payback": payback, "discount_rate": float(discount_rate),
         "margin": margin, "time_unit": time_unit, "interval": interval,
         "point": "posterior mean" if sets.posterior else "estimates"}
    )
    return table

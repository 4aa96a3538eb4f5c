"""The value of a newly acquired customer over time, and when it pays back its acquisition cost.

One definition, used by :func:`clv.channel_report` (``ltv_new``, payback)
and by the budget functions (:func:`clv.new_customer_value`,
:func:`clv.max_cac`).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from clv.valuation import DEFAULT_MARGIN, discount_factors, in_time_unit, valuation_time_unit

__all__ = ["NOT_WITHIN_HORIZON", "new_customer_curve", "payback_period"]

NOT_WITHIN_HORIZON = "not within horizon"


def new_customer_curve(
    transaction_model: Any,
    spend_model: Any,
    times: Any,
    *,
    discount_rate: float,
    margin: float = DEFAULT_MARGIN,
    time_unit: str | None = None,
) -> np.ndarray:
    """Cumulative discounted expected margin of a newly acquired customer.

    ``times`` are increasing period ends ``t_1 < t_2 < ...`` (time units after
    acquisition). The value at ``t_k`` is::

        margin * E[Z] * (1 + sum_{j <= k} (E[X(t_j)] - E[X(t_{j-1})]) * d(t_j))

    where the 1 is the acquisition purchase (time 0, not discounted),
    ``E[X(t)]`` is ``transaction_model.expected_purchases_new(t)`` (repeat
    purchases of a new customer, Fader, Hardie & Lee 2005, eq. 7), ``E[Z]``
    is ``spend_model.population_mean_spend()`` and ``d`` the discount factors
    of :func:`clv.valuation.discount_factors` (period-end discounting, as in
    :func:`clv.customer_value`).

    Parameters
    ----------
    transaction_model, spend_model
        Models meeting :class:`clv.models.protocols.TransactionModelLike` and
        :class:`clv.models.protocols.SpendModelLike`.
    times : array-like
        Increasing period ends.
    discount_rate : float
        Annual discount rate.
    margin : float
        Share of revenue kept.
    time_unit : {"W", "D", "M"}, optional
        Unit of ``times``; defaults to the model's (``time_unit_``, else
        weeks). A model fitted in another unit is converted.

    Returns
    -------
    numpy.ndarray
        The cumulative discounted margin at each of ``times``.

    Examples
    --------
    >>> import clv
    >>> rfm = clv.rfm_summary(clv.datasets.load_cdnow(), observation_end="1997-09-30")
    >>> bg, gg = clv.BetaGeo().fit(rfm), clv.GammaGamma().fit(rfm)
    >>> curve = new_customer_curve(bg, gg, [13, 26, 52], discount_rate=0.0)
    >>> bool(abs(curve[-1] - gg.population_mean_spend() * (1 + bg.expected_purchases_new(52))) < 1e-9)
    True
    """
    time_unit = valuation_time_unit(time_unit, (transaction_model,))
    transaction_model = in_time_unit(transaction_model, time_unit, "new_customer_curve")
    times = np.asarray(times, dtype=float)
    cumulative = np.asarray(transaction_model.expected_purchases_new(times), dtype=float)
    increments = np.diff(cumulative, prepend=0.0)
    discounted = np.cumsum(increments * discount_factors(times, discount_rate, time_unit))
    return margin * float(spend_model.population_mean_spend()) * (1.0 + discounted)


def payback_period(times: Any, cumulative: Any, cac: float, first: float | None = None) -> tuple[float, str]:
    """Time at which a cumulative margin curve first reaches ``cac``.

    Parameters
    ----------
    times, cumulative : array-like
        Period ends and the cumulative margin at each (from
        :func:`new_customer_curve`).
    cac : float
        Acquisition cost to recover.
    first : float, optional
        Margin at time 0 (the acquisition purchase). Defaults to
        ``cumulative[0]``, which is right only when ``times[0]`` is 0; pass it
        for curves from :func:`new_customer_curve`.

    Returns
    -------
    (float, str)
        The payback time, linearly interpolated inside the crossing period,
        and a status: ``"paid back"``, ``"paid back at acquisition"``,
        ``"not within horizon"`` (time NaN), ``"no acquisition cost"`` (CAC 0,
        time NaN) or ``"no CAC data"`` (time NaN).

    Examples
    --------
    >>> payback_period([1, 2, 3, 4], [15, 20, 25, 30], 22.0, first=10.0)
    (2.4, 'paid back')
    >>> payback_period([1, 2], [15, 20], 50.0, first=10.0)
    (nan, 'not within horizon')
    """
    if cac is None or not np.isfinite(cac):
        return float("nan"), "no CAC data"
    if cac == 0:
        return float("nan"), "no acquisition cost"
    t = np.r_[0.0, np.asarray(times, dtype=float)]
    c = np.asarray(cumulative, dtype=float)
    c = np.r_[c[0] if first is None else first, c]
    if c[0] >= cac:
        return 0.0, "paid back at acquisition"
    above = np.flatnonzero(c >= cac)
    if not above.size:
        return float("nan"), NOT_WITHIN_HORIZON
    k = int(above[0])
    share = (cac - c[k - 1]) / (c[k] - c[k - 1])
    return round(float(t[k - 1] + share * (t[k] - t[k - 1])), 10), "paid back"

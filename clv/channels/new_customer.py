"""The value of a newly acquired customer over time, and when it pays back its acquisition cost.

One definition, used by :func:`clv.channel_report` (``ltv_new``, payback)
and by the budget functions (:func:`clv.new_customer_value`,
:func:`clv.max_cac`).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from clv.errors import DataError
from clv.kernels.special import exp_sinh_rule
from clv.valuation import DEFAULT_MARGIN, continuous_rate, discount_factors, in_time_unit, valuation_time_unit

__all__ = ["NOT_WITHIN_HORIZON", "new_customer_curve", "new_customer_dert", "new_customer_lifetime_value", "payback_period",
           "unit_economics"]

NOT_WITHIN_HORIZON = "not within horizon"

_JUST_ACQUIRED = pd.DataFrame({"frequency": [0.0], "recency": [0.0], "T": [0.0]})
"""The history of a customer at the moment of acquisition: no repeat purchase yet, observed for no time."""


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


def new_customer_dert(transaction_model: Any, *, discount_rate: float, time_unit: str | None = None) -> float:
    """Discounted expected transactions over the whole lifetime of a newly acquired customer.

    ``DERT_new = int_0^inf exp(-delta t) dE[X(t)]`` with ``E[X(t)]`` the
    unconditional expected repeat purchases of a new customer
    (``expected_purchases_new``) and ``delta = ln(1 + discount_rate) /
    (time units per year)`` (:func:`clv.valuation.continuous_rate`). It is
    the model's own DERT (Fader, Hardie & Lee 2005, "RFM and CLV", eq. 2;
    :meth:`clv.BetaGeo.discounted_expected_transactions`) at the history of
    a customer just acquired (``x = t_x = T = 0``, alive with the model's
    probability at acquisition). A model without a DERT (a limit model at
    the edge of the parameter space) is integrated numerically after
    integrating by parts, ``delta int_0^inf exp(-delta t) E[X(t)] dt``, with the
    exp-sinh rule of :func:`clv.kernels.special.exp_sinh_rule`.

    Parameters
    ----------
    transaction_model
        A fitted model meeting :class:`clv.models.protocols.TransactionModelLike`.
    discount_rate : float
        Annual discount rate (> 0: undiscounted lifetime value is infinite for
        a customer who may never leave).
    time_unit : {"W", "D", "M"}, optional
        Unit of the model's rates; defaults to the model's.

    Returns
    -------
    float
        Expected discounted repeat purchases over the lifetime (the
        acquisition purchase not included).

    Examples
    --------
    >>> import clv
    >>> bg = clv.BetaGeo.from_params({"r": 0.24, "alpha": 4.41, "a": 0.79, "b": 2.43})
    >>> round(new_customer_dert(bg, discount_rate=0.1), 3)
    4.352
    """
    time_unit = valuation_time_unit(time_unit, (transaction_model,))
    model = in_time_unit(transaction_model, time_unit, "new_customer_dert")
    delta = continuous_rate(discount_rate, time_unit)
    dert = getattr(model, "discounted_expected_transactions", None)
    if callable(dert):
        try:
            return float(np.asarray(dert(_JUST_ACQUIRED, delta))[0])
        except DataError:  # a limit model without a DERT kernel: integrate its new-customer curve instead
            pass
    nodes, weights = exp_sinh_rule()
    return float(weights @ np.asarray(model.expected_purchases_new(nodes / delta), dtype=float))


def new_customer_lifetime_value(
    transaction_model: Any, spend_model: Any, *, discount_rate: float, margin: float = DEFAULT_MARGIN, time_unit: str | None = None,
) -> float:
    """Lifetime value of a newly acquired customer: ``margin * E[Z] * (1 + DERT_new)``.

    The acquisition purchase (time 0, undiscounted) plus every repeat purchase
    over the customer's lifetime, discounted continuously
    (:func:`new_customer_dert`), each worth the population mean spend
    ``E[Z]`` (Gamma-Gamma: ``p v / (q - 1)``, Fader & Hardie 2013). It is the
    limit of :func:`new_customer_curve` as the horizon grows and the
    discounting period shrinks.

    Parameters
    ----------
    transaction_model, spend_model
        Fitted models (see :func:`new_customer_curve`).
    discount_rate : float
        Annual discount rate (> 0).
    margin : float
        Share of revenue kept.
    time_unit : {"W", "D", "M"}, optional
        Unit of the model's rates; defaults to the model's.

    Returns
    -------
    float
        The discounted lifetime margin of one new customer.

    Examples
    --------
    >>> import numpy as np, clv
    >>> bg = clv.BetaGeo.from_params({"r": 0.24, "alpha": 4.41, "a": 0.79, "b": 2.43})
    >>> gg = clv.GammaGamma.from_params({"p": 6.25, "q": 3.74, "v": 15.4})
    >>> life = new_customer_lifetime_value(bg, gg, discount_rate=0.1, margin=0.3)
    >>> weeks = np.arange(1, 5201.0)  # 100 years, discounted week by week
    >>> long = new_customer_curve(bg, gg, weeks, discount_rate=0.1, margin=0.3)[-1]
    >>> round(life, 2), round(float(long), 2)
    (56.4, 56.36)
    """
    dert = new_customer_dert(transaction_model, discount_rate=discount_rate, time_unit=time_unit)
    return margin * float(spend_model.population_mean_spend()) * (1.0 + dert)


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


def unit_economics(ltv_new: pd.Series, cac: Any, *, target_ratio: float = 1.0) -> pd.DataFrame:
    """The unit economics of a new customer per channel, from its LTV and CAC: one definition for the report, the budget API and scripts.

    ``ltv_new_to_cac = ltv_new / cac`` (n/a when CAC is zero or unknown,
    never inf), ``max_cac = ltv_new / target_ratio`` (the highest CAC that
    meets the target) and ``meets_target = ltv_new_to_cac >= target_ratio``
    (n/a without a ratio). ``target_ratio=1`` is "pays back within the
    horizon", the channel report's verdict; a planning rule such as 3:1 is
    ``target_ratio=3``. The target is returned beside every verdict.

    Parameters
    ----------
    ltv_new : pandas.Series
        New-customer LTV per channel (index: channel), e.g. ``ltv_new`` of
        :func:`clv.channel_report` or ``ltv`` of :func:`clv.new_customer_value`.
    cac : pandas.Series or array-like
        CAC per channel, aligned with ``ltv_new``.
    target_ratio : float
        Required LTV:CAC.

    Returns
    -------
    pandas.DataFrame
        Index ``channel``; columns ``ltv_new, cac, ltv_new_to_cac,
        target_ratio, max_cac, meets_target``.

    Examples
    --------
    >>> import pandas as pd
    >>> ltv = pd.Series({"email": 66.8, "search": 52.4, "organic": 56.0})
    >>> unit_economics(ltv, [12.1, 37.9, 0.0], target_ratio=3).round(2)
             ltv_new   cac  ltv_new_to_cac  target_ratio  max_cac  meets_target
    channel
    email       66.8  12.1            5.52           3.0    22.27          True
    search      52.4  37.9            1.38           3.0    17.47         False
    organic     56.0   0.0             NaN           3.0    18.67          <NA>
    """
    if not (np.isfinite(target_ratio) and target_ratio > 0):
        raise DataError(f"target_ratio must be a positive number, got {target_ratio}")
    ltv = np.asarray(ltv_new, dtype=float)
    cost = np.asarray(cac, dtype=float)
    usable = np.isfinite(cost) & (cost > 0)
    ratio = np.where(usable, ltv / np.where(usable, cost, 1.0), np.nan)
    meets = pd.array([None if not np.isfinite(r) else bool(r >= target_ratio) for r in ratio], dtype="boolean")
    return pd.DataFrame({"ltv_new": ltv, "cac": cost, "ltv_new_to_cac": ratio, "target_ratio": float(target_ratio),
                         "max_cac": ltv / target_ratio, "meets_target": meets},
                        index=pd.Index(list(getattr(ltv_new, "index", range(len(ltv)))), name="channel"))

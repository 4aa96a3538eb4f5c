"""Channel figures from the channel-level models: new-customer value, payback and draw-based intervals.

The draws come from the report's model set (:mod:`clv.model_set`): a
parametric bootstrap of each channel's MLE fit, or posterior draws. This
module only evaluates them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from clv.channels.new_customer import NOT_WITHIN_HORIZON, new_customer_curve, new_customer_lifetime_value, payback_period
from clv.data.summary import time_unit_days
from clv.model_set import ModelPair, ModelSet, Progress
from clv.valuation import customer_value, period_edges

__all__ = ["Valuation", "apply_intervals", "ltv_expected_draws", "new_customer_columns"]


@dataclass(frozen=True)
class Valuation:
    """The valuation settings every figure of one report shares (as in :func:`clv.customer_value`).

    ``horizon`` None is the lifetime horizon: continuous discounting over
    the whole remaining lifetime (DERT, :func:`clv.channels.new_customer_lifetime_value`).
    """

    horizon: float | None
    discount_rate: float
    margin: float
    time_unit: str
    period: float

    def curve(self, pair: ModelPair, times: np.ndarray) -> np.ndarray:
        """:func:`clv.channels.new_customer_curve` of ``pair`` at ``times`` with these settings."""
        return new_customer_curve(*pair, times, discount_rate=self.discount_rate, margin=self.margin, time_unit=self.time_unit)

    def lifetime(self, pair: ModelPair) -> float:
        """:func:`clv.channels.new_customer_lifetime_value` of ``pair`` (NaN without a positive discount rate)."""
        if self.discount_rate <= 0:
            return float("nan")
        return new_customer_lifetime_value(*pair, discount_rate=self.discount_rate, margin=self.margin, time_unit=self.time_unit)

    def new_value(self, pair: ModelPair, new_grid: np.ndarray) -> float:
        """``ltv_new``: the new-customer curve at the horizon (periods ``new_grid``), or its lifetime value."""
        return self.lifetime(pair) if self.horizon is None else float(self.curve(pair, new_grid)[-1])

    def one_year(self, pair: ModelPair) -> float:
        """``ltv_new_52w``: the new-customer curve at 52 weeks (expressed in the report's time unit)."""
        return float(self.curve(pair, period_edges(52 * 7 / time_unit_days(self.time_unit), self.period))[-1])

    def future(self, pair: ModelPair, rfm: pd.DataFrame) -> float:
        """Mean discounted future margin (:func:`clv.customer_value` ``clv``) of the customers of ``rfm``."""
        return float(customer_value(*pair, rfm, horizon=self.horizon, discount_rate=self.discount_rate, margin=self.margin,
                                    time_unit=self.time_unit, period=self.period)["clv"].mean())


def new_customer_columns(
    table: pd.DataFrame, models: ModelSet, channels: list[str], sets: list[dict[str, ModelPair]],
    point: dict[str, ModelPair] | None, grid: np.ndarray, new_grid: np.ndarray, value: Valuation,
) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """Fill ``ltv_new`` (and the side-by-side ``ltv_new_52w``, ``ltv_new_lifetime``), payback and ``model_source`` per channel.

    Returns the payback curves, ``ltv_new`` and payback per draw.

    A draw's payback is ``inf`` when it is not within the payback horizon and
    NaN when the channel has no CAC.

    With a point estimate the curve is the one at the estimate; for posterior
    draws it is the mean curve over draws (``ltv_new`` is then filled from
    the draws by :func:`apply_intervals`).
    """
    names = list(table.index)
    curves = pd.DataFrame(index=pd.Index(np.r_[0.0, grid], name="time"))
    new_draws = np.full((len(sets), len(names)), np.nan)
    payback_draws = np.full((len(sets), len(names)), np.nan)
    cac = table["cac"].to_numpy()
    for name in channels:
        j = names.index(name)
        if point is not None:
            pair = models.new_customer_pair(name, point)
            curve = value.curve(pair, grid)
            first = value.margin * float(pair[1].population_mean_spend())
            ltv_new = value.new_value(pair, new_grid)
            side = (value.one_year(pair), value.lifetime(pair))
        else:
            curve = np.mean([value.curve(models.new_customer_pair(name, s), grid) for s in sets], axis=0)
            first = float(np.mean([value.margin * models.new_customer_pair(name, s)[1].population_mean_spend() for s in sets]))
            ltv_new = np.nan  # the mean over draws, filled by apply_intervals
            side = tuple(np.mean([(value.one_year(models.new_customer_pair(name, s)), value.lifetime(models.new_customer_pair(name, s)))
                                  for s in sets], axis=0))
        curves[name] = np.r_[first, curve]
        t, status = payback_period(grid, curve, cac[j], first=first)
        table.iloc[j, table.columns.get_loc("ltv_new")] = ltv_new
        table.iloc[j, table.columns.get_loc("ltv_new_52w")], table.iloc[j, table.columns.get_loc("ltv_new_lifetime")] = side
        table.iloc[j, table.columns.get_loc("payback_period")] = t
        table.iloc[j, table.columns.get_loc("payback_status")] = status
        table.iloc[j, table.columns.get_loc("model_source")] = models.source(name)
        for d, s in enumerate(sets):
            pair = models.new_customer_pair(name, s)
            draw_curve = value.curve(pair, grid)
            same = value.horizon is not None and np.array_equal(grid, new_grid)
            new_draws[d, j] = draw_curve[-1] if same else value.new_value(pair, new_grid)
            when, state = payback_period(grid, draw_curve, cac[j], first=value.margin * float(pair[1].population_mean_spend()))
            payback_draws[d, j] = np.inf if state == NOT_WITHIN_HORIZON else when
    return curves, new_draws, payback_draws


def ltv_expected_draws(
    base: Any, models: ModelSet, sets: list[dict[str, ModelPair]], point: dict[str, ModelPair] | None,
    names: list[str], centre: np.ndarray, value: Valuation, *, sample: int, seed: int, progress: Progress,
) -> pd.DataFrame:
    """``ltv_expected`` of each channel under each parameter draw.

    The future part is evaluated on a random subsample of at most ``sample``
    scored customers per channel and enters as a shift from the same
    subsample's value at the point estimate (the mean over draws for
    posterior draws), added to the full-data point figure ``centre``::

        ltv_draw = centre + (n_sub / n) * (mean_sub(clv_draw) - mean_sub(clv_point))

    where ``n_sub / n`` rescales the subsample mean to the channel mean
    (customers without transactions carry no future value). This keeps the
    interval centred on the reported figure and costs ``sample`` customers
    per draw instead of the whole channel. The subsamples come from one
    ``numpy.random.default_rng(seed)`` across the channels in ``names`` order
    (:meth:`clv.channels.base.CustomerBase.draw_rows`, which any customer base
    answers with the same customers).
    """
    rng = np.random.default_rng(seed)
    out = np.full((len(sets), len(names)), np.nan)
    for j, name in enumerate(names):
        sub, n_scored, n_all = base.draw_rows(name, rng, sample)
        if not n_all:
            continue
        if sub is None:
            out[:, j] = centre[j]
            continue
        if progress is not None:
            progress(f"valuing {len(sub):,} customers of {name!r} under {len(sets)} draws")
        values = np.array([value.future(models.pair(name, s), sub) for s in sets])
        ref = value.future(models.pair(name, point), sub) if point is not None else float(values.mean())
        out[:, j] = centre[j] + n_scored / n_all * (values - ref)
    return pd.DataFrame(out, columns=names)


def apply_intervals(table: pd.DataFrame, draws: pd.DataFrame, new_draws: np.ndarray, interval: float, bayesian: bool,
                    payback_draws: np.ndarray | None = None) -> None:
    """Fill the interval columns, ``prob_ltv_exceeds_cac`` and ``prob_ltv_new_exceeds_cac`` of ``table`` from the draws (in place)."""
    cac = table["cac"].to_numpy()
    tail = (1 - interval) / 2
    lo, hi = np.quantile(draws.to_numpy(), [tail, 1 - tail], axis=0)
    table["ltv_lower"], table["ltv_upper"] = lo, hi
    nlo, nhi = np.quantile(new_draws, [tail, 1 - tail], axis=0)
    table["ltv_new_lower"], table["ltv_new_upper"] = nlo, nhi
    if payback_draws is not None and len(payback_draws):
        with np.errstate(invalid="ignore"):
            plo, phi = np.quantile(payback_draws, [tail, 1 - tail], axis=0)
        table["payback_lower"] = np.where(np.isfinite(plo), plo, np.nan)  # beyond the payback horizon: n/a
        table["payback_upper"] = np.where(np.isfinite(phi), phi, np.nan)
    if bayesian:  # the posterior mean; channels without any finite draw stay n/a (no empty-slice warning)
        has = np.isfinite(new_draws).any(axis=0)
        mean = np.full(new_draws.shape[1], np.nan)
        mean[has] = np.nanmean(new_draws[:, has], axis=0)
        table["ltv_new"] = mean
    with np.errstate(invalid="ignore"):
        prob = (draws.to_numpy() > cac[None, :]).mean(axis=0)
    table["prob_ltv_exceeds_cac"] = np.where((cac > 0) & np.isfinite(cac), prob, np.nan)
    with np.errstate(invalid="ignore"):
        prob_new = (new_draws > cac[None, :]).mean(axis=0)
    table["prob_ltv_new_exceeds_cac"] = np.where((cac > 0) & np.isfinite(cac) & np.isfinite(new_draws).any(axis=0), prob_new, np.nan)

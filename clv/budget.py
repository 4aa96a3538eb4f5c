"""Budgeting: what the existing base will bring, and what a new customer is worth.

Three functions for planning scripts and notebooks, all built on the fitted
models' own expectations and on :func:`clv.valuation.period_edges` /
:func:`clv.valuation.discount_factors` (one discounting scheme for the whole
library: purchases of period ``k`` are discounted from the end of the period,
``(1 + d) ** -(t_k in years)``).

* :func:`forecast_base`: expected purchases, revenue and margin of the
  customers already acquired, period by period.
* :func:`new_customer_value`: expected discounted margin of one newly acquired
  customer (per channel when given per-channel models).
* :func:`max_cac`: the highest acquisition cost per channel that still meets
  a target LTV:CAC ratio and/or a payback period.

Uncertainty
-----------
For maximum-likelihood models an interval is a parametric bootstrap:
``n_draws`` parameter sets are drawn from the asymptotic normal of each
model's log-parameters (:meth:`clv.FitResult.sample_params`), every figure is
recomputed at each draw (:meth:`with_params`) and the interval is the central
``interval`` quantile range of the draws. Point values are always the figure
at the estimates. The same ``seed`` gives the same interval.

Bayesian models (anything with ``group_param_draws(n_draws, seed=)``, the
protocol of :class:`clv.channels.PosteriorDraws`, such as the grouped models
of :mod:`clv.bayes`) are evaluated at ``n_draws`` posterior draws of each
group's parameters; point values are then posterior means and intervals are
always given (90% unless ``interval`` says otherwise). The transaction and
spend posteriors come from separate fits, so the ``k``-th draw of one is
paired with the ``k``-th draw of the other.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any, Literal, Mapping, Sequence

import numpy as np
import pandas as pd

from clv.channels.new_customer import new_customer_curve
from clv.checks import check_draw_settings, check_margin
from clv.data.summary import rfm_in_time_unit, time_unit_days
from clv.errors import ClvWarning, DataError
from clv.model_set import POOLED, MLEModelSet, ModelPair, ModelSet, PosteriorModelSet, is_posterior
from clv.models.transactions import compress
from clv.valuation import DEFAULT_MARGIN, discount_factors, in_time_unit, period_edges, valuation_time_unit

__all__ = ["forecast_base", "max_cac", "new_customer_value"]

Basis = Literal["conditional", "unconditional"]
_BASE_COLUMNS = (
    "expected_purchases",
    "expected_revenue",
    "expected_margin",
    "discounted_margin",
    "cumulative_repeat_purchases",
    "cumulative_discounted_margin",
)


# -- the models of each group -------------------------------------------------------
def _reject_unusable(model: Any, function: str) -> None:
    """A clv.bayes object without posterior draws to offer cannot be valued; say so plainly."""
    if type(model).__module__.startswith("clv.bayes") and not is_posterior(model):
        raise TypeError(
            f"{function}: {type(model).__name__} from clv.bayes provides no group_param_draws(n_draws, seed=), "
            "so it is not supported; pass a fitted grouped Bayesian model or a fitted MLE model"
        )


@dataclass
class _Chosen:
    """The groups to value (``names``, in output order) and the model set that values them."""

    names: list[str]
    models: ModelSet

    @property
    def posterior(self) -> bool:
        return self.models.bayesian

    @property
    def point(self) -> dict[str, ModelPair] | None:
        return self.models.point()

    def pair(self, name: str, pairs: Mapping[str, ModelPair]) -> ModelPair:
        return self.models.pair(name, pairs)

    def draws(self, n: int, seed: int) -> list[dict[str, ModelPair]]:
        return self.models.draws(int(n), seed=int(seed))


def _posterior_set(model: Any, spend_model: Any, function: str) -> PosteriorModelSet:
    if not is_posterior(spend_model):
        raise DataError(
            f"{function}: a Bayesian transaction model needs a Bayesian spend model with group_param_draws "
            f"(clv.bayes.HierarchicalGammaGamma), got {type(spend_model).__name__}"
        )
    return PosteriorModelSet(model, spend_model)


def _drop_failed(draws: np.ndarray, stacklevel: int = 3) -> tuple[np.ndarray, int]:
    """Blank out (NaN) every draw, along the first axis, that has a non-finite value anywhere; count them.

    A parameter draw far in the tail can leave the region where a model's
    expectation is computable; such draws are left out of the interval,
    counted in ``attrs["failed_draws"]`` and reported with a warning.
    """
    bad = ~np.isfinite(draws.reshape(len(draws), -1)).all(axis=1)
    if bad.all():
        raise DataError(f"all {len(draws)} parameter draws gave non-finite values; no interval can be formed")
    if bad.any():
        draws = draws.copy()
        draws[bad] = np.nan
        warnings.warn(
            f"{int(bad.sum())} of {len(draws)} parameter draws gave non-finite values "
            "and were left out of the interval",
            ClvWarning,
            stacklevel=stacklevel,
        )
    return draws, int(bad.sum())


def _quantiles(draws: np.ndarray, interval: float) -> tuple[np.ndarray, np.ndarray]:
    tail = (1.0 - interval) / 2.0
    return np.nanquantile(draws, tail, axis=0), np.nanquantile(draws, 1.0 - tail, axis=0)


# -- forecast of the existing base --------------------------------------------------
def _anchor(rfm: pd.DataFrame) -> pd.Timestamp | None:
    """Calendar date at which ``T`` is measured (the end of the calibration or observation period)."""
    stamp = rfm.attrs.get("calibration_end", rfm.attrs.get("observation_end"))
    return None if stamp is None else pd.Timestamp(stamp)


def _unique_rows(
    rfm: pd.DataFrame, columns: Sequence[str], group_column: str | None = None
) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """Distinct rows of ``rfm[columns]`` (within each group), how many customers share each, and their group.

    The forecast is a weighted sum over these rows. Without a group column
    every row is in the group ``"all"``.
    """
    wanted = list(columns) + ([group_column] if group_column else [])
    missing = [c for c in wanted if c not in rfm.columns]
    if missing:
        raise DataError(f"column '{missing[0]}': missing from the RFM frame; pass the output of clv.rfm_summary"
                        + (" with the model's group column" if missing[0] == group_column else ""))
    if len(rfm) == 0:
        raise DataError("the RFM frame has no customers")
    arrays = [rfm[c].to_numpy(dtype=float) for c in columns]
    if group_column:
        codes, levels = pd.factorize(rfm[group_column].astype(str))
        arrays.append(codes.astype(float))
    uniques, counts, _ = compress(*arrays, weights=np.ones(len(rfm)))
    labels = np.asarray(levels, dtype=object)[uniques[-1].astype(int)] if group_column else np.full(len(counts), "all", dtype=object)
    return pd.DataFrame(dict(zip(columns, uniques))), counts, labels


def _pair_for(sets: _Chosen, pairs: dict[str, ModelPair], name: str, group_column: str | None) -> ModelPair:
    """The models of group ``name``: its own, else the pooled ``"*"`` (the model set's fallback); one model serves every row."""
    if group_column is None and len(pairs) == 1:
        return next(iter(pairs.values()))
    if name not in pairs and POOLED not in pairs:
        raise DataError(f"no parameters for group {name!r} (column {group_column!r}); the model knows {sorted(pairs)}")
    return sets.pair(name, pairs)


def _base_paths(
    tm: Any, sm: Any, rows: pd.DataFrame, counts: np.ndarray, edges: np.ndarray, basis: Basis
) -> tuple[np.ndarray, np.ndarray | None, np.ndarray]:
    """Per-period purchases and revenue of the base, and its cumulative repeat purchases since first purchase."""
    if basis == "conditional":
        curve = tm.expected_purchases_curve(rows, edges)  # E[Y(t_k) | x, t_x, T], shape (rows, K)
        increments = np.diff(curve, axis=1, prepend=0.0)
        purchases = counts @ increments
        revenue = None if sm is None else (counts * sm.expected_spend(rows).to_numpy()) @ increments
        cumulative = counts @ rows["frequency"].to_numpy() + np.cumsum(purchases)
    else:
        ages = rows["T"].to_numpy()[:, None] + np.r_[0.0, edges][None, :]
        since_first = np.asarray(tm.expected_purchases_new(ages))  # E[X(T + t)], each customer from its own start
        purchases = counts @ np.diff(since_first, axis=1)
        revenue = None if sm is None else purchases * sm.population_mean_spend()
        cumulative = counts @ since_first[:, 1:]
    return purchases, revenue, cumulative


def forecast_base(
    model: Any,
    spend_model: Any,
    rfm: pd.DataFrame,
    *,
    periods: int,
    period_length: float,
    discount_rate: float,
    margin: float = DEFAULT_MARGIN,
    basis: Basis = "conditional",
    time_unit: str | None = None,
    interval: float | None = None,
    n_draws: int = 200,
    seed: int | None = None,
) -> pd.DataFrame:
    """Expected purchases, revenue and margin of the existing customer base, period by period.

    Period ``k`` covers ``(t_{k-1}, t_k]`` with ``t_k = k * period_length``
    time units after the date the RFM frame's ``T`` is measured to (its
    calibration or observation end). Two bases answer two questions:

    ``basis="conditional"`` (default, for budgets)
        What will *these* customers, given their histories, buy? Period
        purchases are ``sum_i E[Y_i(t_k) - Y_i(t_{k-1}) | x_i, t_x_i, T_i]``
        (BG/NBD: Fader, Hardie & Lee 2005, eq. 10) and revenue values each
        customer's purchases at the spend model's conditional mean spend
        (Fader & Hardie 2013, eq. 5).
    ``basis="unconditional"`` (the tracking forecast)
        What does the model expect of a cohort with these acquisition dates,
        ignoring what each customer did? Period purchases are
        ``sum_i E[X(T_i + t_k)] - E[X(T_i + t_{k-1})]`` (eq. 7), each customer
        counted from its own first purchase, valued at the population mean
        spend. This is the forecast plotted in the paper's cumulative tracking
        chart.

    In both bases ``cumulative_repeat_purchases`` counts the cohort's repeat
    purchases from each customer's first purchase up to ``t_k``: the observed
    ``frequency`` plus the conditional forecast, or the modelled
    ``E[X(T_i + t_k)]``. On CDNOW (calibration to 1997-09-30, 39 weekly periods,
    i.e. weeks 40-78 of the cohort) the conditional basis gives 1,653.4
    expected repeat purchases in the holdout (2,457 observed + 1,653.4 = 4,110.4
    cumulative) and the unconditional basis gives the published cumulative
    tracking forecast of 4,160.6 at week 78; 4,339 actually happened.

    Parameters
    ----------
    model : fitted BetaGeo, ModifiedBetaGeo or ParetoNBD, or a grouped Bayesian model
        A Bayesian model (with ``group_param_draws``, see the module notes)
        values each customer with the parameters of its group (the RFM frame
        then needs the model's ``group`` column); point values become
        posterior means.
    spend_model : fitted GammaGamma, or None
        ``None`` forecasts purchases only (revenue and margin columns left
        out; MLE models only). With a Bayesian ``model``, the matching
        Bayesian spend model.
    rfm : pandas.DataFrame
        Output of :func:`clv.rfm_summary` or :func:`clv.calibration_holdout`.
    periods : int
        Number of future periods.
    period_length : float
        Length of a period in time units (with weeks: 1 a week, 52/12 a
        month, 13 a quarter).
    discount_rate : float
        Annual discount rate (0.1 = 10% a year); period ``k`` is discounted
        from its end.
    margin : float
        Share of revenue kept as profit.
    basis : {"conditional", "unconditional"}
        See above.
    time_unit : {"W", "D", "M"}, optional
        Unit of ``period_length``. Defaults to the unit the model was fitted
        in (``time_unit_``), else the RFM frame's own
        (``rfm.attrs["time_unit"]``), else weeks. Another unit is converted
        (model rates and RFM durations rescaled), never mixed.
    interval : float, optional
        Adds ``<column>_lower`` and ``<column>_upper`` for every value column
        from a parametric bootstrap of both models (``n_draws`` draws; needs
        ``seed``). Bayesian models always give one (0.9 by default).

    Returns
    -------
    pandas.DataFrame
        Index ``period`` (1..periods); columns ``start, end`` (time units from
        the anchor date), ``start_date, end_date`` when the RFM frame records
        its dates, ``discount_factor``, ``expected_purchases``,
        ``expected_revenue``, ``expected_margin``, ``discounted_margin``,
        ``cumulative_repeat_purchases`` and ``cumulative_discounted_margin``
        (summed over the forecast periods). ``attrs`` records the settings,
        ``n_customers`` and ``observed_repeat_purchases``.

    Examples
    --------
    >>> import clv
    >>> rfm = clv.rfm_summary(clv.datasets.load_cdnow(), observation_end="1997-09-30")
    >>> bg, gg = clv.BetaGeo().fit(rfm), clv.GammaGamma().fit(rfm)
    >>> base = clv.forecast_base(bg, gg, rfm, periods=39, period_length=1, discount_rate=0.0)
    >>> round(float(base["expected_purchases"].sum()), 1)
    1653.4
    >>> tracking = clv.forecast_base(bg, gg, rfm, periods=39, period_length=1, discount_rate=0.0, basis="unconditional")
    >>> round(float(tracking["cumulative_repeat_purchases"].iloc[-1]), 1)
    4160.6
    >>> quarters = clv.forecast_base(bg, gg, rfm, periods=4, period_length=13, discount_rate=0.1, margin=0.3)
    >>> quarters[["end", "expected_purchases", "discounted_margin"]].round(1)
             end  expected_purchases  discounted_margin
    period
    1       13.0               628.0             6675.3
    2       26.0               543.1             5631.1
    3       39.0               482.3             4878.6
    4       52.0               436.0             4304.0
    >>> str(quarters["end_date"].iloc[-1].date())
    '1998-09-29'
    """
    _reject_unusable(model, "forecast_base")
    margin = check_margin(margin)
    if basis not in ("conditional", "unconditional"):
        raise DataError(f"basis must be 'conditional' or 'unconditional', got {basis!r}")
    if int(periods) != periods or periods < 1:
        raise DataError(f"periods must be a positive whole number, got {periods}")
    if not np.isfinite(period_length) or period_length <= 0:
        raise DataError(f"period_length must be positive (time units per period), got {period_length}")
    posterior = is_posterior(model)
    unit = valuation_time_unit(time_unit, (model,), rfm)
    model = in_time_unit(model, unit, "forecast_base")  # MLE models convert; a posterior in another unit is refused
    if posterior:
        interval = 0.9 if interval is None else interval
        sets = _Chosen([], _posterior_set(model, spend_model, "forecast_base"))
    else:
        sets = _Chosen(["all"], MLEModelSet({"all": model}, {"all": spend_model}))
    check_draw_settings(interval, seed, n_draws)
    rfm = rfm_in_time_unit(rfm, unit)
    edges = period_edges(float(periods) * float(period_length), float(period_length))
    factors = discount_factors(edges, discount_rate, unit)

    group_column = getattr(model, "group", None) if posterior else None
    columns = ["frequency", "recency", "T"] + ([] if spend_model is None else ["monetary_value"])
    rows, counts, labels = _unique_rows(rfm, columns, group_column)
    members = {name: np.flatnonzero(labels == name) for name in dict.fromkeys(labels)}

    def evaluate(pairs: dict[str, ModelPair]) -> dict[str, np.ndarray]:
        purchases = revenue = cumulative = 0.0
        for name, idx in members.items():
            tm, sm = _pair_for(sets, pairs, name, group_column)
            p, r, c = _base_paths(tm, sm, rows.iloc[idx], counts[idx], edges, basis)
            purchases, cumulative = purchases + p, cumulative + c
            revenue = None if r is None else revenue + r
        out = {"expected_purchases": purchases, "cumulative_repeat_purchases": cumulative}
        if revenue is not None:
            out["expected_revenue"] = revenue
            out["expected_margin"] = margin * revenue
            out["discounted_margin"] = margin * revenue * factors
            out["cumulative_discounted_margin"] = np.cumsum(margin * revenue * factors)
        return out

    names = [name for name in _BASE_COLUMNS if spend_model is not None or name in ("expected_purchases", "cumulative_repeat_purchases")]
    failed = 0
    if interval is not None:
        runs = [evaluate(pairs) for pairs in sets.draws(n_draws, seed)]  # type: ignore[arg-type]
        stacked, failed = _drop_failed(np.stack([np.stack([run[name] for name in names]) for run in runs]))
    point = evaluate(sets.point) if sets.point is not None else dict(zip(names, np.nanmean(stacked, axis=0)))

    anchor = _anchor(rfm)
    table = pd.DataFrame({"start": np.r_[0.0, edges[:-1]], "end": edges}, index=pd.RangeIndex(1, len(edges) + 1, name="period"))
    if anchor is not None:
        day = pd.Timedelta(days=time_unit_days(unit))
        table["start_date"] = (anchor + table["start"] * day).dt.normalize()
        table["end_date"] = (anchor + table["end"] * day).dt.normalize()
    table["discount_factor"] = factors
    for name in names:
        table[name] = point[name]
    if interval is not None:
        for i, name in enumerate(names):
            table[f"{name}_lower"], table[f"{name}_upper"] = _quantiles(stacked[:, i], interval)

    table.attrs.update(
        {
            "basis": basis,
            "time_unit": unit,
            "period_length": float(period_length),
            "discount_rate": float(discount_rate),
            "margin": margin,
            "interval": interval,
            "n_draws": int(n_draws) if interval is not None else 0,
            "failed_draws": failed,
            "point": "posterior mean" if posterior else "estimates",
            "n_customers": int(counts.sum()),
            "observed_repeat_purchases": float(rfm["frequency"].sum()),
            "anchor_date": None if anchor is None else str(anchor.date()),
        }
    )
    return table


# -- value of a newly acquired customer -------------------------------------------------
def _select(names: list[str], group: str | Sequence[str] | None) -> list[str]:
    if group is None:
        return names
    wanted = [group] if isinstance(group, str) else list(group)
    unknown = [g for g in wanted if g not in names]
    if unknown:
        raise DataError(f"group {unknown[0]!r} not found; available: {names}")
    return wanted


def _per_group(value: Any, name: str, what: str) -> Any:
    if isinstance(value, Mapping):
        if name not in value:
            raise DataError(f"{what} has no entry for group {name!r}; it has {sorted(map(str, value))}")
        return value[name]
    return value


def _channel_models(model: Any, spend_model: Any, group: str | Sequence[str] | None, function: str,
                    time_unit: str | None) -> tuple[_Chosen, str]:
    """The models of each group to value (a model set, per-channel MLE fits, one MLE pair, or a grouped posterior) and the time unit.

    The time unit defaults to the one the transaction models were fitted in;
    MLE models are converted to it when each is evaluated (:func:`_figures`),
    and a posterior fitted in another unit is refused.
    """
    _reject_unusable(model, function)
    chosen = _chosen_models(model, spend_model, group, function)
    models = chosen.models
    recorded = (list(models.transaction_models.values()) if isinstance(models, MLEModelSet)
                else [getattr(models, "transaction_model", None)])
    unit = valuation_time_unit(time_unit, recorded)
    for tm in recorded:
        in_time_unit(tm, unit, function)
    return chosen, unit


def _chosen_models(model: Any, spend_model: Any, group: str | Sequence[str] | None, function: str) -> _Chosen:
    """The models of each group to value: a model set, per-channel MLE fits, one MLE pair, or a grouped posterior."""
    if isinstance(model, ModelSet):  # clv.ChannelModels, clv.PosteriorChannelModels
        if spend_model is not None:
            raise DataError(f"{function}: a {type(model).__name__} carries its spend models; pass spend_model=None")
        return _Chosen(_select(model.names, group), model)
    if is_posterior(model):
        sets = _posterior_set(model, spend_model, function)
        return _Chosen(_select(sets.names, group), sets)
    if isinstance(model, Mapping):
        if not model:
            raise DataError(f"{function}: the dict of models is empty")
        chosen = _select([str(k) for k in model], group)
        entries = [(g, model[g], _per_group(spend_model, g, "spend_model")) for g in chosen]
    else:
        if group is not None:
            raise DataError(
                f"{function}: group={group!r} needs per-group models; pass a dict {{group: fitted model}} "
                f"instead of a single {type(model).__name__}"
            )
        if isinstance(spend_model, Mapping):
            raise DataError(f"{function}: a dict of spend models needs a dict of transaction models with the same keys")
        entries = [("all", model, spend_model)]
    for _, tm, sm in entries:
        _reject_unusable(tm, function)
        _reject_unusable(sm, function)
        if sm is None:
            raise DataError(f"{function}: a spend model (clv.GammaGamma) is required")
    return _Chosen([g for g, _, _ in entries], MLEModelSet({g: tm for g, tm, _ in entries}, {g: sm for g, _, sm in entries}))


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
    sets: _Chosen, edges: np.ndarray, rates: tuple[float, str], margin: float,
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
        draws[:, g], failed[name] = _drop_failed(draws[:, g], stacklevel=4)
    return (np.nanmean(draws, axis=0) if point is None else point), draws, failed


def _first_values(names: list[str], first_purchase_value: Any) -> list[float | None]:
    values = []
    for name in names:
        value = _per_group(first_purchase_value, name, "first_purchase_value")
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
        ``expected_repeat_purchases`` (over the horizon, undiscounted),
        ``mean_spend``, ``first_purchase_margin``, ``repeat_margin``
        (discounted) and ``ltv`` (their sum).

    Examples
    --------
    >>> import clv
    >>> rfm = clv.rfm_summary(clv.datasets.load_cdnow(), observation_end="1997-09-30")
    >>> bg, gg = clv.BetaGeo().fit(rfm), clv.GammaGamma().fit(rfm)
    >>> clv.new_customer_value(bg, gg, horizon=52, discount_rate=0.1, margin=0.3).round(2)
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
    sets, time_unit = _channel_models(model, spend_model, group, "new_customer_value", time_unit)
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
        table["ltv_lower"], table["ltv_upper"] = _quantiles(draws[:, :, len(edges) - 1], interval)  # type: ignore[arg-type]
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
      CAC, so ``max_cac_ratio = ltv / target_ratio``;
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
        Index ``group``; ``ltv`` and ``max_cac_ratio`` (with a ratio target),
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
    sets, time_unit = _channel_models(model, spend_model, group, "max_cac", time_unit)
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
        table["max_cac_ratio"] = ltv / target_ratio
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
        table["max_cac_lower"], table["max_cac_upper"] = _quantiles(per_draw, interval)
    table.attrs.update(
        {"target_ratio": target_ratio, "horizon": horizon, "payback": payback, "discount_rate": float(discount_rate),
         "margin": margin, "time_unit": time_unit, "interval": interval,
         "point": "posterior mean" if sets.posterior else "estimates"}
    )
    return table

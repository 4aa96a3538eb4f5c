"""The forecast of the existing customer base (:func:`forecast_base`), see :mod:`clv.budget`."""

from __future__ import annotations

from typing import Any, Literal, Sequence

import numpy as np
import pandas as pd

from clv.budget.groups import Chosen, drop_failed, posterior_set, quantiles, reject_unusable
from clv.checks import check_draw_settings, check_margin
from clv.data.summary import rfm_in_time_unit, time_unit_days
from clv.errors import DataError
from clv.model_set import POOLED, MLEModelSet, ModelPair, ModelSet, PosteriorModelSet, is_posterior
from clv.models.transactions import compress
from clv.valuation import DEFAULT_MARGIN, discount_factors, in_time_unit, period_edges, valuation_time_unit

__all__ = ["UNASSIGNED", "forecast_base"]

Basis = Literal["conditional", "unconditional"]
Uncertainty = Literal["parameters", "predictive"]
UNASSIGNED = "(unassigned)"
_BASE_COLUMNS = (
    "expected_purchases",
    "expected_revenue",
    "expected_margin",
    "discounted_margin",
    "cumulative_repeat_purchases",
    "cumulative_discounted_margin",
)


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


def _pair_for(sets: Chosen, pairs: dict[str, ModelPair], name: str, group_column: str | None) -> ModelPair:
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
    groups: pd.Series | None = None,
    uncertainty: Uncertainty = "parameters",
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
        Channel models (:class:`clv.ChannelModels`,
        :class:`clv.PosteriorChannelModels`) give one forecast per channel
        (see ``groups``).
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
        ``seed``). Bayesian models always give one (0.9 by default). What
        the interval includes is set by ``uncertainty``.
    groups : pandas.Series, optional
        With channel models (:class:`clv.ChannelModels`,
        :class:`clv.PosteriorChannelModels`, ``spend_model=None``): the
        channel of each customer (index ``customer_id``; default the RFM
        frame's ``channel`` column). The result then holds one block of
        periods per channel, with a ``channel`` column first; customers
        without a channel form the group ``"(unassigned)"``, valued with the
        pooled model.

    uncertainty : {"parameters", "predictive"}
        What the interval includes. ``"parameters"`` (default): the models'
        parameter uncertainty only, the range of the *expected* base
        (right for a mean, e.g. a channel's LTV). ``"predictive"``: the
        range of what the base will *actually* buy, from
        :func:`clv.predictive` with ``n_draws`` simulations: parameter
        uncertainty, each customer's posterior (alive or not, purchase rate,
        dropout, spend) and the Poisson and gamma noise of the purchases and
        their values, simulated along one path per simulation so the
        per-period, cumulative and discounted columns are consistent. Needs
        ``basis="conditional"``; with Bayesian models the posterior draws
        are the parameter source.

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
    reject_unusable(model, "forecast_base")
    margin = check_margin(margin)
    if basis not in ("conditional", "unconditional"):
        raise DataError(f"basis must be 'conditional' or 'unconditional', got {basis!r}")
    if int(periods) != periods or periods < 1:
        raise DataError(f"periods must be a positive whole number, got {periods}")
    if not np.isfinite(period_length) or period_length <= 0:
        raise DataError(f"period_length must be positive (time units per period), got {period_length}")
    if isinstance(model, ModelSet):
        return _forecast_by_channel(model, spend_model, rfm, groups, basis=basis, periods=periods, period_length=period_length,
                                    discount_rate=discount_rate, margin=margin, time_unit=time_unit, interval=interval,
                                    n_draws=n_draws, seed=seed, uncertainty=uncertainty)
    posterior = is_posterior(model)
    unit = valuation_time_unit(time_unit, (model,), rfm)
    model = in_time_unit(model, unit, "forecast_base")  # MLE models convert; a posterior in another unit is refused
    if posterior:
        interval = 0.9 if interval is None else interval
        sets = Chosen([], posterior_set(model, spend_model, "forecast_base"))
    else:
        sets = Chosen(["all"], MLEModelSet({"all": model}, {"all": spend_model}))
    group_column = getattr(model, "group", None) if posterior else None
    return _forecast(sets, rfm, spend_model is not None, group_column, basis=basis, periods=periods,
                     period_length=period_length, discount_rate=discount_rate, margin=margin, time_unit=unit,
                     interval=interval, n_draws=n_draws, seed=seed, uncertainty=uncertainty)


def _forecast(
    sets: Chosen, rfm: pd.DataFrame, with_spend: bool, group_column: str | None, *, basis: Basis, periods: int,
    period_length: float, discount_rate: float, margin: float, time_unit: str, interval: float | None,
    n_draws: int, seed: int | None, uncertainty: Uncertainty = "parameters",
) -> pd.DataFrame:
    """The forecast table of :func:`forecast_base` for the models of ``sets`` (in ``time_unit``; a group's customers use its models)."""
    posterior = sets.posterior
    check_draw_settings(interval, seed, n_draws)
    unit = time_unit
    rfm = rfm_in_time_unit(rfm, unit)
    edges = period_edges(float(periods) * float(period_length), float(period_length))
    factors = discount_factors(edges, discount_rate, unit)

    columns = ["frequency", "recency", "T"] + (["monetary_value"] if with_spend else [])
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

    names = [name for name in _BASE_COLUMNS if with_spend or name in ("expected_purchases", "cumulative_repeat_purchases")]
    failed = 0
    if interval is not None and (uncertainty == "parameters" or sets.point is None):  # a posterior's point is the mean over draws
        runs = [evaluate(pairs) for pairs in sets.draws(n_draws, seed)]  # type: ignore[arg-type]
        stacked, failed = drop_failed(np.stack([np.stack([run[name] for name in names]) for run in runs]))
    point = evaluate(sets.point) if sets.point is not None else dict(zip(names, np.nanmean(stacked, axis=0)))
    if interval is not None and uncertainty == "predictive":
        stacked = _predictive_runs(sets, rfm, names, edges, factors, margin, interval, n_draws, seed, basis)  # type: ignore[arg-type]

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
            table[f"{name}_lower"], table[f"{name}_upper"] = quantiles(stacked[:, i], interval)

    table.attrs.update(
        {
            "basis": basis,
            "time_unit": unit,
            "period_length": float(period_length),
            "discount_rate": float(discount_rate),
            "margin": margin,
            "interval": interval,
            "uncertainty": uncertainty if interval is not None else None,
            "n_draws": int(n_draws) if interval is not None else 0,
            "failed_draws": failed,
            "point": "posterior mean" if posterior else "estimates",
            "n_customers": int(counts.sum()),
            "observed_repeat_purchases": float(rfm["frequency"].sum()),
            "anchor_date": None if anchor is None else str(anchor.date()),
        }
    )
    return table


def _predictive_runs(sets: Chosen, rfm: pd.DataFrame, names: list[str], edges: np.ndarray, factors: np.ndarray, margin: float,
                     interval: float, n_draws: int, seed: int, basis: Basis) -> np.ndarray:
    """Simulated forecast columns (simulations x columns x periods) from :func:`clv.predictive` paths at the period ends."""
    from clv.predictive import predictive

    point = sets.point
    if isinstance(sets.models, PosteriorModelSet) and basis == "conditional":
        tm, sm = sets.models.transaction_model, sets.models.spend_model  # posterior draws as the parameter source
    elif basis != "conditional" or point is None or len(point) != 1:
        raise DataError("forecast_base(uncertainty='predictive') needs basis='conditional' and one fitted pair, channel "
                        "models or grouped Bayesian models")
    else:
        tm, sm = next(iter(point.values()))
    pred = predictive(tm, sm, rfm, horizon=float(edges[-1]), n_sims=int(n_draws), seed=int(seed), level=interval,
                      checkpoints=edges)
    paths = {k: v[:, 0, :] for k, v in pred.cumulative.items()}  # type: ignore[union-attr]  # (sims, periods), one group
    purchases = np.diff(paths["purchases"], axis=1, prepend=0.0)
    out = {"expected_purchases": purchases, "cumulative_repeat_purchases": float(rfm["frequency"].sum()) + paths["purchases"]}
    if "revenue" in paths:
        revenue = np.diff(paths["revenue"], axis=1, prepend=0.0)
        out.update({"expected_revenue": revenue, "expected_margin": margin * revenue, "discounted_margin": margin * revenue * factors,
                    "cumulative_discounted_margin": np.cumsum(margin * revenue * factors, axis=1)})
    return np.stack([out[name] for name in names], axis=1)


class _OneGroup(ModelSet):
    """One group of a model set, seen as a single-group model set (its own models, else the pooled ones)."""

    def __init__(self, models: ModelSet, name: str, unit: str) -> None:
        self.models, self.name, self.unit = models, name, unit
        self.bayesian = models.bayesian

    def _in_unit(self, pair: ModelPair) -> ModelPair:
        return in_time_unit(pair[0], self.unit, "forecast_base"), pair[1]

    @property
    def names(self) -> list[str]:
        return ["all"]

    def point(self) -> dict[str, ModelPair] | None:
        point = self.models.point()
        return None if point is None else {"all": self._in_unit(self.models.pair(self.name, point))}

    def draws(self, n: int, *, seed: int) -> list[dict[str, ModelPair]]:
        return [{"all": self._in_unit(self.models.pair(self.name, d))} for d in self.models.draws(n, seed=seed)]


def _forecast_by_channel(models: ModelSet, spend_model: Any, rfm: pd.DataFrame, groups: pd.Series | None,
                         **settings: Any) -> pd.DataFrame:
    """:func:`forecast_base` per channel of a model set: the tables stacked, a ``channel`` column first."""
    from clv.valuation import group_of_customers

    if spend_model is not None:
        raise DataError(f"forecast_base: a {type(models).__name__} carries its spend models; pass spend_model=None")
    if models.bayesian and settings["interval"] is None:
        settings["interval"] = 0.9
    recorded = list(models.transaction_models.values()) if isinstance(models, MLEModelSet) else [
        getattr(models, "transaction_model", None)]
    unit = settings["time_unit"] = valuation_time_unit(settings["time_unit"], recorded, rfm)
    labels = group_of_customers(rfm, groups, "forecast_base").reindex(rfm.index)
    labels = labels.astype(object).where(labels.notna(), UNASSIGNED).astype(str)
    with_spend = all(pair[1] is not None for pair in (models.point() or {}).values())
    parts = []
    for name in sorted(pd.unique(labels)):
        sub = rfm.loc[(labels == name).to_numpy()]
        part = _forecast(Chosen(["all"], _OneGroup(models, name, unit)), sub, with_spend, None, **settings)
        part.insert(0, "channel", name)
        parts.append(part)
    table = pd.concat(parts)
    table.attrs.update({**parts[0].attrs, "n_customers": len(rfm), "observed_repeat_purchases": float(rfm["frequency"].sum())})
    return table

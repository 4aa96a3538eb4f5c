"""Lifecycle stages: the stage rule, how stages played out in a holdout, and the stage mix per group.

See :mod:`clv.segments` for the two model quantities behind the rule.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from clv.checks import align, check_fraction, check_scores
from clv.data.rfm_checks import check_rfm
from clv.errors import DataError
from clv.model_set import is_model_set, transactions_at_point
from clv.segments.rfm import VALUE_TIERS

__all__ = ["STAGES", "UNASSIGNED", "lifecycle_mix", "lifecycle_stage", "stage_series", "stage_transitions"]

UNASSIGNED = "(unassigned)"
"""Group of customers without a channel in mixes and on the watchlist."""

STAGES: tuple[str, ...] = ("new", "growing", "mature", "declining", "churned")
"""Lifecycle stages, from the start of a relationship to its end."""


def stage_series(stages: Any) -> pd.Series:
    """The ``stage`` column of a stage table (or a Series of stages) as an ordered categorical over :data:`STAGES`."""
    if isinstance(stages, pd.DataFrame):
        if "stage" not in stages.columns:
            raise DataError(
                f"column 'stage': missing; pass the output of clv.lifecycle_stage; columns found: {list(stages.columns)}"
            )
        stages = stages["stage"]
    if not isinstance(stages, pd.Series):
        raise DataError(f"expected lifecycle stages (see clv.lifecycle_stage), got {type(stages).__name__}")
    unknown = ~stages.isin(STAGES)
    if unknown.any():
        i = int(np.argmax(unknown.to_numpy()))
        raise DataError(
            f"column 'stage': unknown stage {stages.iloc[i]!r} for customer {stages.index[i]!r}; expected one of {STAGES}"
        )
    return pd.Series(pd.Categorical(stages.astype(str), categories=STAGES, ordered=True), index=stages.index, name="stage")


def _model_groups(model: Any, groups: pd.Series | None, index: pd.Index, seed: int | None = None) -> list[tuple[np.ndarray, Any]]:
    """``[(row positions, model)]``: one model for everyone, or one per group of a ``{group: model}`` mapping or model set.

    A model set (:class:`clv.ChannelModels`, :class:`clv.PosteriorChannelModels`)
    gives its transaction models at the estimates, or at the posterior mean of
    50 draws (``seed`` required); customers of a group without its own model
    use the pooled one (``"*"``).
    """
    if is_model_set(model):
        if groups is None:
            raise DataError("channel models need groups= (the channel of each customer, index customer_id)")
        point = model.point()
        if point is None and seed is None:
            raise DataError("posterior channel models need seed= (the posterior draws averaged for the stage rule)")
        model = transactions_at_point(model, 50, 0 if seed is None else int(seed))
    if groups is None:
        if isinstance(model, Mapping):
            raise DataError("model is a mapping {group: model}: pass groups= (the group of each customer)")
        return [(np.arange(len(index)), model)]
    if not isinstance(model, Mapping):
        raise DataError(f"groups= needs model to be a mapping {{group: fitted model}}, got {type(model).__name__}")
    if not isinstance(groups, pd.Series):
        raise DataError(f"groups must be a pandas Series mapping customer_id to group, got {type(groups).__name__}")
    if groups.index.has_duplicates:
        raise DataError(f"customer {groups.index[groups.index.duplicated()][0]!r} appears twice in groups")
    key = groups.reindex(index).astype(object)
    key = key.where(key.isin(list(model.keys())), "*").to_numpy()
    if "*" in key and "*" not in model:
        i = int(np.argmax(key == "*"))
        raise DataError(f"customer {index[i]!r}: no model for its group {groups.get(index[i])!r} and no pooled model under '*'")
    out = []
    for name in pd.unique(key):
        out.append((np.flatnonzero(key == name), model[name]))
    return out


def lifecycle_stage(
    scores: pd.DataFrame,
    rfm: pd.DataFrame,
    model: Any,
    *,
    groups: pd.Series | None = None,
    churn_p_alive: float = 0.3,
    churn_activity: float = 0.2,
    decline_p_alive: float = 0.6,
    decline_activity: float = 0.5,
    mature_frequency: int = 3,
    mature_tenure: float = 0.0,
    window: float = 1.0,
    seed: int | None = None,
) -> pd.DataFrame:
    """Assign each customer one of ``new, growing, mature, declining, churned``.

    The rule reads two model quantities (see the module notes): ``p_alive``
    from ``scores`` and ``activity``, the expected purchases over the next
    ``window`` time units now divided by the same expectation right after the
    customer's last purchase (``model.expected_purchases`` evaluated at
    ``(x, t_x, T)`` and at ``(x, t_x, t_x)``). The first matching line wins:

    1. **churned**: ``p_alive < churn_p_alive`` (the model thinks the customer
       has most likely left) or ``activity < churn_activity`` (the expected
       purchase rate has fallen below a fifth, by default, of what it was
       after the last purchase: for one-time buyers this is the "bought once,
       never came back" case that P(alive) cannot see under BG/NBD);
    2. **declining**: ``p_alive < decline_p_alive`` or
       ``activity < decline_activity``: the silence since the last purchase
       has cost a large part of the expected activity;
    3. **new**: no repeat purchase yet (``frequency == 0``), still active;
    4. **growing**: repeat purchases, but fewer than ``mature_frequency`` or a
       tenure ``T`` under ``mature_tenure``;
    5. **mature**: everyone else, an established and active repeat buyer.

    The defaults were chosen on CDNOW (calibration to 1997-09-30, holdout to
    1998-06-30, weeks): holdout purchases per customer were 4.2 (mature),
    1.2 (growing), 1.3 (declining) and 0.32 (churned) with BG/NBD (growing
    customers are lighter buyers; at equal repeat counts declining customers
    buy less than growing ones). See ``tests/segments`` for the validation,
    including precision and recall of ``churned`` against simulated deaths.

    Parameters
    ----------
    scores : pandas.DataFrame
        Output of :func:`clv.customer_value` (uses ``p_alive``).
    rfm : pandas.DataFrame
        The RFM frame the scores were computed from (``frequency, recency, T``).
    model : fitted BetaGeo, ModifiedBetaGeo or ParetoNBD, a mapping, or channel models
        The transaction model behind ``scores``; only
        ``expected_purchases(rfm, t)`` is called. With ``groups``, a mapping
        ``{group: fitted model}`` (e.g. one model per acquisition channel) or
        a model set (:class:`clv.ChannelModels`,
        :class:`clv.PosteriorChannelModels`); customers whose group has no
        model use the one under ``"*"``.
    groups : pandas.Series, optional
        Group of each customer (index ``customer_id``), for a mapping or
        channel models.
    churn_p_alive, decline_p_alive : float
        P(alive) thresholds of the churned and declining stages.
    churn_activity, decline_activity : float
        Activity thresholds of the churned and declining stages.
    mature_frequency : int
        Repeat purchases needed to count as mature.
    mature_tenure : float
        Tenure ``T`` (time units of ``rfm``) needed to count as mature; 0
        means tenure does not matter.
    window : float
        Window (time units of ``rfm``) of the expected purchases whose ratio
        is ``activity``; short windows approximate the ratio of the current
        expected purchase rates.
    seed : int, optional
        Seed of the posterior draws, for posterior channel models.

    Returns
    -------
    pandas.DataFrame
        Indexed like ``scores``: ``stage`` (ordered categorical over
        :data:`STAGES`), ``p_alive``, ``activity``, ``frequency``, ``T``.

    Examples
    --------
    >>> import clv
    >>> rfm = clv.rfm_summary(clv.datasets.load_cdnow(), observation_end="1997-09-30")
    >>> bg, gg = clv.BetaGeo().fit(rfm), clv.GammaGamma().fit(rfm)
    >>> scores = clv.customer_value(bg, gg, rfm, horizon=52, discount_rate=0.1)
    >>> stages = clv.lifecycle_stage(scores, rfm, bg)
    >>> stages["stage"].value_counts().to_dict()
    {'churned': 1729, 'growing': 245, 'declining': 195, 'mature': 188, 'new': 0}
    """
    scores = check_scores(scores, ("p_alive",))
    rfm = align(check_rfm(rfm, ("frequency", "recency", "T")), scores.index, "RFM frame")
    for value, name in ((churn_p_alive, "churn_p_alive"), (churn_activity, "churn_activity"),
                        (decline_p_alive, "decline_p_alive"), (decline_activity, "decline_activity")):
        check_fraction(value, name)
    if not np.isfinite(window) or window <= 0:
        raise DataError(f"window must be positive, got {window}")
    if mature_frequency < 1:
        raise DataError(f"mature_frequency must be at least 1, got {mature_frequency}")

    p_alive = scores["p_alive"].to_numpy(dtype=float)
    activity = np.empty(len(rfm))
    for rows, tm in _model_groups(model, groups, rfm.index, seed):
        part = rfm.iloc[rows]
        now = tm.expected_purchases(part, window).to_numpy(dtype=float)
        at_last = tm.expected_purchases(part.assign(T=part["recency"]), window).to_numpy(dtype=float)
        with np.errstate(divide="ignore", invalid="ignore"):
            activity[rows] = np.where(at_last > 0, now / at_last, 0.0)
    activity = np.clip(activity, 0.0, 1.0)

    x = rfm["frequency"].to_numpy(dtype=float)
    tenure = rfm["T"].to_numpy(dtype=float)
    conditions = [
        (p_alive < churn_p_alive) | (activity < churn_activity),
        (p_alive < decline_p_alive) | (activity < decline_activity),
        x < 1,
        (x < mature_frequency) | (tenure < mature_tenure),
    ]
    codes = np.select(conditions, [STAGES.index(s) for s in ("churned", "declining", "new", "growing")],
                      default=STAGES.index("mature"))
    return pd.DataFrame(
        {
            "stage": pd.Categorical.from_codes(codes, categories=STAGES, ordered=True),
            "p_alive": p_alive,
            "activity": activity,
            "frequency": x,
            "T": tenure,
        },
        index=scores.index,
    )


def stage_transitions(stages: Any, holdout: pd.DataFrame, *, expected: Any = None, later: Any = None) -> pd.DataFrame:
    """How customers in each stage at calibration end behaved in the holdout.

    Validates the stages: stages computed at the end of a calibration period
    (from :func:`clv.calibration_holdout` and models fitted on it) against
    what the same customers did afterwards.

    Parameters
    ----------
    stages : output of :func:`lifecycle_stage` (or its ``stage`` column)
        Stages at calibration end.
    holdout : pandas.DataFrame
        Output of :func:`clv.calibration_holdout` (``frequency, T,
        holdout_frequency, duration_holdout``) for the same customers.
    expected : pandas.Series, optional
        Model-expected holdout purchases per customer (e.g.
        ``model.expected_purchases(holdout, duration)``); adds
        ``expected_per_customer`` so each stage's actual purchases can be read
        against what the model predicted for the same customers.
    later : output of :func:`lifecycle_stage`, optional
        Stages of the same customers at the end of the holdout (models
        refitted on the whole log); adds one ``to_<stage>`` count column per
        stage (the transition matrix).

    Returns
    -------
    pandas.DataFrame
        One row per stage (all of :data:`STAGES`, in order): ``customers``,
        ``share``, ``bought_again`` (customers with a holdout purchase),
        ``bought_again_share``, ``holdout_purchases``,
        ``purchases_per_customer`` and ``holdout_rate`` (purchases per
        customer per time unit). Rates of a stage without customers are NaN.

    Examples
    --------
    >>> import clv
    >>> ch = clv.calibration_holdout(clv.datasets.load_cdnow(), calibration_end="1997-09-30", observation_end="1998-06-30")
    >>> bg, gg = clv.BetaGeo().fit(ch), clv.GammaGamma().fit(ch)
    >>> stages = clv.lifecycle_stage(clv.customer_value(bg, gg, ch, horizon=39, discount_rate=0.1), ch, bg)
    >>> clv.stage_transitions(stages, ch)["purchases_per_customer"].round(2).to_dict()
    {'new': nan, 'growing': 1.22, 'mature': 4.17, 'declining': 1.29, 'churned': 0.32}
    """
    stage = stage_series(stages)
    if stage.index.has_duplicates:
        raise DataError(f"customer {stage.index[stage.index.duplicated()][0]!r} appears twice in the stage table")
    if not isinstance(holdout, pd.DataFrame):
        raise DataError(f"expected the output of clv.calibration_holdout, got {type(holdout).__name__}")
    check_rfm(holdout, ("holdout_frequency", "duration_holdout"))
    holdout = align(holdout, stage.index, "holdout frame")
    bought = holdout["holdout_frequency"].to_numpy(dtype=float)
    duration = holdout["duration_holdout"].to_numpy(dtype=float)
    frame = pd.DataFrame(
        {
            "stage": stage,
            "one": 1.0,
            "again": (bought > 0).astype(float),
            "bought": bought,
            "exposure": duration,
        },
        index=stage.index,
    )
    if expected is not None:
        if not isinstance(expected, pd.Series):
            raise DataError(f"expected must be a pandas Series of expected holdout purchases, got {type(expected).__name__}")
        values = align(expected.to_frame("expected"), stage.index, "expected purchases")["expected"]
        values = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float)
        if not np.isfinite(values).all():
            i = int(np.argmax(~np.isfinite(values)))
            raise DataError(f"expected: missing or non-finite value for customer {stage.index[i]!r}")
        frame["expected"] = values
    sums = frame.groupby("stage", observed=False).sum().reindex(list(STAGES), fill_value=0.0)
    n = sums["one"]
    with np.errstate(divide="ignore", invalid="ignore"):
        out = pd.DataFrame(
            {
                "customers": n.astype(int),
                "share": n / n.sum(),
                "bought_again": sums["again"].astype(int),
                "bought_again_share": sums["again"] / n,
                "holdout_purchases": sums["bought"],
                "purchases_per_customer": sums["bought"] / n,
                "holdout_rate": sums["bought"] / sums["exposure"],
            }
        )
        if expected is not None:
            out["expected_per_customer"] = sums["expected"] / n
    out.index.name = "stage"
    if later is not None:
        after = align(stage_series(later).to_frame(), stage.index, "later stage table")["stage"]
        matrix = pd.crosstab(stage, after, dropna=False).reindex(index=list(STAGES), columns=list(STAGES), fill_value=0)
        for col in STAGES:
            out[f"to_{col}"] = matrix[col].to_numpy().astype(int)
    return out


def lifecycle_mix(segments: pd.DataFrame, by: Any = None) -> pd.DataFrame:
    """Share of customers in each lifecycle stage and value tier, per group.

    Parameters
    ----------
    segments : pandas.DataFrame
        Per-customer table with a ``stage`` column and optionally
        ``value_tier`` (e.g. :func:`customer_segments`).
    by : str, pandas.Series or None
        Grouping: a column of ``segments``, a Series mapping customer id to
        group (e.g. the acquisition channel), or ``None`` for one row.
        Customers without a group are counted under ``"(unassigned)"``.

    Returns
    -------
    pandas.DataFrame
        One row per group plus ``"all"``: ``customers``, one share column per
        stage (``new ... churned``), per tier (``high-value ... low-value``)
        when ``value_tier`` is present.

    Examples
    --------
    >>> import pandas as pd, clv
    >>> seg = pd.DataFrame({"stage": ["new", "churned", "mature", "mature"], "channel": ["a", "a", "b", "b"]})
    >>> clv.lifecycle_mix(seg, by="channel")[["customers", "new", "mature", "churned"]]
             customers   new  mature  churned
    channel
    a                2  0.50     0.0     0.50
    b                2  0.00     1.0     0.00
    all              4  0.25     0.5     0.25
    """
    if not isinstance(segments, pd.DataFrame):
        raise DataError(f"expected a per-customer table with a 'stage' column, got {type(segments).__name__}")
    stage = stage_series(segments)
    if by is None:
        group = pd.Series("all", index=segments.index, name="group")
    elif isinstance(by, str):
        if by not in segments.columns:
            raise DataError(f"column '{by}': missing from the segment table; columns found: {list(segments.columns)}")
        group = segments[by]
    elif isinstance(by, pd.Series):
        if by.index.has_duplicates:
            raise DataError(f"customer {by.index[by.index.duplicated()][0]!r} appears twice in the grouping")
        group = by.reindex(segments.index)
    else:
        raise DataError(f"by must be a column name, a pandas Series or None, got {type(by).__name__}")
    name = group.name if group.name is not None else "group"
    group = group.astype(object).where(group.notna(), UNASSIGNED).astype(str)

    parts = [pd.get_dummies(stage).reindex(columns=list(STAGES), fill_value=0).astype(float)]
    if "value_tier" in segments.columns:
        tier = pd.Series(pd.Categorical(segments["value_tier"].astype(str), categories=VALUE_TIERS), index=segments.index)
        parts.append(pd.get_dummies(tier).reindex(columns=list(VALUE_TIERS), fill_value=0).astype(float))
    flags = pd.concat(parts, axis=1)
    grouped = flags.groupby(group.to_numpy())
    out = pd.concat([grouped.size().rename("customers"), grouped.mean()], axis=1)
    if by is not None:
        out.loc["all"] = [len(flags), *flags.mean().to_numpy()]
    out["customers"] = out["customers"].astype(int)
    out.index.name = name if by is not None else None
    return out

"""Cohort retention (留存率) and repeat-purchase (复购率) tables, observed and model-expected.

Conventions
-----------
* A customer's *anchor* is the day of their first purchase, or their
  ``acquired_at`` day when an acquisition table is given. Their cohort is the
  calendar period (``period="M"``: month) holding the anchor.
* Purchases merge to one per customer and day (as in :func:`clv.rfm_summary`).
  A *repeat* purchase is one on a day after the anchor. Period ``k`` of a
  cohort is the ``k``-th calendar period after the cohort's own; period 0 is
  the rest of the acquisition period after the anchor day.
* ``share`` is the fraction of the cohort with at least one repeat purchase in
  period ``k``; ``cumulative`` the fraction with at least one by the end of
  period ``k`` (the repeat-purchase rate). Periods after ``observation_end``
  are absent; the period holding ``observation_end`` is kept with
  ``complete = False`` and is observed (and expected) only up to that day.
* Expected shares: a customer anchored on day ``d`` is exposed in period
  ``k`` (days ``S_k .. E_k``) over the ages ``((S_k - 1 - d)/u, (min(E_k, end) - d)/u]``
  in model time units ``u`` (the day-difference convention of
  :func:`clv.tracking`; the intervals of consecutive periods tile
  ``(0, end - d]``). Their probability of buying there is the model's
  :meth:`~clv.BetaGeo.probability_purchase_between`; a cohort's expected
  share is the mean over its customers, and its expected cumulative rate the
  mean of ``1 - P(X(E_k - d) = 0)``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

import numpy as np
import pandas as pd

from clv.data.summary import EPOCH, daily_purchases, day_number, time_unit_days
from clv.errors import DataError

__all__ = ["RetentionTable", "retention_table"]

_PERIODS = ("D", "W", "M", "Q")


@dataclass(frozen=True)
class RetentionTable:
    """Outcome of :func:`retention_table`.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per cohort (and group) and period since acquisition:
        ``cohort`` (period label), the ``by`` column when grouped, ``period``
        (0, 1, ...), ``period_label``, ``n_customers``, ``complete``,
        ``buyers``, ``share``, ``share_se`` (binomial standard error),
        ``repeat_buyers``, ``cumulative`` and, with a model,
        ``expected_share`` and ``expected_cumulative``.
    period : str
        Calendar period (``"M"``, ``"W"``, ``"Q"`` or ``"D"``).
    by : str or None
        Grouping column of the acquisition table.
    exclusions : dict
        Customers and purchases left out, with counts.

    Examples
    --------
    >>> import clv
    >>> rt = clv.retention_table(clv.datasets.load_cdnow(), observation_end="1997-12-31")
    >>> rt.matrix("share").loc["1997-01"].iloc[:4].round(3).tolist()
    [0.095, 0.159, 0.122, 0.09]
    """

    table: pd.DataFrame
    period: str
    by: str | None
    exclusions: dict[str, int]

    def matrix(self, value: str = "share", group: Any = None) -> pd.DataFrame:
        """Cohort-by-period triangle of one column of :attr:`table` (rows cohorts, columns periods).

        Parameters
        ----------
        value : str
            A column of :attr:`table` (``share``, ``cumulative``, ``expected_share``, ...).
        group : optional
            With ``by``, the group to show; default all groups pooled when
            ``value`` is a share (customer-weighted), else an error.

        Returns
        -------
        pandas.DataFrame

        Examples
        --------
        >>> import clv
        >>> rt = clv.retention_table(clv.datasets.load_cdnow(), observation_end="1997-06-30")
        >>> rt.matrix("cumulative").loc["1997-01"].round(3).tolist()
        [0.095, 0.218, 0.283, 0.307, 0.335, 0.37]
        """
        t = self.table
        if self.by is not None:
            if group is not None:
                t = t[t[self.by] == group]
            else:
                t = _pool(t, ["cohort", "period"])
        return t.pivot(index="cohort", columns="period", values=value)

    def curves(self) -> pd.DataFrame:
        """Customer-weighted share per period since acquisition, observed and expected, per group.

        Returns
        -------
        pandas.DataFrame
            Index ``(group, period)`` (group ``"all"`` without ``by``);
            columns ``n_customers`` (exposed), ``share``, ``cumulative`` and,
            with a model, ``expected_share``, ``expected_cumulative``. Only
            complete periods are pooled.

        Examples
        --------
        >>> import clv
        >>> rt = clv.retention_table(clv.datasets.load_cdnow(), observation_end="1997-12-31")
        >>> rt.curves().loc["all"].loc[1, ["n_customers", "share"]].round(3).tolist()
        [2357.0, 0.146]
        """
        t = self.table[self.table["complete"]]
        key = self.by if self.by is not None else None
        t = t.assign(group="all") if key is None else t.rename(columns={key: "group"})
        return _pool(t, ["group", "period"]).set_index(["group", "period"])


def _pool(t: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    cols = [c for c in ("share", "cumulative", "expected_share", "expected_cumulative") if c in t.columns]
    weighted = t[cols].mul(t["n_customers"], axis=0).assign(n_customers=t["n_customers"], **{k: t[k] for k in keys})
    out = weighted.groupby(keys, sort=True).sum()
    out[cols] = out[cols].div(out["n_customers"], axis=0)
    return out.reset_index()[[*keys, "n_customers", *cols]]


def _anchors(daily: Any, acquisitions: pd.DataFrame | None, by: str | None, end_day: int) -> tuple[pd.DataFrame, dict[str, int]]:
    """One row per customer: ``code`` (daily code or -1), ``anchor`` day and ``group``."""
    is_first = np.r_[True, daily.code[1:] != daily.code[:-1]] if daily.code.size else np.empty(0, bool)
    first = pd.Series(daily.day[is_first], index=daily.ids[daily.code[is_first]])
    if acquisitions is None:
        if by is not None:
            raise DataError(f"by={by!r} needs acquisitions= (the output of clv.read_acquisitions) holding that column")
        return pd.DataFrame({"code": np.arange(len(first)), "anchor": first.to_numpy(), "group": "all"}, index=first.index), {}
    need = {"customer_id", "acquired_at"} | ({by} if by else set())
    missing = sorted(need - set(acquisitions.columns))
    if missing:
        raise DataError(f"column '{missing[0]}': missing from acquisitions; pass the output of clv.read_acquisitions")
    acq = acquisitions.drop_duplicates("customer_id").set_index("customer_id")
    day = acq["acquired_at"].to_numpy().astype("datetime64[D]").astype(np.int64)
    late = day > end_day
    acq, day = acq[~late], day[~late]
    codes = pd.Index(daily.ids).get_indexer(acq.index)
    group = acq[by].astype(str).to_numpy() if by else "all"
    out = pd.DataFrame({"code": codes, "anchor": day, "group": group}, index=acq.index)
    counts = {
        "acquisitions_after_observation_end": int(late.sum()),
        "customers_without_acquisition": int((~pd.Index(daily.ids).isin(acq.index)).sum()),
        "acquisitions_without_purchases": int((codes < 0).sum()),
    }
    return out, counts


def retention_table(
    tx: pd.DataFrame,
    acquisitions: pd.DataFrame | None = None,
    period: str = "M",
    by: str | None = None,
    model: Any = None,
    *,
    observation_end: Any = None,
    time_unit: str = "W",
) -> RetentionTable:
    """Share of each acquisition cohort buying again in each period since acquisition, with the model's expectation.

    Parameters
    ----------
    tx : pandas.DataFrame
        Output of :func:`clv.read_transactions`.
    acquisitions : pandas.DataFrame, optional
        Output of :func:`clv.read_acquisitions`. When given, cohorts start at
        ``acquired_at`` and only its customers are counted (the others are
        counted in :attr:`RetentionTable.exclusions`).
    period : {"M", "W", "Q", "D"}
        Calendar period of cohorts and columns (weeks end on Sunday).
    by : str, optional
        Column of ``acquisitions`` splitting each cohort (``"channel"``).
    model : fitted transaction model or mapping, optional
        ``BetaGeo``, ``ModifiedBetaGeo`` or ``ParetoNBD``, or ``{group: model}``
        (``"*"`` for groups without their own, as in
        :attr:`clv.ChannelModels.transaction_models`). Adds the expected columns.
    observation_end : date-like, optional
        Last day observed; defaults to the last purchase day.
    time_unit : {"W", "D", "M"}
        Time unit of a model that does not record its own (``time_unit_``).

    Returns
    -------
    RetentionTable

    Examples
    --------
    >>> import clv
    >>> tx = clv.datasets.load_cdnow()
    >>> bg = clv.BetaGeo().fit(clv.rfm_summary(tx, observation_end="1997-09-30"))
    >>> rt = clv.retention_table(tx, model=bg, observation_end="1997-09-30")
    >>> curve = rt.curves().loc["all"]
    >>> curve.loc[[1, 3, 6], "share"].round(3).tolist(), curve.loc[[1, 3, 6], "expected_share"].round(3).tolist()
    ([0.146, 0.095, 0.077], [0.137, 0.106, 0.083])
    """
    if period not in _PERIODS:
        raise DataError(f"period must be one of {list(_PERIODS)}, got {period!r}")
    end_day = None if observation_end is None else day_number(observation_end, "observation_end")
    daily = daily_purchases(tx, end_day)
    if daily.code.size == 0:
        raise DataError(f"no transactions on or before observation_end {observation_end}")
    end_day = int(daily.day.max()) if end_day is None else end_day
    cust, exclusions = _anchors(daily, acquisitions, by, end_day)
    exclusions["rows_after_observation_end"] = daily.rows_after_end

    def ordinal(days: np.ndarray) -> np.ndarray:
        return pd.DatetimeIndex(EPOCH + days.astype("timedelta64[D]")).to_period(period).asi8

    anchor = cust["anchor"].to_numpy()
    cohort = ordinal(anchor)
    end_ord = int(ordinal(np.array([end_day]))[0])

    # observed: customer-period cells with a purchase after the anchor
    pos = np.full(len(daily.ids), -1)
    have = cust["code"].to_numpy() >= 0
    pos[cust["code"].to_numpy()[have]] = np.flatnonzero(have)
    owner = pos[daily.code]
    keep = owner >= 0
    owner, day = owner[keep], daily.day[keep]
    before = day < anchor[owner]
    exclusions["purchase_days_before_acquisition"] = int(before.sum())
    repeat = day > anchor[owner]
    owner, k = owner[repeat], ordinal(day[repeat]) - cohort[owner[repeat]]
    cells = pd.DataFrame({"who": owner, "k": k}).drop_duplicates()
    first_k = cells.groupby("who")["k"].min()

    frame = pd.DataFrame({"cohort": cohort, "group": cust["group"].to_numpy()})
    sizes = frame.groupby(["cohort", "group"]).size().rename("n_customers")
    buyers = cells.assign(cohort=cohort[cells["who"]], group=frame["group"].to_numpy()[cells["who"]]).groupby(
        ["cohort", "group", "k"]).size()
    firsts = pd.DataFrame({"k": first_k.to_numpy(), "cohort": cohort[first_k.index], "group": frame["group"].to_numpy()[first_k.index]})
    newly = firsts.groupby(["cohort", "group", "k"]).size()

    rows = []
    for (c, g), n in sizes.items():
        for kk in range(end_ord - c + 1):
            rows.append((c, g, kk, n))
    table = pd.DataFrame(rows, columns=["cohort_ord", "group", "period", "n_customers"])
    idx = pd.MultiIndex.from_frame(table[["cohort_ord", "group", "period"]])
    table["buyers"] = buyers.reindex(idx, fill_value=0).to_numpy()
    new = newly.reindex(idx, fill_value=0).to_numpy()
    table["repeat_buyers"] = pd.Series(new).groupby([table["cohort_ord"], table["group"]]).cumsum().to_numpy()
    n = table["n_customers"].to_numpy(dtype=float)
    table["share"] = table["buyers"] / n
    table["share_se"] = np.sqrt(table["share"] * (1 - table["share"]) / n)
    table["cumulative"] = table["repeat_buyers"] / n
    period_ord = table["cohort_ord"].to_numpy() + table["period"].to_numpy()
    span = pd.PeriodIndex.from_ordinals(period_ord, freq=period)
    last_day = ((span.end_time.normalize().to_numpy().astype("datetime64[D]") - EPOCH).astype(np.int64))
    table["complete"] = last_day <= end_day
    if model is not None:
        exp_share, exp_cum = _expected(model, table, cust, cohort, end_day, period, time_unit)
        table["expected_share"], table["expected_cumulative"] = exp_share, exp_cum
    table.insert(0, "cohort", pd.PeriodIndex.from_ordinals(table["cohort_ord"].to_numpy(), freq=period).astype(str))
    table.insert(3, "period_label", span.astype(str))
    table = table.drop(columns="cohort_ord")
    table = table.rename(columns={"group": by}) if by else table.drop(columns="group")
    return RetentionTable(table=table, period=period, by=by, exclusions=exclusions)


def _model_for(model: Any, group: str) -> Any:
    if isinstance(model, Mapping):
        if group in model:
            return model[group]
        if "*" in model:
            return model["*"]
        raise DataError(f"model has no entry for group {group!r} and no pooled '*' entry")
    return model


def _expected(model: Any, table: pd.DataFrame, cust: pd.DataFrame, cohort: np.ndarray, end_day: int,
              period: str, model_unit: str) -> tuple[np.ndarray, np.ndarray]:
    """Mean over each cohort's customers of P(purchase in the period) and P(a repeat purchase by its end)."""
    share = np.zeros(len(table))
    cum = np.zeros(len(table))
    key = pd.DataFrame({"cohort_ord": cohort, "group": cust["group"].to_numpy(), "anchor": cust["anchor"].to_numpy()})
    counts = key.groupby(["cohort_ord", "group", "anchor"]).size()
    for (c, g), rows in table.groupby(["cohort_ord", "group"]).groups.items():
        fitted = _model_for(model, g)
        if not hasattr(fitted, "probability_purchase_between"):
            raise TypeError(f"expected a fitted transaction model (BetaGeo, ModifiedBetaGeo, ParetoNBD), got {type(fitted).__name__}")
        unit = time_unit_days(getattr(fitted, "time_unit_", None) or model_unit)  # days per time unit of this model
        sub = counts.loc[(c, g)]
        days, w = sub.index.to_numpy(dtype=float), sub.to_numpy(dtype=float)
        ks = table.loc[rows, "period"].to_numpy()
        spans = pd.PeriodIndex.from_ordinals(c + ks, freq=period)
        first = (spans.start_time.to_numpy().astype("datetime64[D]") - EPOCH).astype(np.int64)
        last = np.minimum((spans.end_time.normalize().to_numpy().astype("datetime64[D]") - EPOCH).astype(np.int64), end_day)
        t0 = np.maximum(first[None, :] - 1 - days[:, None], 0.0) / unit
        t1 = np.maximum(last[None, :] - days[:, None], 0.0) / unit
        try:
            p = fitted.probability_purchase_between(t0, t1)
            q = fitted.probability_purchase_between(np.zeros_like(t1), t1)
        except DataError:  # a limit model (boundary_) without this prediction yet: the expected columns are n/a
            share[rows], cum[rows] = np.nan, np.nan
            continue
        share[rows] = w @ p / w.sum()
        cum[rows] = w @ q / w.sum()
    return share, cum

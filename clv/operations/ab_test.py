"""A/B tests of operations campaigns judged on lifetime value.

Each arm gets its own purchase model (BG/NBD by default) and spend model
(Gamma-Gamma); the arms are compared on what those models say about a
customer of each arm, with parameter uncertainty from a parametric bootstrap.

Time since assignment
---------------------
Every customer's clock starts at their assignment (time 0), not at a calendar
date. :func:`experiment_rfm` builds the RFM frame this way: ``T`` is the time
from assignment to the end of observation, and only purchases on days after
the assignment day count. Arms (or customers) assigned on different dates
therefore enter the likelihood with their own exposure ``T``: a customer
assigned two weeks before the end is not read as a customer who bought
nothing in a year, and every comparison is between model quantities of a
customer *at the same time since assignment* (population rates, and the LTV
of a customer over ``horizon`` from assignment). Comparing raw purchases per
customer would favour the arm assigned earlier. When arms have no
``assigned_at``, the first purchase is the assignment (acquisition
experiments such as an onboarding flow) and the frame is
:func:`clv.rfm_summary`'s.

The purchase model treats each customer as active at assignment, as BG/NBD
treats a new customer at the first purchase. For a campaign aimed at lapsed
customers the fitted parameters then describe the arm's behaviour after
assignment (which is what is compared), not the customers' lifetime.

Existing customers: the within-customer design
---------------------------------------------
When the frame carries each customer's whole history
(``experiment_rfm(..., history=True)``, as ``clv abtest`` builds it) and some
customers bought before their assignment, the purchase rate and LTV rows use
:mod:`clv.operations.ab_within`: one BG/NBD (or MBG/NBD) on the whole
histories with a post-assignment rate multiplier per arm, tested with a 1-df
likelihood ratio. Each customer's own past is the baseline, which removes
most of the between-customer spread of the rate and raises the power a lot.
Pareto/NBD keeps the post-assignment design (its dropout runs in calendar
time; no exact time change). ``within=False`` turns it off;
``settings["design_note"]`` says which design was used and why.

Tests
-----
* Omnibus likelihood-ratio tests of "same parameters in every arm" (Wilks:
  chi-square, ``(arms - 1) * k`` df), purchase and spend model.
* Focused 1-df likelihood-ratio tests of mean purchase rate, dropout and
  spend (:mod:`clv.operations.focused_tests`): those rows' p-values.
* P(alive) (and, under the within-customer design, dropout, spend and an
  omnibus max-``|t|`` test): permutation tests of per-customer values under
  one fit of all arms pooled (:mod:`clv.operations.ab_permutation`; exact
  size under no effect).
* LTV: Wald test from ``n_draws`` parameter draws of each arm's fit; the
  draws also give the percentile intervals and P(treatment better).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from clv.data.summary import EPOCH, daily_purchases, day_number, time_unit_days
from clv.errors import DataError
from clv.model_set import parameter_draws
from clv.operations.ab_permutation import permutation_rows, pooled_values
from clv.operations.ab_within import choose_design, compare_draws, history_columns, within_curves, within_design, within_rows, within_tests_table
from clv.operations.focused_tests import FOCUSED_METRICS, arm_pair_test, lr_tests_table
from clv.valuation import discount_factors, period_edges

__all__ = ["METRICS", "REFERENCE_ONLY", "ABTest", "ab_test", "arm_curves", "arm_metrics", "check_arms", "experiment_rfm"]

METRICS = {
    "purchase_rate": ("purchases per time unit while active (population mean)", "higher"),
    "dropout": ("mean dropout (probability per purchase, or rate per time unit for Pareto/NBD)", "lower"),
    "p_alive": ("mean P(alive) of the arm's customers at observation end, each customer's under one fit of all arms pooled; "
                "p-value by permutation, interval from the customers' spread", "higher"),
    "spend": ("mean spend per purchase (population mean)", "higher"),
    "ltv": ("expected discounted margin per customer over the horizon from assignment", "higher"),
}

REFERENCE_ONLY = (" [post-assignment fits, which treat every customer as active at assignment: for reference only under the "
                  "within-customer design, not calibrated for existing customers]")


@dataclass(frozen=True)
class ABTest:
    """Outcome of :func:`ab_test`.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per treatment arm and metric (``purchase_rate, dropout,
        p_alive, spend, ltv``; see :data:`METRICS`): ``arm, metric, control,
        treatment, difference, difference_lower, difference_upper, ratio,
        ratio_lower, ratio_upper, p_value, test, p_value_wald,
        p_treatment_better, better``. ``p_value`` is the row's test named in
        ``test`` (module notes: focused or within-customer likelihood ratio,
        permutation, or Wald); ``p_value_wald`` is the Wald (for permutation
        rows Welch's normal) p-value.
    tests : pandas.DataFrame
        Likelihood-ratio tests: ``purchase_model`` and ``spend_model``
        (omnibus, same parameters in every arm), then ``"<metric>: <arm>"``
        (focused, 1 df, :mod:`clv.operations.focused_tests`); under the
        within-customer design their hypotheses end in :data:`REFERENCE_ONLY`,
        and ``"purchase_rate (within-customer): <arm>"`` and
        ``"omnibus (permutation): <arm>"`` (statistic: the largest ``|t|``;
        df: the quantities compared) follow. Columns ``statistic, df,
        p_value, loglik_pooled`` (under the null), ``loglik_arms, hypothesis``.
    arms : pandas.DataFrame
        Per arm: ``n_customers, repeat_buyers, purchases, mean_T`` (time since
        assignment) and the fitted parameters.
    models : dict
        ``{arm: (transaction model, spend model)}``; ``"*"`` holds the pooled fit.
    settings : dict
        The arguments that shaped the result, and ``design`` (``"within-customer"``
        or ``"post-assignment"``) with ``design_note`` saying why.
    within : clv.operations.ab_within.WithinFit or None
        The within-customer model when that design was used.

    Examples
    --------
    >>> import clv
    >>> arms = {"control": {"share": 0.5}, "treatment": {"share": 0.5, "params": {"r": 0.243, "alpha": 3.0, "a": 0.793, "b": 2.426}}}
    >>> sim = clv.simulate(4000, seed=2, start="2024-01-01", end="2025-01-01", acquisition_end="2024-02-01", channels=arms)
    >>> rfm = clv.rfm_summary(sim.transactions, observation_end="2024-12-31").join(sim.customers["channel"].rename("arm"))
    >>> res = clv.ab_test(rfm, control="control", horizon=52, discount_rate=0.1, margin=0.3, n_draws=200, seed=1)
    >>> res.table.set_index("metric").loc["purchase_rate", ["control", "treatment"]].round(3).tolist()
    [0.055, 0.082]
    >>> bool(res.tests.loc["purchase_model", "p_value"] < 0.001)
    True
    """

    table: pd.DataFrame
    tests: pd.DataFrame
    arms: pd.DataFrame
    models: dict[str, tuple[Any, Any]]
    settings: dict[str, Any] = field(default_factory=dict)
    within: Any = None

    def summary(self) -> str:
        """One sentence per treatment arm on expected LTV and the purchase-model test.

        Returns
        -------
        str

        Examples
        --------
        >>> import clv
        >>> sim = clv.simulate(2000, seed=5, start="2024-01-01", end="2025-01-01", channels={"a": {}, "b": {}})
        >>> rfm = clv.rfm_summary(sim.transactions).join(sim.customers["channel"].rename("arm"))
        >>> clv.ab_test(rfm, control="a", n_draws=100, seed=1).summary().startswith("Arm b against a: expected LTV")
        True
        """
        out = []
        level = f"{self.settings.get('interval', 0.9):.0%}"
        for arm, rows in self.table.groupby("arm", sort=False):
            key = f"omnibus (permutation): {arm}"
            omnibus = (f"no difference in any per-customer quantity: permutation p = {self.tests.loc[key, 'p_value']:.3g}."
                       if key in self.tests.index else
                       f"all purchase-model parameters equal: likelihood-ratio p = {self.tests.loc['purchase_model', 'p_value']:.3g}.")
            ltv, rate = rows.set_index("metric").loc["ltv"], rows.set_index("metric").loc["purchase_rate"]
            out.append(
                f"Arm {arm} against {self.settings['control']}: expected LTV {ltv['treatment']:,.2f} vs {ltv['control']:,.2f} "
                f"per customer (difference {ltv['difference']:+,.2f}, {level} interval {ltv['difference_lower']:+,.2f} to "
                f"{ltv['difference_upper']:+,.2f}; treatment better in {ltv['p_treatment_better']:.0%} of parameter draws); "
                f"mean purchase rate x{rate['ratio']:.3f} ({'likelihood-ratio' if rate['test'].startswith('likelihood') else 'Wald'} "
                f"p = {rate['p_value']:.3g}{', within-customer' if 'within' in rate['test'] else ''}); "
                + omnibus
            )
        return " ".join(out)


@dataclass(frozen=True)
class _Exposure:
    """Customers of the arms with their assignment day, and their purchase days after it."""

    arms: pd.DataFrame  # index customer_id; column arm; rows in customer order
    start: np.ndarray  # assignment day per customer (days since EPOCH)
    end_day: int
    who: np.ndarray  # customer position per purchase day after assignment
    day: np.ndarray
    amount: np.ndarray
    exclusions: dict[str, int]
    every: tuple[np.ndarray, np.ndarray]  # customer position and day of every purchase day up to end_day


def _exposure(tx: pd.DataFrame, arms: pd.DataFrame, observation_end: Any) -> _Exposure:
    missing = [c for c in ("customer_id", "arm") if c not in arms.columns]
    if missing:
        raise DataError(f"column '{missing[0]}': missing from the arms table (columns customer_id, arm[, assigned_at])")
    arm = arms.drop_duplicates("customer_id").set_index("customer_id")
    end_day = None if observation_end is None else day_number(observation_end, "observation_end")
    in_arms = tx["customer_id"].isin(arm.index).to_numpy()
    daily = daily_purchases(tx[in_arms], end_day)
    if daily.code.size == 0:
        raise DataError("no transaction of a customer in the arms table on or before observation_end")
    end_day = int(daily.day.max()) if end_day is None else end_day
    exclusions = {"transactions_not_in_arms": int((~in_arms).sum()), "rows_after_observation_end": daily.rows_after_end}
    if "assigned_at" in arm.columns:
        start = arm["assigned_at"].to_numpy().astype("datetime64[D]").astype(np.int64)
        late = start > end_day
        exclusions["customers_assigned_after_observation_end"] = int(late.sum())
    else:  # the first purchase is the assignment
        is_first = np.r_[True, daily.code[1:] != daily.code[:-1]]
        first = pd.Series(daily.day[is_first], index=daily.ids[daily.code[is_first]]).reindex(arm.index)
        late = first.isna().to_numpy()
        start = first.fillna(0).to_numpy(dtype=np.int64)
        exclusions["customers_without_purchases"] = int(late.sum())
    arm, start = arm[~late], start[~late]
    pos = pd.Index(arm.index).get_indexer(daily.ids)[daily.code]
    after = (pos >= 0) & (daily.day > start[np.maximum(pos, 0)])
    kept = pos >= 0
    return _Exposure(arm[["arm"]], start, end_day, pos[after], daily.day[after], daily.amount[after], exclusions,
                     (pos[kept], daily.day[kept]))


def experiment_rfm(tx: pd.DataFrame, arms: pd.DataFrame, *, observation_end: Any = None, time_unit: str = "W",
                   history: bool = False) -> pd.DataFrame:
    """RFM frame of an experiment with each customer's clock started at assignment.

    Parameters
    ----------
    tx : pandas.DataFrame
        Output of :func:`clv.read_transactions`.
    arms : pandas.DataFrame
        ``customer_id, arm`` and optionally ``assigned_at`` (dates). Without
        ``assigned_at`` the first purchase is the assignment and the result
        equals :func:`clv.rfm_summary` for those customers.
    observation_end : date-like, optional
        Defaults to the last purchase day of the arms' customers.
    time_unit : {"W", "D", "M"}
    history : bool
        Add each customer's whole history from the first purchase
        (:data:`clv.operations.ab_within.HISTORY_COLUMNS`), which
        :func:`ab_test` uses for the within-customer test when customers
        bought before their assignment.

    Returns
    -------
    pandas.DataFrame
        Index ``customer_id`` (customers of ``arms`` only); ``frequency``
        (purchase days after the assignment day), ``recency``, ``T`` (time
        from assignment to ``observation_end``), ``monetary_value`` (mean of
        those days' totals), ``arm``. ``attrs["exclusions"]`` counts
        customers assigned after ``observation_end`` (or, without
        ``assigned_at``, never buying) and transactions of customers not in ``arms``.

    Examples
    --------
    >>> import pandas as pd, clv
    >>> tx = clv.read_transactions(pd.DataFrame({"customer_id": [1, 1, 1, 2], "amount": [5.0, 8.0, 4.0, 3.0],
    ...     "date": ["2024-01-01", "2024-02-05", "2024-02-19", "2024-01-10"]}))
    >>> arms = pd.DataFrame({"customer_id": [1, 2], "arm": ["A", "B"], "assigned_at": pd.to_datetime(["2024-01-29", "2024-02-12"])})
    >>> experiment_rfm(tx, arms, observation_end="2024-02-26")
                 frequency  recency    T  monetary_value arm
    customer_id
    1                  2.0      3.0  4.0             6.0   A
    2                  0.0      0.0  2.0             0.0   B
    """
    ex = _exposure(tx, arms, observation_end)
    unit = time_unit_days(time_unit)
    n = len(ex.arms)
    x = np.bincount(ex.who, minlength=n).astype(float)
    last = np.full(n, -1)
    np.maximum.at(last, ex.who, ex.day)
    total = np.bincount(ex.who, weights=ex.amount, minlength=n)
    out = pd.DataFrame({
        "frequency": x,
        "recency": np.where(x > 0, (last - ex.start) / unit, 0.0),
        "T": (ex.end_day - ex.start) / unit,
        "monetary_value": np.divide(total, x, out=np.zeros(n), where=x > 0),
        "arm": ex.arms["arm"].to_numpy(),
    }, index=pd.Index(ex.arms.index, name="customer_id"))
    if history:
        who, day = ex.every
        first = np.full(n, np.inf)
        np.minimum.at(first, who, day.astype(float))
        first[~np.isfinite(first)] = np.nan
        for name, col in history_columns(first, ex.start, ex.end_day, who, day, unit).items():
            out[name] = col
    out.attrs["exclusions"] = ex.exclusions
    out.attrs["time_unit"] = time_unit
    out.attrs["observation_end"] = str(EPOCH + np.timedelta64(ex.end_day, "D"))
    return out


def arm_curves(tx: pd.DataFrame, arms: pd.DataFrame, result: ABTest, *, observation_end: Any = None,
               time_unit: str = "W") -> pd.DataFrame:
    """Cumulative purchases per customer by time since assignment, observed and expected by each arm's model.

    The observed value at age ``t`` is the mean, over the customers observed
    for at least ``t`` (``T >= t``), of their purchases after assignment up
    to age ``t``; so customers assigned late do not pull the curve down. The
    expected value is the arm model's ``E[X(t)]`` for a customer starting at
    assignment (Fader, Hardie & Lee 2005, eq. 7 for BG/NBD); under the
    within-customer design it is the within model's expected purchases after
    assignment given each of the arm's customers' history at assignment, averaged.

    Parameters
    ----------
    tx, arms, observation_end, time_unit
        As given to :func:`experiment_rfm`.
    result : ABTest
        The test run on that frame (for the arm models).

    Returns
    -------
    pandas.DataFrame
        Columns ``arm, age`` (0, 1, ... time units), ``exposed`` (customers
        with ``T >= age``), ``observed``, ``expected``.

    Examples
    --------
    >>> import clv
    >>> from clv.operations import arm_curves
    >>> sim = clv.simulate(2000, seed=5, start="2024-01-01", end="2025-01-01", channels={"a": {}, "b": {}})
    >>> arms = sim.customers["channel"].rename("arm").reset_index()
    >>> rfm = clv.operations.experiment_rfm(sim.transactions, arms)
    >>> curves = arm_curves(sim.transactions, arms, clv.ab_test(rfm, control="a", n_draws=50, seed=1))
    >>> curves.columns.tolist()
    ['arm', 'age', 'exposed', 'observed', 'expected']
    """
    ex = _exposure(tx, arms, observation_end)
    unit = time_unit_days(time_unit)
    T = (ex.end_day - ex.start) / unit
    age = (ex.day - ex.start[ex.who]) / unit
    grid = np.arange(0, int(np.floor(T.max())) + 1)
    parts = []
    names = ex.arms["arm"].to_numpy()
    within = within_curves(result.within, ex.every, ex.start, ex.end_day, grid, unit, names) if result.within is not None else {}
    for name in pd.unique(names):
        if name not in result.models:
            raise DataError(f"arm {name!r} is not in the A/B test result; run clv.ab_test on the same arms")
        mine = names == name
        exposed = len(grid) - np.searchsorted(np.sort(T[mine]), grid, side="left")
        buy = mine[ex.who]
        lo = np.ceil(age[buy] - 1e-9).astype(int)
        hi = np.floor(T[ex.who[buy]] + 1e-9).astype(int)
        counts = np.cumsum(np.bincount(lo, minlength=len(grid) + 1)[: len(grid) + 1]
                           - np.bincount(hi + 1, minlength=len(grid) + 1)[: len(grid) + 1])[: len(grid)]
        exposed = np.array([(T[mine] >= g - 1e-9).sum() for g in grid])
        expected = within[name] if name in within else np.asarray(result.models[name][0].expected_purchases_new(grid.astype(float)), dtype=float)
        parts.append(pd.DataFrame({"arm": name, "age": grid, "exposed": exposed,
                                   "observed": np.divide(counts, exposed, out=np.full(len(grid), np.nan), where=exposed > 0),
                                   "expected": expected}))
    return pd.concat(parts, ignore_index=True)


def arm_metrics(transaction_model: Any, spend_model: Any, rfm: pd.DataFrame | None, *, edges: np.ndarray, factors: np.ndarray,
                margin: float, weights: np.ndarray | None = None) -> dict[str, float]:
    """The compared quantities of one arm, from its fitted models (see :data:`METRICS`).

    ``ltv`` is :func:`clv.new_customer_value` without the acquisition
    purchase: ``margin * spend * sum_k factors[k] (E[X(t_k)] - E[X(t_{k-1})])``
    with ``t_k = edges``, time 0 being the assignment.

    Parameters
    ----------
    transaction_model, spend_model : fitted models
    rfm : pandas.DataFrame or None
        The arm's customers (for ``p_alive``; ``None``: NaN).
    edges, factors : numpy.ndarray
        Period ends and their discount factors (:func:`clv.valuation.period_edges`,
        :func:`clv.valuation.discount_factors`).
    margin : float
    weights : numpy.ndarray, optional
        Customers per row of ``rfm`` (for a frame of distinct histories).

    Returns
    -------
    dict

    Examples
    --------
    >>> import numpy as np, clv
    >>> bg = clv.BetaGeo.from_params({"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426})
    >>> gg = clv.GammaGamma.from_params({"p": 6.25, "q": 3.74, "v": 15.44})
    >>> rfm = clv.rfm_summary(clv.datasets.load_cdnow(), observation_end="1997-09-30")
    >>> m = arm_metrics(bg, gg, rfm, edges=np.arange(1.0, 53.0), factors=np.ones(52), margin=1.0)
    >>> {k: round(v, 3) for k, v in m.items()}
    {'purchase_rate': 0.055, 'dropout': 0.246, 'p_alive': 0.813, 'spend': 35.219, 'ltv': 50.928}
    """
    p = transaction_model.params_
    dropout = p["a"] / (p["a"] + p["b"]) if "a" in p else p["s"] / p["beta"]
    spend = float(spend_model.population_mean_spend())
    curve = np.asarray(transaction_model.expected_purchases_new(edges), dtype=float)
    return {
        "purchase_rate": float(p["r"] / p["alpha"]),
        "dropout": float(dropout),
        "p_alive": np.nan if rfm is None else float(np.average(transaction_model.probability_alive(rfm).to_numpy(), weights=weights)),
        "spend": spend,
        "ltv": float(margin * spend * np.diff(curve, prepend=0.0) @ factors),
    }


def _lr_test(template: Any, rfm: pd.DataFrame, groups: list[pd.DataFrame], fits: list[Any]) -> tuple[Any, dict[str, float]]:
    pooled = _clone(template).fit(rfm)
    ll_arms = float(sum(m.log_likelihood_ for m in fits))
    stat = max(2.0 * (ll_arms - float(pooled.log_likelihood_)), 0.0)
    df = (len(groups) - 1) * len(pooled.params_)
    return pooled, {"statistic": stat, "df": df, "p_value": float(stats.chi2.sf(stat, df)),
                    "loglik_pooled": float(pooled.log_likelihood_), "loglik_arms": ll_arms}


def _arms_table(groups: list[pd.DataFrame], names: list[Any], tms: list[Any], sms: list[Any]) -> pd.DataFrame:
    table = pd.DataFrame({"n_customers": [len(g) for g in groups], "repeat_buyers": [int((g["frequency"] > 0).sum()) for g in groups],
                          "purchases": [float(g["frequency"].sum()) for g in groups], "mean_T": [float(g["T"].mean()) for g in groups]},
                         index=pd.Index(names, name="arm"))
    return table.join(pd.DataFrame([{**t.params_, **s.params_} for t, s in zip(tms, sms)], index=table.index))


def _clone(model: Any) -> Any:
    return type(model)(**model.get_params())


def check_arms(rfm: Any, arm: str, control: Any) -> tuple[list[Any], Any]:
    """Validate an experiment frame; return the arms (control first) and the control.

    Parameters
    ----------
    rfm : pandas.DataFrame
        ``frequency, recency, T, monetary_value`` and the ``arm`` column.
    arm : str
    control : optional
        Default ``"control"`` when present, else the first arm in sorted order.

    Returns
    -------
    (list, object)

    Examples
    --------
    >>> import pandas as pd
    >>> rfm = pd.DataFrame({"frequency": [1.0, 0.0], "recency": [2.0, 0.0], "T": [5.0, 5.0], "monetary_value": [3.0, 0.0],
    ...                     "arm": ["b", "a"]})
    >>> check_arms(rfm, "arm", None)
    (['a', 'b'], 'a')
    """
    if not isinstance(rfm, pd.DataFrame):
        raise DataError(f"rfm must be a DataFrame (clv.rfm_summary or clv.operations.experiment_rfm), got {type(rfm).__name__}")
    for col in ("frequency", "recency", "T", "monetary_value", arm):
        if col not in rfm.columns:
            raise DataError(f"column '{col}': missing from rfm; join the arm of each customer as column '{arm}'")
    if rfm[arm].isna().any():
        who = rfm.index[rfm[arm].isna().to_numpy()][0]
        raise DataError(f"column '{arm}': customer {who!r} has no arm; drop unassigned customers first")
    names = list(pd.unique(rfm[arm]))
    if len(names) < 2:
        raise DataError(f"column '{arm}': need at least two arms, found {names}")
    if control is None:
        control = "control" if "control" in names else sorted(names, key=str)[0]
    if control not in names:
        raise DataError(f"control={control!r} is not an arm; arms are {names}")
    return [control] + [n for n in names if n != control], control


def ab_test(
    rfm: pd.DataFrame,
    arm: str = "arm",
    control: Any = None,
    model: Any = None,
    spend_model: Any = None,
    horizon: float = 52.0,
    discount_rate: float = 0.1,
    margin: float = 1.0,
    seed: int = 0,
    *,
    time_unit: str = "W",
    n_draws: int = 500,
    interval: float = 0.9,
    within: bool | None = None,
    n_permutations: int = 2000,
) -> ABTest:
    """Compare the arms of an experiment on purchase rate, dropout, P(alive), spend and expected LTV.

    Parameters
    ----------
    rfm : pandas.DataFrame
        ``frequency, recency, T, monetary_value`` per customer with their arm
        in column ``arm``; build it with :func:`experiment_rfm` so that time
        runs from assignment (see the module notes).
    arm : str
        Column holding the arm.
    control : optional
        The control arm; default ``"control"`` when present, else the first
        arm in sorted order. Every other arm is compared with it.
    model, spend_model : unfitted models, optional
        Templates fitted per arm and pooled (fresh copies with the same
        settings): default ``BetaGeo()`` and ``GammaGamma()``.
    horizon : float
        LTV horizon in time units after assignment.
    discount_rate : float
        Annual discount rate.
    margin : float
        Share of revenue kept as margin.
    seed : int
        Seed of the parameter draws.
    time_unit : {"W", "D", "M"}
    n_draws : int
        Parameter draws per arm for intervals and P(treatment better).
    interval : float
        Level of the intervals.
    within : bool or None
        The within-customer design for the purchase rate and LTV
        (:mod:`clv.operations.ab_within`): ``None`` (default) uses it when
        ``rfm`` carries pre-assignment histories
        (``experiment_rfm(..., history=True)``), some customers bought before
        their assignment and the model is BG/NBD or MBG/NBD; ``False`` turns
        it off; ``True`` requires it. ``settings["design"]`` and
        ``settings["design_note"]`` say which design was used and why.
    n_permutations : int
        Random relabellings of the permutation tests
        (:mod:`clv.operations.ab_permutation`): the P(alive) row, and under the
        within-customer design the dropout, P(alive), spend and omnibus rows.

    Returns
    -------
    ABTest

    Examples
    --------
    >>> import clv
    >>> sim = clv.simulate(2000, seed=5, start="2024-01-01", end="2025-01-01", channels={"a": {}, "b": {}})
    >>> rfm = clv.rfm_summary(sim.transactions).join(sim.customers["channel"].rename("arm"))
    >>> res = clv.ab_test(rfm, control="a", margin=0.3, n_draws=100, seed=1)
    >>> res.table["metric"].tolist()
    ['purchase_rate', 'dropout', 'p_alive', 'spend', 'ltv']
    >>> res.tests.columns.tolist()
    ['statistic', 'df', 'p_value', 'loglik_pooled', 'loglik_arms', 'hypothesis']
    """
    from clv.models import BetaGeo, GammaGamma

    names, control = check_arms(rfm, arm, control)
    if not 0 < interval < 1:
        raise DataError(f"interval must lie between 0 and 1, got {interval}")
    if n_draws < 20:
        raise DataError(f"n_draws must be at least 20, got {n_draws}")
    tm_template = model if model is not None else BetaGeo()
    sm_template = spend_model if spend_model is not None else GammaGamma()
    choice = choose_design(rfm, type(tm_template).__name__, within)
    groups = [rfm[rfm[arm] == n] for n in names]
    tms = [_clone(tm_template).fit(g) for g in groups]
    sms = [_clone(sm_template).fit(g) for g in groups]
    tm_pooled, lr_tm = _lr_test(tm_template, rfm, groups, tms)
    sm_pooled, lr_sm = _lr_test(sm_template, rfm, groups, sms)

    edges = period_edges(float(horizon), 1.0)
    factors = discount_factors(edges, discount_rate, time_unit)
    at = {"edges": edges, "factors": factors, "margin": margin}
    histories = [g[["frequency", "recency", "T"]].value_counts(sort=False) for g in groups]  # distinct (x, t_x, T)
    uniq = [(h.index.to_frame(index=False), h.to_numpy(dtype=float)) for h in histories]
    point = [arm_metrics(t, s, u, weights=w, **at) for t, s, (u, w) in zip(tms, sms, uniq)]
    draws = []
    for i, (t, s) in enumerate(zip(tms, sms)):
        td = parameter_draws(t, n_draws, seed=seed + 2 * i)
        sd = parameter_draws(s, n_draws, seed=seed + 2 * i + 1)
        draws.append(pd.DataFrame([arm_metrics(a, b, None, **at) for a, b in zip(td, sd)]))  # P(alive): permutation row
    design = within_design(rfm, arm, names, type(tm_template).__name__, dict(tm_pooled.params_), choice, edges=edges, factors=factors,
                           n_draws=n_draws, seed=seed)
    values = pooled_values(rfm, tm_pooled, sm_pooled, design.pooled)
    permuted, omnibus = permutation_rows(rfm, arm, names, values, {m: b for m, (_, b) in METRICS.items()}, interval=interval,
                                         n_permutations=n_permutations, seed=seed)
    rows, focused = [], {}
    for j in range(1, len(names)):
        replaced = within_rows(design, names[0], names[j], (point[0]["spend"], point[j]["spend"]),
                               (draws[0]["spend"].to_numpy(), draws[j]["spend"].to_numpy()), margin, interval)
        for metric, (_, better) in METRICS.items():
            row = permuted[names[j]].get(metric, replaced.get(metric))
            if metric in FOCUSED_METRICS:
                pair = (sms if metric == "spend" else tms)[0], (sms if metric == "spend" else tms)[j]
                focused[f"{metric}: {names[j]}"] = lr = arm_pair_test(metric, *pair, sm_pooled if metric == "spend" else tm_pooled,
                                                                      groups[0], groups[j])
            if row is None:
                row = compare_draws(point[0][metric], point[j][metric], draws[0][metric].to_numpy(), draws[j][metric].to_numpy(), better,
                                    interval)
                if metric in FOCUSED_METRICS and np.isfinite(lr["p_value"]):
                    row["p_value"], row["test"] = lr["p_value"], "likelihood ratio, 1 df"
            rows.append({"arm": names[j], "metric": metric, **row})
    settings = {"arm": arm, "control": control, "horizon": float(horizon), "discount_rate": discount_rate, "margin": margin,
                "time_unit": time_unit, "n_draws": n_draws, "interval": interval, "seed": seed, "n_permutations": n_permutations,
                "model": type(tm_template).__name__, "spend_model": type(sm_template).__name__,
                "design": "within-customer" if design.used else "post-assignment", "design_note": design.note}
    tests = lr_tests_table(lr_tm, lr_sm, focused)
    if design.used:
        tests["hypothesis"] += REFERENCE_ONLY
        tests = pd.concat([tests, within_tests_table(design.fit), pd.DataFrame.from_dict(omnibus, orient="index")]).rename_axis(tests.index.name)
    return ABTest(
        table=pd.DataFrame(rows),
        tests=tests,
        arms=_arms_table(groups, names, tms, sms),
        models={**{n: (t, s) for n, t, s in zip(names, tms, sms)}, "*": (tm_pooled, sm_pooled)},
        settings=settings,
        within=design.fit,
    )


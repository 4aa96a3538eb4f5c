"""Customer acquisition cost (CAC) against lifetime value (LTV) by acquisition channel.

Definitions (all money figures are margin, i.e. revenue times ``margin``)
-------------------------------------------------------------------------
``ltv_realized``
    Mean over a channel's acquired customers of ``margin * revenue to date``
    (every transaction up to the observation end, the acquisition purchase
    included, refunds subtracted). Undiscounted: it has already happened.
``ltv_expected``
    ``ltv_realized`` plus the mean discounted expected future margin over the
    report horizon (the ``clv`` column of :func:`clv.customer_value`, which
    discounts per period at the annual ``discount_rate``). Customers acquired
    but absent from the transaction log count as zero value, because the
    spend bought them.
``cac``
    Per customer, the ``cost`` column of the acquisition table when filled;
    otherwise the spend of the customer's channel and period divided by the
    customers of that channel acquired in that period whose cost is not
    known individually. A channel's ``cac`` is the mean over its customers
    with a known cost; the same rule gives the CAC of each acquisition
    cohort (channel x month).
``ltv_to_cac``
    ``ltv_expected / cac``. Not applicable (NaN, shown "n/a", never inf) when
    CAC is zero (organic) or unknown.
``ltv_new``
    Expected discounted margin of a *newly acquired* customer of the channel
    over the horizon, from the channel-level parameters: the acquisition
    purchase at time 0 plus the repeat purchases of the new-customer curve,
    ``margin * E[Z] * (1 + sum_k (E[X(t_k)] - E[X(t_{k-1})]) d(t_k))`` with
    ``E[X(t)]`` = ``expected_purchases_new(t)`` (Fader, Hardie & Lee 2005,
    eq. 7), ``E[Z]`` the Gamma-Gamma population mean spend ``p v / (q - 1)``
    (Fader & Hardie 2013) and ``d`` the discount factors of
    :func:`clv.valuation.discount_factors` (see :func:`new_customer_curve`).
``payback_period``
    Time (in the report's time unit) until the cumulative curve of
    ``ltv_new`` reaches CAC, linearly interpolated within the period where it
    crosses; 0 when the acquisition purchase alone covers CAC. When it never
    does within ``payback_horizon`` the period is NaN and
    ``payback_status`` says ``"not within horizon"``.
``prob_ltv_exceeds_cac``
    Share of parameter draws in which the channel's ``ltv_expected`` exceeds
    its CAC: draws from the asymptotic normal of each channel's MLE
    (parametric bootstrap), or posterior draws of a Bayesian model
    (:class:`PosteriorDraws`). ``ltv_lower``/``ltv_upper`` and
    ``ltv_new_lower``/``ltv_new_upper`` are quantiles of the same draws.
    These intervals carry parameter uncertainty only. To keep draws cheap the
    future part of ``ltv_expected`` is re-valued on a random subsample of at
    most ``draw_sample`` customers per channel and applied as a shift from
    the reported point figure (see ``_ltv_expected_draws``).

``share_of_customers``, ``share_of_value``
    A channel's share of the acquired customers, and of their summed
    ``ltv_expected``; customers without an acquisition record are in
    neither (they are counted in the reconciliation).

Everything that does not line up (customers in transactions but not in the
acquisition table and the reverse, acquisitions after the observation end,
spend periods or whole channels with spend but no customers, customers
without any cost data, zero-cost channels, customers whose acquisition date
is after their first purchase) is counted in
:attr:`ChannelReport.reconciliation`; nothing is dropped silently.

Cohorts are calendar months of the acquisition table's ``acquired_at``
(``reconciliation["cohort_date"]``), not of the first purchase; customers
acquired after their first purchase keep their acquisition month and are
counted in ``acquired_after_first_purchase``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

import numpy as np
import pandas as pd

from clv.data.summary import time_unit_days
from clv.errors import ConvergenceError, DataError
from clv.models import BetaGeo, GammaGamma, ModifiedBetaGeo, ParetoNBD
from clv.models.results import FitResult
from clv.valuation import customer_value, discount_factors, in_time_unit, period_edges, valuation_time_unit

__all__ = [
    "ChannelModels",
    "ChannelReport",
    "PosteriorChannelModels",
    "PosteriorDraws",
    "channel_report",
    "fit_channel_models",
    "new_customer_curve",
    "payback_period",
]

Progress = Callable[[str], None] | None
ModelPair = tuple[Any, Any]  # (transaction model, spend model)

_TRANSACTION_MODELS = {"bgnbd": BetaGeo, "mbgnbd": ModifiedBetaGeo, "paretonbd": ParetoNBD}
NOT_WITHIN_HORIZON = "not within horizon"


# -- the new-customer curve and payback ----------------------------------------------------------
def new_customer_curve(
    transaction_model: Any,
    spend_model: Any,
    times: Any,
    *,
    discount_rate: float,
    margin: float = 1.0,
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

    Examples
    --------
    >>> import clv
    >>> rfm = clv.rfm_summary(clv.datasets.load_cdnow(), observation_end="1997-09-30")
    >>> bg, gg = clv.BetaGeo().fit(rfm), clv.GammaGamma().fit(rfm)
    >>> curve = new_customer_curve(bg, gg, [13, 26, 52], discount_rate=0.0)
    >>> bool(abs(curve[-1] - gg.population_mean_spend() * (1 + bg.expected_purchases_new(52))) < 1e-9)
    True
    """
    time_unit = valuation_time_unit(time_unit, (transaction_model,))  # times are in time_unit; the model is converted
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


# -- channel-level models -----------------------------------------------------------------------
class _ChannelValuation:
    """What :func:`channel_report` needs from channel-level models.

    ``point()`` gives one ``{channel: (transaction_model, spend_model)}``
    mapping at the point estimate (``None`` when the point estimate is the
    mean over draws, as for posterior draws); ``draws(n, seed=)`` gives ``n``
    such mappings; ``pair(channel, parameters)`` looks a channel up,
    falling back to the pooled model.
    """

    bayesian = False
    description = ""

    def point(self) -> dict[str, ModelPair] | None:
        raise NotImplementedError

    def draws(self, n: int, *, seed: int) -> list[dict[str, ModelPair]]:
        raise NotImplementedError

    def pair(self, channel: str, parameters: Mapping[str, ModelPair]) -> ModelPair:
        if channel in parameters:
            return parameters[channel]
        if "*" in parameters:
            return parameters["*"]
        raise DataError(f"no model for channel {channel!r} and no pooled model to fall back on")

    def source(self, channel: str) -> str:
        return self.description

    def score(
        self,
        rfm: pd.DataFrame,
        channel_of: pd.Series,
        *,
        horizon: float,
        discount_rate: float,
        margin: float = 1.0,
        time_unit: str = "W",
        period: float = 1.0,
        n_draws: int = 200,
        seed: int | None = None,
    ) -> pd.DataFrame:
        """Score every customer with the models of its channel (:func:`clv.customer_value` columns).

        ``channel_of`` maps ``customer_id`` to channel; customers missing from
        it use the pooled model. With posterior draws the result is the mean
        over ``n_draws`` draws.
        """
        groups = channel_of.reindex(rfm.index).fillna("*").astype(str)
        point = self.point()
        sets = [point] if point is not None else self.draws(n_draws, seed=_need_seed(seed))
        parts = []
        for channel, members in groups.groupby(groups, sort=False).groups.items():
            sub = rfm.loc[members]
            frames = [
                customer_value(*self.pair(channel, params), sub, horizon=horizon, discount_rate=discount_rate,
                               margin=margin, time_unit=time_unit, period=period)
                for params in sets
            ]
            parts.append(frames[0] if len(frames) == 1 else sum(frames) / len(frames))
        return pd.concat(parts).reindex(rfm.index)


@dataclass
class ChannelModels(_ChannelValuation):
    """Maximum-likelihood transaction and spend models fitted per channel.

    Build with :func:`fit_channel_models`, or directly from fitted models.
    Channels without a model of their own (too few customers, or a fit that
    did not converge) use the pooled pair stored under ``"*"``; ``sources``
    says which channel uses what, and why.

    Attributes
    ----------
    transaction_models, spend_models : dict
        ``{channel: fitted model}``; the key ``"*"`` holds the pooled model.
    sources : dict
        ``{channel: "channel MLE" | "pooled MLE (<reason>)"}``.

    Examples
    --------
    A simulated business with two channels of different quality:

    >>> import pandas as pd, clv
    >>> channels = {"email": {"share": 0.6},
    ...             "search": {"share": 0.4, "params": {"r": 0.2, "alpha": 6.0, "a": 0.9, "b": 2.0}}}
    >>> sim = clv.simulate(1000, seed=3, start="2024-01-01", end="2025-01-01", channels=channels)
    >>> rfm = clv.rfm_summary(sim.transactions, observation_end="2024-12-31")
    >>> acquisitions = clv.read_acquisitions(sim.acquisitions)
    >>> models = clv.fit_channel_models(rfm, acquisitions)
    >>> models.sources
    {'*': 'pooled MLE', 'email': 'channel MLE', 'search': 'channel MLE'}
    >>> models.transaction_models["search"]
    BetaGeo(r=0.2074, alpha=8.155, a=0.8479, b=1.247)

    Score each customer with the models of their channel (the columns of
    :func:`clv.customer_value`):

    >>> scores = models.score(rfm, acquisitions.set_index("customer_id")["channel"],
    ...                       horizon=52, discount_rate=0.1, margin=0.3)
    >>> scores["clv"].groupby(acquisitions.set_index("customer_id")["channel"]).mean().round(1)
    channel
    email     10.7
    search     3.3
    Name: clv, dtype: float64
    """

    transaction_models: dict[str, Any]
    spend_models: dict[str, Any]
    sources: dict[str, str] = field(default_factory=dict)
    description = "maximum likelihood per channel; intervals from a parametric bootstrap of each fit"

    def point(self) -> dict[str, ModelPair]:
        return {c: (self.transaction_models[c], self.spend_models[c]) for c in self.transaction_models}

    def source(self, channel: str) -> str:
        if channel in self.sources:
            return self.sources[channel]
        return "channel MLE" if channel in self.transaction_models else "pooled MLE"

    def draws(self, n: int, *, seed: int) -> list[dict[str, ModelPair]]:
        """``n`` parameter sets from each fit's asymptotic normal (channels drawn independently)."""
        if n <= 0:
            return []
        names = sorted(self.transaction_models)
        seeds = np.random.default_rng(seed).integers(0, 2**31 - 1, size=(len(names), 2))
        out: list[dict[str, ModelPair]] = [{} for _ in range(n)]
        for name, (s_t, s_s) in zip(names, seeds):
            tm, sm = self.transaction_models[name], self.spend_models[name]
            t_draws = _sample(tm, n, int(s_t))
            s_draws = _sample(sm, n, int(s_s))
            for i in range(n):
                out[i][name] = (tm.with_params(t_draws[i]), sm.with_params(s_draws[i]))
        return out


def _sample(model: Any, n: int, seed: int) -> np.ndarray:
    """Draws of a fitted model's parameters; the point estimate repeated when its covariance is unknown."""
    cov = model.result_.cov_log
    if not np.all(np.isfinite(cov)):
        return np.tile(model.result_.estimates, (n, 1))
    return model.result_.sample_params(n, seed=seed).to_numpy()


def fit_channel_models(
    rfm: pd.DataFrame,
    acquisitions: pd.DataFrame,
    *,
    transaction_model: str = "bgnbd",
    min_customers: int = 100,
    penalizer: float = 0.0,
    progress: Progress = None,
) -> ChannelModels:
    """Fit a transaction model and a Gamma-Gamma spend model for each channel, plus a pooled pair.

    A channel with fewer than ``min_customers`` customers in ``rfm``, or whose
    fit fails (:class:`clv.ConvergenceError`, or no repeat buyers for the
    spend model), uses the pooled pair; :attr:`ChannelModels.sources`
    records it. For small channels prefer the hierarchical Bayesian model
    (:mod:`clv.bayes`), which pools partially instead.

    Parameters
    ----------
    rfm : pandas.DataFrame
        Output of :func:`clv.rfm_summary`.
    acquisitions : pandas.DataFrame
        Output of :func:`clv.read_acquisitions`.
    transaction_model : {"bgnbd", "mbgnbd", "paretonbd"}
    min_customers : int
        Smallest channel fitted on its own.
    penalizer : float
        Passed to every model.
    progress : callable, optional
        Called with a short text before each fit.

    Returns
    -------
    ChannelModels
        Fitted pairs per channel and the pooled pair under ``"*"``.

    Examples
    --------
    >>> import pandas as pd, clv
    >>> channels = {"email": {"share": 0.6},
    ...             "search": {"share": 0.4, "params": {"r": 0.2, "alpha": 6.0, "a": 0.9, "b": 2.0}}}
    >>> sim = clv.simulate(1000, seed=3, start="2024-01-01", end="2025-01-01", channels=channels)
    >>> rfm = clv.rfm_summary(sim.transactions, observation_end="2024-12-31")
    >>> acquisitions = clv.read_acquisitions(sim.acquisitions)
    >>> models = clv.fit_channel_models(rfm, acquisitions)
    >>> sorted(models.transaction_models), models.spend_models["email"]
    (['*', 'email', 'search'], GammaGamma(p=6.505, q=4.168, v=17.45))

    Channels below ``min_customers`` use the pooled pair:

    >>> clv.fit_channel_models(rfm, acquisitions, min_customers=500).sources["search"]
    'pooled MLE (400 customers < 500)'
    """
    if transaction_model not in _TRANSACTION_MODELS:
        raise DataError(f"transaction_model must be one of {sorted(_TRANSACTION_MODELS)}, got {transaction_model!r}")
    cls = _TRANSACTION_MODELS[transaction_model]
    _say(progress, f"fitting pooled {cls.__name__} + GammaGamma on {len(rfm):,} customers")
    t_models = {"*": cls(penalizer=penalizer).fit(rfm)}
    s_models = {"*": GammaGamma(penalizer=penalizer).fit(rfm)}
    sources = {"*": "pooled MLE"}
    channel_of = acquisitions.set_index("customer_id")["channel"]
    groups = channel_of.reindex(rfm.index)
    if len(rfm) and len(channel_of) and groups.isna().all():
        raise DataError(
            "column 'customer_id': no customer of the transactions appears in the acquisitions "
            f"(transaction ids like {str(rfm.index[0])!r} of type {rfm.index.dtype}, "
            f"acquisition ids like {str(channel_of.index[0])!r} of type {channel_of.index.dtype})"
        )
    for name in sorted(channel_of.unique()):
        sub = rfm.loc[(groups == name).to_numpy()]
        if len(sub) < min_customers:
            sources[name] = f"pooled MLE ({len(sub)} customers < {min_customers})"
            continue
        _say(progress, f"fitting {cls.__name__} + GammaGamma for channel {name!r} ({len(sub):,} customers)")
        try:
            tm = cls(penalizer=penalizer).fit(sub)
            sm = GammaGamma(penalizer=penalizer).fit(sub)
        except (ConvergenceError, DataError) as exc:
            sources[name] = f"pooled MLE (channel fit failed: {str(exc).splitlines()[0][:120]})"
            continue
        t_models[name], s_models[name] = tm, sm
        sources[name] = "channel MLE"
    return ChannelModels(t_models, s_models, sources)


@runtime_checkable
class PosteriorDraws(Protocol):
    """What a Bayesian grouped model provides to the channel report.

    ``group_param_draws(n_draws, seed=)`` returns a long DataFrame with one
    row per (posterior draw, group): a ``draw`` column (int), a ``group``
    column (the channel name; the pooled population may appear as ``"*"``)
    and one column per parameter of the matching MLE model on its natural
    scale (``r, alpha, a, b`` for BG/NBD; ``p, q, v`` for Gamma-Gamma).
    Draws with the same ``draw`` number across groups come from the same
    joint posterior sample, so channel comparisons keep their correlation.
    """

    def group_param_draws(self, n_draws: int, *, seed: int) -> pd.DataFrame: ...


def _fixed_model(cls: type, values: Mapping[str, float]) -> Any:
    """A model of class ``cls`` evaluated at given parameter values (no fit, no covariance)."""
    names = cls.param_names
    k = len(names)
    result = FitResult(model=cls.__name__, param_names=names, estimates=np.array([float(values[n]) for n in names]),
                       cov_log=np.full((k, k), np.nan), log_likelihood=float("nan"), n_obs=0.0, n_unique=0,
                       converged=True, iterations=0, message="posterior draw")
    return cls._from_dict({"settings": cls().get_params(), "result": result.to_dict()})


class PosteriorChannelModels(_ChannelValuation):
    """Channel-level parameters from posterior draws of grouped Bayesian models.

    Parameters
    ----------
    transaction_model, spend_model : PosteriorDraws
        Fitted grouped models (for instance ``clv.bayes.HierarchicalBetaGeo``
        and ``HierarchicalGammaGamma`` with ``group="channel"``) that provide
        :meth:`PosteriorDraws.group_param_draws`.
    transaction_class : type
        MLE class whose maths evaluates a draw (``clv.BetaGeo`` for BG/NBD).

    Examples
    --------
    Usually built from fitted ``clv.bayes`` models,
    ``clv.PosteriorChannelModels(bayes_bg, bayes_gg)``. Any object with
    ``group_param_draws`` will do; here two fixed draws per channel stand in
    for a posterior:

    >>> import pandas as pd, clv
    >>> class FixedDraws:
    ...     def __init__(self, **params):
    ...         rows = [{"draw": d, "group": g, **{k: v[d] for k, v in params.items()}}
    ...                 for d in (0, 1) for g in ("email", "search")]
    ...         self.table = pd.DataFrame(rows)
    ...     def group_param_draws(self, n_draws, *, seed):
    ...         return self.table
    >>> models = clv.PosteriorChannelModels(FixedDraws(r=[0.24, 0.25], alpha=[4.4, 4.6], a=[0.79, 0.8], b=[2.4, 2.5]),
    ...                                     FixedDraws(p=[6.2, 6.3], q=[3.7, 3.8], v=[15.0, 16.0]))
    >>> draws = models.draws(2, seed=0)
    >>> len(draws), sorted(draws[0])
    (2, ['email', 'search'])
    >>> draws[1]["search"]
    (BetaGeo(r=0.25, alpha=4.6, a=0.8, b=2.5), GammaGamma(p=6.3, q=3.8, v=16))
    """

    bayesian = True
    description = "posterior draws of the grouped Bayesian model"

    def __init__(self, transaction_model: Any, spend_model: Any, *, transaction_class: type = BetaGeo) -> None:
        for what, model in (("transaction model", transaction_model), ("spend model", spend_model)):
            if not isinstance(model, PosteriorDraws):
                raise DataError(
                    f"the Bayesian {what} {type(model).__name__} does not provide group_param_draws(n_draws, seed=); "
                    "it cannot feed the channel report yet"
                )
        self.transaction_model = transaction_model
        self.spend_model = spend_model
        self.transaction_class = transaction_class

    def point(self) -> None:
        return None

    def draws(self, n: int, *, seed: int) -> list[dict[str, ModelPair]]:
        """``n`` joint draws: the i-th draw of the transaction model paired with the i-th of the spend model.

        The two models are sampled separately, so their draw numbers mean
        nothing to each other; within one model, rows sharing a draw number
        are one joint sample across channels and stay together.
        """
        if n <= 0:
            return []
        t = self._by_draw(self.transaction_model.group_param_draws(n, seed=seed), self.transaction_class, "transaction")
        s = self._by_draw(self.spend_model.group_param_draws(n, seed=seed + 1), GammaGamma, "spend")
        if len(t) != len(s):
            raise DataError(f"the transaction model gave {len(t)} posterior draws and the spend model {len(s)}")
        out: list[dict[str, ModelPair]] = []
        for td, sd in zip(t, s):
            missing = sorted(set(td) - set(sd))
            if missing:
                raise DataError(f"the spend model has no posterior draws for group(s) {missing}")
            out.append({g: (td[g], sd[g]) for g in td})
        return out

    @staticmethod
    def _by_draw(frame: pd.DataFrame, cls: type, what: str) -> list[dict[str, Any]]:
        """``[{group: fixed model}]`` per draw number, in draw-number order."""
        needed = {"draw", "group", *cls.param_names}
        if not needed <= set(frame.columns):
            raise DataError(f"the {what} model's group_param_draws lacks columns {sorted(needed - set(frame.columns))}")
        grouped: dict[int, dict[str, Any]] = {}
        for row in frame.to_dict("records"):
            grouped.setdefault(int(row["draw"]), {})[str(row["group"])] = _fixed_model(cls, row)
        return [grouped[d] for d in sorted(grouped)]


# -- the report -----------------------------------------------------------------------------------
@dataclass
class ChannelReport:
    """Result of :func:`channel_report`.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per channel (index ``channel``), ranked by ``ltv_to_cac``
        (channels without a ratio last); columns described in
        :data:`TABLE_COLUMNS` and the module notes.
    cohorts : pandas.DataFrame
        The same figures per channel and acquisition month (columns
        ``channel, cohort`` first).
    customers : pandas.DataFrame
        One row per acquired or scored customer: channel, cohort, cost and
        the LTV parts (index ``customer_id``).
    payback_curves : pandas.DataFrame
        Cumulative discounted margin of a new customer per channel (columns)
        at each time (index, time units after acquisition; row 0 is the
        acquisition purchase).
    ltv_draws : pandas.DataFrame
        ``ltv_expected`` per draw (rows) and channel (columns).
    reconciliation : dict
        Counts of everything that did not line up (see the module notes).
    settings : dict
        Horizon, discounting, margin, time unit, interval, draws, seed,
        observation end and the model description.

    Examples
    --------
    >>> import pandas as pd, clv
    >>> channels = {"email": {"share": 0.6},
    ...             "search": {"share": 0.4, "params": {"r": 0.2, "alpha": 6.0, "a": 0.9, "b": 2.0}}}
    >>> sim = clv.simulate(1000, seed=3, start="2024-01-01", end="2025-01-01", channels=channels)
    >>> rfm = clv.rfm_summary(sim.transactions, observation_end="2024-12-31")
    >>> acquisitions = clv.read_acquisitions(sim.acquisitions)
    >>> models = clv.fit_channel_models(rfm, acquisitions)
    >>> spend = clv.read_channel_spend(pd.DataFrame({"channel": ["email", "search"], "spend": [6000.0, 8000.0],
    ...                                               "period": ["2024-01-01/2024-07-01"] * 2}))
    >>> scores = models.score(rfm, acquisitions.set_index("customer_id")["channel"],
    ...                       horizon=52, discount_rate=0.1, margin=0.3)
    >>> report = clv.channel_report(scores, acquisitions, spend=spend, transactions=sim.transactions, rfm=rfm,
    ...                             models=models, horizon=52, discount_rate=0.1, margin=0.3, n_draws=50, seed=1)
    >>> report.table.index.tolist(), report.ltv_draws.shape, report.payback_curves.shape
    (['email', 'search'], (50, 2), (53, 2))
    >>> report.cohorts[["channel", "cohort", "customers", "cac", "ltv_expected"]].head(2).round(2)
      channel   cohort  customers   cac  ltv_expected
    0   email  2024-01        108  10.0         37.14
    1   email  2024-02         91  10.0         52.93
    >>> report.reconciliation["customers_without_acquisition"], sorted(report.to_dict())
    (0, ['channels', 'cohorts', 'reconciliation', 'settings'])
    """

    table: pd.DataFrame
    cohorts: pd.DataFrame
    customers: pd.DataFrame
    payback_curves: pd.DataFrame
    ltv_draws: pd.DataFrame
    reconciliation: dict[str, Any]
    settings: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary for budgeting scripts (NaN becomes ``None``)."""
        return {
            "settings": _jsonable(self.settings),
            "channels": _records(self.table.reset_index()),
            "cohorts": _records(self.cohorts),
            "reconciliation": _jsonable(self.reconciliation),
        }


TABLE_COLUMNS = (
    "customers", "acquired_without_transactions", "spend", "cac", "ltv_realized", "ltv_expected", "ltv_lower",
    "ltv_upper", "ltv_to_cac", "prob_ltv_exceeds_cac", "ltv_new", "ltv_new_lower", "ltv_new_upper",
    "payback_period", "payback_status", "p_alive", "share_of_customers", "share_of_value", "model_source",
)


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return None if not np.isfinite(value) else float(value)
    if isinstance(value, (pd.Timestamp, np.datetime64)):
        return str(pd.Timestamp(value).date())
    if isinstance(value, (np.bool_,)):
        return bool(value)
    return value


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [_jsonable(r) for r in frame.to_dict("records")]


def _show(value: Any) -> str:
    """``repr`` of a customer id without numpy's type wrapper."""
    return repr(value.item() if isinstance(value, np.generic) else value)


def _say(progress: Progress, text: str) -> None:
    if progress is not None:
        progress(text)


def _need_seed(seed: int | None) -> int:
    if seed is None:
        raise DataError("uncertainty draws need an explicit seed (the same seed gives the same report)")
    return int(seed)


def _observation_end(rfm: pd.DataFrame | None, transactions: pd.DataFrame | None, given: Any) -> pd.Timestamp | None:
    if given is not None:
        try:
            return pd.Timestamp(given).normalize()
        except (ValueError, TypeError):
            raise DataError(f"observation_end: cannot parse {given!r} as a date") from None
    if rfm is not None and "observation_end" in rfm.attrs:
        return pd.Timestamp(rfm.attrs["observation_end"])
    if transactions is not None:
        return pd.Timestamp(transactions["date"].max()).normalize()
    return None


def _acquired_after_first_purchase(acq: pd.DataFrame, rfm: pd.DataFrame | None, transactions: pd.DataFrame | None,
                                   end: pd.Timestamp | None) -> int | None:
    """Acquired customers whose acquisition day is after their first purchase day; ``None`` when unknown.

    The first purchase comes from the transaction log, else from the RFM
    frame (observation end minus ``T``).
    """
    if transactions is not None:
        first = transactions.groupby("customer_id")["date"].min().dt.normalize()
    elif rfm is not None and end is not None and "T" in rfm.columns and rfm.attrs.get("time_unit"):
        days = np.rint(rfm["T"].to_numpy(dtype=float) * time_unit_days(str(rfm.attrs["time_unit"])))
        first = pd.Series(end - pd.to_timedelta(days, unit="D"), index=rfm.index)
    else:
        return None
    known = first.reindex(acq["customer_id"]).to_numpy()
    return int((acq["acquired_at"].dt.normalize().to_numpy() > known).sum())


def _allocate_costs(members: pd.DataFrame, spend: pd.DataFrame | None) -> tuple[np.ndarray, list[dict[str, Any]]]:
    """Per-customer cost: own cost, else the spend of its channel and period shared by its uncosted peers.

    Returns the costs (NaN when unknown) and the spend rows that found no customer.
    """
    cost = members["cost"].to_numpy(dtype=float).copy()
    unallocated: list[dict[str, Any]] = []
    if spend is None or spend.empty:
        return cost, unallocated
    day = members["acquired_at"].dt.normalize().to_numpy()
    channel = members["channel"].to_numpy()
    open_ = np.isnan(cost)
    for name, rows in spend.groupby("channel", sort=False):
        rows = rows.sort_values("start")
        mine = np.flatnonzero((channel == name) & open_)
        starts = rows["start"].to_numpy()
        ends = rows["end"].to_numpy()
        k = np.searchsorted(starts, day[mine], side="right") - 1
        inside = (k >= 0) & (day[mine] <= ends[np.maximum(k, 0)])
        counts = np.bincount(k[inside], minlength=len(rows))
        amounts = rows["spend"].to_numpy(dtype=float)
        per_head = np.divide(amounts, counts, out=np.full(len(rows), np.nan), where=counts > 0)
        cost[mine[inside]] = per_head[k[inside]]
        for j in np.flatnonzero(counts == 0):
            unallocated.append({"channel": name, "period": rows["period"].iloc[j], "spend": float(amounts[j])})
    return cost, unallocated


def _revenue_to_date(scores: pd.DataFrame, transactions: pd.DataFrame | None, end: pd.Timestamp | None) -> tuple[pd.Series, int]:
    if "revenue_to_date" in scores.columns:
        return scores["revenue_to_date"].astype(float), 0
    if transactions is None:
        raise DataError(
            "channel_report needs transactions= (the log from clv.read_transactions) or a 'revenue_to_date' "
            "column in scores to compute the realized LTV"
        )
    if not {"customer_id", "date", "amount"} <= set(transactions.columns):
        raise DataError("column 'amount': transactions must be the output of clv.read_transactions")
    keep = np.ones(len(transactions), bool) if end is None else (transactions["date"] < end + pd.Timedelta(days=1)).to_numpy()
    revenue = transactions.loc[keep].groupby("customer_id")["amount"].sum()
    return revenue, int((~keep).sum())


def _check_scores(scores: Any) -> pd.DataFrame:
    if not isinstance(scores, pd.DataFrame):
        raise DataError(f"scores must be a DataFrame from clv.customer_value, got {type(scores).__name__}")
    if "clv" not in scores.columns:
        raise DataError(
            f"column 'clv': missing from scores (pass the output of clv.customer_value); columns found: {list(scores.columns)}"
        )
    if scores.index.has_duplicates:
        dup = scores.index[scores.index.duplicated()][0]
        raise DataError(f"scores: customer {_show(dup)} appears twice in the index (expected one row per customer_id)")
    bad = ~np.isfinite(scores["clv"].to_numpy(dtype=float))
    if bad.any():
        raise DataError(f"column 'clv': missing or non-finite value for customer {_show(scores.index[int(np.argmax(bad))])}")
    return scores


def _check_acquisitions(acquisitions: Any) -> pd.DataFrame:
    if not isinstance(acquisitions, pd.DataFrame) or not {"customer_id", "channel", "acquired_at"} <= set(acquisitions.columns):
        raise DataError("acquisitions must be the output of clv.read_acquisitions (customer_id, channel, acquired_at)")
    if "cost" not in acquisitions.columns:
        acquisitions = acquisitions.assign(cost=np.nan)
    if acquisitions["customer_id"].duplicated().any():
        dup = acquisitions.loc[acquisitions["customer_id"].duplicated(), "customer_id"].iloc[0]
        raise DataError(f"column 'customer_id': customer {_show(dup)} is listed twice in the acquisitions")
    return acquisitions


def _group_mean(values: np.ndarray, codes: np.ndarray, k: int) -> np.ndarray:
    counts = np.bincount(codes, minlength=k).astype(float)
    sums = np.bincount(codes, weights=values, minlength=k)
    return np.divide(sums, counts, out=np.full(k, np.nan), where=counts > 0)


def channel_report(
    scores: pd.DataFrame,
    acquisitions: pd.DataFrame,
    *,
    spend: pd.DataFrame | None = None,
    transactions: pd.DataFrame | None = None,
    rfm: pd.DataFrame | None = None,
    models: Any = None,
    horizon: float = 52.0,
    discount_rate: float = 0.1,
    margin: float = 1.0,
    time_unit: str = "W",
    period: float = 1.0,
    interval: float = 0.9,
    n_draws: int = 200,
    seed: int | None = None,
    payback_horizon: float | None = None,
    observation_end: Any = None,
    draw_sample: int = 300,
    progress: Progress = None,
) -> ChannelReport:
    """CAC versus LTV per acquisition channel and per acquisition cohort.

    Parameters
    ----------
    scores : pandas.DataFrame
        Per-customer output of :func:`clv.customer_value` (index
        ``customer_id``), computed with the same ``horizon``,
        ``discount_rate``, ``margin``, ``time_unit`` and ``period``; ideally
        with the channel-level models (``models.score(...)``). Optional
        ``revenue_to_date`` replaces ``transactions``.
    acquisitions : pandas.DataFrame
        Output of :func:`clv.read_acquisitions`.
    spend : pandas.DataFrame, optional
        Output of :func:`clv.read_channel_spend`.
    transactions : pandas.DataFrame, optional
        Output of :func:`clv.read_transactions`, for the realized margin.
    rfm : pandas.DataFrame, optional
        The RFM frame the scores came from; needed (with ``models``) for the
        interval of ``ltv_expected`` and ``prob_ltv_exceeds_cac``.
    models : ChannelModels or PosteriorChannelModels, optional
        Channel-level parameters (:func:`fit_channel_models` or the
        hierarchical Bayesian model wrapped in
        :class:`PosteriorChannelModels`). Without it the new-customer
        columns, payback and the probability are NaN, and ``ltv_lower`` /
        ``ltv_upper`` are the channel means of ``clv_lower`` / ``clv_upper``
        when the scores have them.
    horizon, discount_rate, margin, time_unit, period
        As in :func:`clv.customer_value`.
    interval : float
        Width of the reported intervals (0.9 = 5% to 95% quantiles).
    n_draws : int
        Parameter draws (bootstrap or posterior) for intervals and
        ``prob_ltv_exceeds_cac``; 0 skips them.
    seed : int, optional
        Required when draws are taken.
    payback_horizon : float, optional
        How far to look for payback (time units); defaults to ``horizon``.
    observation_end : date-like, optional
        End of the observed period; defaults to ``rfm.attrs`` or the last
        transaction day.
    draw_sample : int
        Customers per channel re-valued under each draw (a random subsample;
        the draws shift the full-data figure, see the module notes).
    progress : callable, optional
        Called with a short text at each long step.

    Returns
    -------
    ChannelReport

    Examples
    --------
    Six months of acquisition spend on a simulated business whose
    ``search`` customers buy less often and leave sooner:

    >>> import pandas as pd, clv
    >>> channels = {"email": {"share": 0.6},
    ...             "search": {"share": 0.4, "params": {"r": 0.2, "alpha": 6.0, "a": 0.9, "b": 2.0}}}
    >>> sim = clv.simulate(1000, seed=3, start="2024-01-01", end="2025-01-01", channels=channels)
    >>> rfm = clv.rfm_summary(sim.transactions, observation_end="2024-12-31")
    >>> acquisitions = clv.read_acquisitions(sim.acquisitions)
    >>> models = clv.fit_channel_models(rfm, acquisitions)
    >>> spend = clv.read_channel_spend(pd.DataFrame({"channel": ["email", "search"], "spend": [6000.0, 8000.0],
    ...                                               "period": ["2024-01-01/2024-07-01"] * 2}))
    >>> scores = models.score(rfm, acquisitions.set_index("customer_id")["channel"],
    ...                       horizon=52, discount_rate=0.1, margin=0.3)
    >>> report = clv.channel_report(scores, acquisitions, spend=spend, transactions=sim.transactions, rfm=rfm,
    ...                             models=models, horizon=52, discount_rate=0.1, margin=0.3, n_draws=50, seed=1)
    >>> report.table[["customers", "cac", "ltv_expected", "ltv_to_cac", "prob_ltv_exceeds_cac", "ltv_new", "payback_period"]].round(2)
             customers   cac  ltv_expected  ltv_to_cac  prob_ltv_exceeds_cac  ltv_new  payback_period
    channel
    email          600  10.0         35.33        3.53                   1.0    27.20             0.0
    search         400  20.0         18.63        0.93                   0.0    14.19             NaN
    >>> report.table["payback_status"].tolist()
    ['paid back at acquisition', 'not within horizon']
    """
    scores = _check_scores(scores)
    acquisitions = _check_acquisitions(acquisitions)
    if not 0 <= margin <= 1:
        raise DataError(f"margin must lie between 0 and 1, got {margin}")
    if not 0 < interval < 1:
        raise DataError(f"interval must lie between 0 and 1, got {interval}")
    payback_horizon = float(horizon if payback_horizon is None else payback_horizon)
    end = _observation_end(rfm, transactions, observation_end)
    recon: dict[str, Any] = {}

    # -- who is in, and what they cost ---------------------------------------------------------
    acq = acquisitions.copy()
    late = np.zeros(len(acq), bool) if end is None else (acq["acquired_at"] >= end + pd.Timedelta(days=1)).to_numpy()
    recon["acquisitions_after_observation_end"] = int(late.sum())
    acq = acq.loc[~late].reset_index(drop=True)
    scored = scores.index
    in_acq = pd.Index(acq["customer_id"])
    orphans = scored.difference(in_acq)
    recon["customers_scored"] = len(scored)
    recon["customers_in_acquisitions"] = len(acq)
    recon["customers_without_acquisition"] = len(orphans)
    recon["value_of_customers_without_acquisition"] = float(scores.loc[orphans, "clv"].sum()) if len(orphans) else 0.0
    no_tx = ~in_acq.isin(scored)
    recon["acquisitions_without_transactions"] = int(no_tx.sum())

    recon["acquired_after_first_purchase"] = _acquired_after_first_purchase(acq, rfm, transactions, end)
    recon["cohort_date"] = "acquired_at"
    cost, unallocated = _allocate_costs(acq, spend)
    acq["cost"] = cost
    acq["cohort"] = acq["acquired_at"].dt.to_period("M").astype(str)
    revenue, tx_after = _revenue_to_date(scores, transactions, end)
    recon["transactions_after_observation_end"] = tx_after
    acq["scored"] = ~no_tx
    acq["revenue_to_date"] = revenue.reindex(acq["customer_id"]).fillna(0.0).to_numpy()
    acq["ltv_realized"] = margin * acq["revenue_to_date"]
    acq["clv"] = scores["clv"].reindex(acq["customer_id"]).fillna(0.0).to_numpy()
    acq["ltv_expected"] = acq["ltv_realized"] + acq["clv"]
    for col in ("p_alive", "clv_lower", "clv_upper"):
        if col in scores.columns:
            acq[col] = scores[col].reindex(acq["customer_id"]).to_numpy()

    channels_acq = list(pd.unique(acq["channel"]))
    spend_channels = [] if spend is None else list(pd.unique(spend["channel"]))
    no_customers = [c for c in spend_channels if c not in channels_acq]
    names = channels_acq + no_customers
    k = len(names)
    code = pd.Categorical(acq["channel"], categories=names).codes
    recon["channels_with_spend_but_no_customers"] = no_customers
    recon["spend_without_customers"] = unallocated
    recon["spend_without_customers_total"] = float(sum(u["spend"] for u in unallocated))
    recon["customers_without_cost"] = int(np.isnan(cost).sum())
    recon["customers_without_cost_by_channel"] = {
        str(c): int(n) for c, n in acq.loc[np.isnan(cost), "channel"].value_counts().items()
    }
    recon["customers_with_own_cost"] = int(acquisitions["cost"].notna().sum())
    recon["acquisitions_without_transactions_by_channel"] = {
        str(c): int(n) for c, n in acq.loc[no_tx, "channel"].value_counts().items()
    }

    # -- point figures per channel ------------------------------------------------------------
    n_cust = np.bincount(code, minlength=k).astype(float)
    known = ~np.isnan(cost)
    cost_sum = np.bincount(code[known], weights=cost[known], minlength=k).astype(float)
    cost_n = np.bincount(code[known], minlength=k)
    cac = np.divide(cost_sum, cost_n, out=np.full(k, np.nan), where=cost_n > 0)
    total_spend = cost_sum.copy()
    for u in unallocated:
        total_spend[names.index(u["channel"])] += u["spend"]
    has_spend_info = cost_n > 0
    total_spend[~has_spend_info & (total_spend == 0)] = np.nan
    recon["zero_cost_channels"] = [names[i] for i in range(k) if has_spend_info[i] and cac[i] == 0]
    recon["channels_without_cost_data"] = [names[i] for i in range(k) if not has_spend_info[i] and n_cust[i] > 0]

    realized = _group_mean(acq["ltv_realized"].to_numpy(), code, k)
    expected = _group_mean(acq["ltv_expected"].to_numpy(), code, k)
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = np.where((cac > 0) & np.isfinite(cac), expected / np.where(cac > 0, cac, 1.0), np.nan)
    p_alive = _group_mean(acq["p_alive"].fillna(0.0).to_numpy(), code, k) if "p_alive" in acq else np.full(k, np.nan)
    value_total = np.bincount(code, weights=acq["ltv_expected"].to_numpy(), minlength=k)
    table = pd.DataFrame(
        {
            "customers": n_cust.astype(int),
            "acquired_without_transactions": np.bincount(code[no_tx], minlength=k),
            "spend": total_spend,
            "cac": cac,
            "ltv_realized": realized,
            "ltv_expected": expected,
            "ltv_lower": np.nan,
            "ltv_upper": np.nan,
            "ltv_to_cac": ratio,
            "prob_ltv_exceeds_cac": np.nan,
            "ltv_new": np.nan,
            "ltv_new_lower": np.nan,
            "ltv_new_upper": np.nan,
            "payback_period": np.nan,
            "payback_status": "no channel model",
            "p_alive": p_alive,
            "share_of_customers": n_cust / max(n_cust.sum(), 1.0),
            "share_of_value": value_total / value_total.sum() if value_total.sum() > 0 else np.nan,
            "model_source": "",
        },
        index=pd.Index(names, name="channel"),
    )
    if "clv_lower" in acq and models is None:
        table["ltv_lower"] = _group_mean((acq["ltv_realized"] + acq["clv_lower"].fillna(0.0)).to_numpy(), code, k)
        table["ltv_upper"] = _group_mean((acq["ltv_realized"] + acq["clv_upper"].fillna(0.0)).to_numpy(), code, k)
    table.loc[table["customers"] == 0, ["ltv_realized", "ltv_expected", "share_of_value"]] = np.nan

    # -- channel-level models: new-customer value, payback, draws -----------------------------
    grid = period_edges(payback_horizon, period)
    curves = pd.DataFrame(index=pd.Index(np.r_[0.0, grid], name="time"))
    draws_frame = pd.DataFrame(columns=names, dtype=float)
    if models is not None:
        point = models.point()
        sets: list[dict[str, ModelPair]] = []
        if point is None and n_draws <= 0:
            raise DataError("a Bayesian channel model needs n_draws > 0 (its estimates are means over posterior draws)")
        if n_draws > 0:
            _say(progress, f"drawing {n_draws} parameter sets for intervals ({models.description})")
            sets = models.draws(n_draws, seed=_need_seed(seed))
        new_grid = period_edges(float(horizon), period)
        new_draws = np.full((len(sets), k), np.nan)
        for name in channels_acq:
            j = names.index(name)
            if point is not None:
                tm, sm = models.pair(name, point)
                curve = new_customer_curve(tm, sm, grid, discount_rate=discount_rate, margin=margin, time_unit=time_unit)
                first = margin * float(sm.population_mean_spend())
                ltv_new = new_customer_curve(tm, sm, new_grid, discount_rate=discount_rate, margin=margin,
                                             time_unit=time_unit)[-1]
            else:
                per = [new_customer_curve(*models.pair(name, s), grid, discount_rate=discount_rate, margin=margin,
                                          time_unit=time_unit) for s in sets]
                curve = np.mean(per, axis=0)
                first = float(np.mean([margin * models.pair(name, s)[1].population_mean_spend() for s in sets]))
                ltv_new = np.nan  # the mean over draws, filled below
            curves[name] = np.r_[first, curve]
            t, status = payback_period(grid, curve, cac[j], first=first)
            table.iloc[j, table.columns.get_loc("ltv_new")] = ltv_new
            table.iloc[j, table.columns.get_loc("payback_period")] = t
            table.iloc[j, table.columns.get_loc("payback_status")] = status
            table.iloc[j, table.columns.get_loc("model_source")] = models.source(name)
            for d, s in enumerate(sets):
                new_draws[d, j] = new_customer_curve(*models.pair(name, s), new_grid, discount_rate=discount_rate,
                                                     margin=margin, time_unit=time_unit)[-1]
        if sets:
            if rfm is None:
                raise DataError("channel_report: pass rfm= (the RFM frame behind the scores) to draw LTV intervals")
            draws_frame = _ltv_expected_draws(acq, rfm, models, sets, point, names, expected, sample=draw_sample,
                                              seed=_need_seed(seed), horizon=horizon, discount_rate=discount_rate,
                                              margin=margin, time_unit=time_unit, period=period, progress=progress)
            tail = (1 - interval) / 2
            lo, hi = np.quantile(draws_frame.to_numpy(), [tail, 1 - tail], axis=0)
            table["ltv_lower"], table["ltv_upper"] = lo, hi
            nlo, nhi = np.quantile(new_draws, [tail, 1 - tail], axis=0)
            table["ltv_new_lower"], table["ltv_new_upper"] = nlo, nhi
            if models.bayesian:
                table["ltv_new"] = np.nanmean(new_draws, axis=0)
            with np.errstate(invalid="ignore"):
                prob = (draws_frame.to_numpy() > cac[None, :]).mean(axis=0)
            table["prob_ltv_exceeds_cac"] = np.where((cac > 0) & np.isfinite(cac), prob, np.nan)
    table.loc[table["customers"] == 0, ["payback_status"]] = "no customers"
    table.loc[(table["customers"] > 0) & (table["cac"] == 0) & (table["payback_status"] == "no channel model"),
              "payback_status"] = "no acquisition cost"
    table = _rank(table)

    cohorts = _cohort_table(acq, margin)
    customers = acq.set_index("customer_id")
    if len(orphans):
        extra = pd.DataFrame(index=pd.Index(orphans, name="customer_id"))
        extra["channel"] = np.nan
        extra["revenue_to_date"] = revenue.reindex(orphans).fillna(0.0).to_numpy()
        extra["ltv_realized"] = margin * extra["revenue_to_date"]
        extra["clv"] = scores.loc[orphans, "clv"].to_numpy()
        extra["ltv_expected"] = extra["ltv_realized"] + extra["clv"]
        if "p_alive" in scores.columns:
            extra["p_alive"] = scores.loc[orphans, "p_alive"].to_numpy()
        customers = pd.concat([customers, extra])
    settings = {
        "horizon": float(horizon), "payback_horizon": payback_horizon, "discount_rate": float(discount_rate),
        "margin": float(margin), "time_unit": time_unit, "period": float(period), "interval": float(interval),
        "n_draws": int(n_draws) if models is not None else 0, "seed": seed,
        "observation_end": None if end is None else str(end.date()),
        "model": "none (scores only)" if models is None else models.description,
    }
    return ChannelReport(table, cohorts, customers, curves, draws_frame, recon, settings)


def _ltv_expected_draws(
    acq: pd.DataFrame, rfm: pd.DataFrame, models: Any, sets: list[dict[str, ModelPair]], point: dict[str, ModelPair] | None,
    names: list[str], centre: np.ndarray, *, sample: int, seed: int, horizon: float, discount_rate: float, margin: float,
    time_unit: str, period: float, progress: Progress,
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
    per draw instead of the whole channel.
    """
    rng = np.random.default_rng(seed)
    out = np.full((len(sets), len(names)), np.nan)
    scored = acq.loc[acq["scored"]]
    missing = pd.Index(scored["customer_id"]).difference(rfm.index)
    if len(missing):
        raise DataError(f"rfm: customer {_show(missing[0])} has scores but no row in the RFM frame")
    for j, name in enumerate(names):
        n_all = int((acq["channel"] == name).sum())
        ids = scored.loc[scored["channel"] == name, "customer_id"].to_numpy()
        if not n_all:
            continue
        if not len(ids):
            out[:, j] = centre[j]
            continue
        if len(ids) > sample:
            ids = rng.choice(ids, size=sample, replace=False)
        _say(progress, f"valuing {len(ids):,} customers of {name!r} under {len(sets)} draws")
        sub = rfm.loc[ids]
        sub.attrs = {}  # pandas deep-copies attrs on every column access; the draws do not need them

        def future(pair: ModelPair, sub: pd.DataFrame = sub) -> float:
            return float(customer_value(*pair, sub, horizon=horizon, discount_rate=discount_rate, margin=margin,
                                        time_unit=time_unit, period=period)["clv"].mean())

        values = np.array([future(models.pair(name, s)) for s in sets])
        ref = future(models.pair(name, point)) if point is not None else float(values.mean())
        out[:, j] = centre[j] + len(scored.loc[scored["channel"] == name]) / n_all * (values - ref)
    return pd.DataFrame(out, columns=names)


def _rank(table: pd.DataFrame) -> pd.DataFrame:
    key = table["ltv_to_cac"].fillna(-np.inf)
    order = np.lexsort((-table["ltv_expected"].fillna(-np.inf).to_numpy(), -key.to_numpy()))
    return table.iloc[order]


def _cohort_table(acq: pd.DataFrame, margin: float) -> pd.DataFrame:
    """Customers, cost and LTV per channel and acquisition month."""
    known = acq["cost"].notna()
    grouped = acq.assign(_known=known, _cost=acq["cost"].fillna(0.0)).groupby(["channel", "cohort"], sort=True)
    out = grouped.agg(
        customers=("customer_id", "size"),
        cost_known=("_known", "sum"),
        spend=("_cost", "sum"),
        ltv_realized=("ltv_realized", "mean"),
        ltv_expected=("ltv_expected", "mean"),
    )
    if "p_alive" in acq:
        out["p_alive"] = grouped["p_alive"].mean()
    out["cac"] = np.where(out["cost_known"] > 0, out["spend"] / out["cost_known"].clip(lower=1), np.nan)
    out.loc[out["cost_known"] == 0, "spend"] = np.nan
    with np.errstate(invalid="ignore", divide="ignore"):
        out["ltv_to_cac"] = np.where(out["cac"] > 0, out["ltv_expected"] / out["cac"].where(out["cac"] > 0, 1.0), np.nan)
        out["realized_to_cac"] = np.where(out["cac"] > 0, out["ltv_realized"] / out["cac"].where(out["cac"] > 0, 1.0), np.nan)
    out = out.drop(columns="cost_known").reset_index()
    cols = ["channel", "cohort", "customers", "spend", "cac", "ltv_realized", "ltv_expected", "ltv_to_cac", "realized_to_cac"]
    return out[cols + [c for c in out.columns if c not in cols]]

"""The customer base of a channel report: everything :func:`clv.channel_report` reads per customer, behind one interface.

The channel report has a per-customer phase (who belongs to which channel and
cohort, what each customer cost, the realized and expected value, the
reconciliation counts, and the customers re-valued under parameter draws or
simulated) and a model phase (new-customer value, payback, intervals). The
model phase needs from the customers only

* the reconciliation counts (:attr:`CustomerBase.recon`), the report's
  channels and the spend rows that found no customer;
* per-channel and per-(channel, cohort) *sums* (:meth:`CustomerBase.channel_sums`,
  :meth:`CustomerBase.cohort_sums`), from which the means, CAC, ratios and
  shares are computed once (:func:`clv.channels.report.point_table`,
  :func:`clv.channels.cohorts.cohort_figures`);
* the RFM rows of a few sampled customers per channel
  (:meth:`CustomerBase.draw_rows`, :meth:`CustomerBase.sim_rows`), picked by
  the rules written here (:func:`draw_positions`, :func:`sample_positions`);
* the per-customer table itself, for ``customers.csv`` (:meth:`CustomerBase.customers`).

:class:`FrameBase` implements it on pandas frames (what :func:`clv.channel_report`
always did); :class:`clv.duckdb.channel_base.DuckBase` in SQL, so that a base of
tens of millions of customers never comes into memory.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from clv.channels.cohorts import cohort_sums
from clv.channels.costs import acquired_customers, channel_names, reconcile_costs
from clv.checks import show_id
from clv.errors import DataError

__all__ = ["ChannelSample", "CustomerBase", "FrameBase", "FrameSamples", "channel_sums", "draw_positions", "frame_sample",
           "sample_positions"]

SUM_COLUMNS = ("customers", "acquired_without_transactions", "cost_known", "cost_sum", "ltv_realized", "ltv_expected")
"""Columns of :meth:`CustomerBase.channel_sums` always present (``p_alive``, ``ltv_lower``, ``ltv_upper`` when scored)."""


class ChannelSample(NamedTuple):
    """The customers of one channel simulated for its future-margin interval (:func:`clv.channels.uncertainty.channel_totals`).

    ``rows`` are the RFM rows: every scored customer of the channel (``picked_score`` None) or the
    :func:`sample_positions` of them; ``picked_score`` and ``total_score`` are the summed auxiliary score of the
    rows and of the whole channel; ``size`` the channel's scored customers.
    """

    rows: pd.DataFrame
    picked_score: float | None
    total_score: float | None
    size: int


def sample_positions(n: int, sample: int, seed: int) -> np.ndarray:
    """Sorted positions of the ``sample`` customers (of ``n``) simulated for a channel's future-margin interval.

    Parameters
    ----------
    n : int
        Scored customers of the channel (more than ``sample``).
    sample : int
        Customers simulated.
    seed : int
        The report's seed; the positions come from its child stream ``SeedSequence(seed, spawn_key=(16,))``.

    Returns
    -------
    numpy.ndarray
        Ascending positions in the channel's scored customers (acquisition order).

    Examples
    --------
    >>> sample_positions(10, 3, seed=1).tolist() == sorted(sample_positions(10, 3, seed=1).tolist())
    True
    """
    return np.sort(np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(16,))).choice(n, sample, replace=False))


def draw_positions(rng: np.random.Generator, n: int, sample: int) -> np.ndarray | None:
    """Positions of the customers re-valued under parameter draws: ``None`` (all ``n``) up to ``sample``, else a draw of ``rng``.

    ``rng.choice(ids, size=sample, replace=False)`` equals ``ids[rng.choice(len(ids), size=sample, replace=False)]``
    for the same generator state (NumPy draws the positions, then takes them), so a base that keeps its ids
    elsewhere picks the same customers in the same order from the same generator.

    Parameters
    ----------
    rng : numpy.random.Generator
        The report's generator, shared by the channels in report order.
    n : int
        Scored customers of the channel.
    sample : int
        Largest number re-valued.

    Returns
    -------
    numpy.ndarray or None
        Positions in the channel's scored customers (acquisition order), in the order drawn.

    Examples
    --------
    >>> import numpy as np
    >>> ids = np.arange(100) * 7
    >>> picked = ids[draw_positions(np.random.default_rng(3), 100, 5)]
    >>> bool((picked == np.random.default_rng(3).choice(ids, size=5, replace=False)).all())
    True
    """
    return rng.choice(n, size=sample, replace=False) if n > sample else None


def frame_sample(rfm: pd.DataFrame, score: np.ndarray, sample: int, seed: int) -> ChannelSample:
    """The :class:`ChannelSample` of a channel whose scored customers are the rows of ``rfm`` (``score`` in their order)."""
    n = len(rfm)
    if n <= sample:
        return ChannelSample(rfm, None, None, n)
    picked = sample_positions(n, sample, seed)
    return ChannelSample(rfm.iloc[picked], float(np.sum(score[picked])), float(np.sum(score)), n)


class CustomerBase(ABC):
    """What the channel report reads per customer (see the module notes).

    Attributes
    ----------
    recon : dict
        The reconciliation counts of the per-customer phase, in report order.
    names : list of str
        The report's channels: acquisition channels in order of first acquisition, then channels with spend only.
    channels : list of str
        The acquisition channels alone (the first part of ``names``).
    no_customers : list of str
        Channels with spend but no acquired customer.
    unallocated : list of dict
        Spend rows that found no customer (``channel``, ``period``, ``spend``).
    has_rfm : bool
        Whether the RFM rows behind the scores are there (needed by the draws and simulations).
    """

    recon: dict[str, Any]
    names: list[str]
    channels: list[str]
    no_customers: list[str]
    unallocated: list[dict[str, Any]]
    has_rfm: bool

    @abstractmethod
    def channel_sums(self) -> pd.DataFrame:
        """Sums per channel of ``names`` (index ``channel``): :data:`SUM_COLUMNS`, then ``p_alive`` (missing P(alive) as 0),
        ``ltv_lower`` / ``ltv_upper`` (``ltv_realized`` plus ``clv_lower`` / ``clv_upper``, missing as 0) when scored."""

    @abstractmethod
    def cohort_sums(self) -> pd.DataFrame:
        """Sums per ``channel, cohort`` (sorted), as :func:`clv.channels.cohorts.cohort_sums`."""

    @abstractmethod
    def draw_rows(self, name: str, rng: np.random.Generator, sample: int) -> tuple[pd.DataFrame | None, int, int]:
        """RFM rows of the customers of ``name`` re-valued under the draws (:func:`draw_positions`), scored and all customers."""

    @abstractmethod
    def has_members(self, name: str) -> bool:
        """Whether channel ``name`` has acquired customers."""

    @abstractmethod
    def sim_rows(self, name: str, sample: int, seed: int) -> ChannelSample:
        """The :class:`ChannelSample` of channel ``name`` (a channel with customers)."""

    @abstractmethod
    def customers(self) -> Any:
        """One row per acquired customer (acquisition order) then per scored customer without acquisition record (by id)."""


def channel_sums(acq: pd.DataFrame, names: list[str]) -> pd.DataFrame:
    """:meth:`CustomerBase.channel_sums` of the per-customer table ``acq`` (:func:`clv.channels.costs.acquired_customers`)."""
    k = len(names)
    code = pd.Categorical(acq["channel"], categories=names).codes
    cost = acq["cost"].to_numpy(dtype=float)
    known = ~np.isnan(cost)
    realized = acq["ltv_realized"].to_numpy()
    out = pd.DataFrame({
        "customers": np.bincount(code, minlength=k),
        "acquired_without_transactions": np.bincount(code[~acq["scored"].to_numpy(dtype=bool)], minlength=k),
        "cost_known": np.bincount(code[known], minlength=k),
        "cost_sum": np.bincount(code[known], weights=cost[known], minlength=k).astype(float),
        "ltv_realized": np.bincount(code, weights=realized, minlength=k),
        "ltv_expected": np.bincount(code, weights=acq["ltv_expected"].to_numpy(), minlength=k),
    }, index=pd.Index(names, name="channel"))
    if "p_alive" in acq:
        out["p_alive"] = np.bincount(code, weights=acq["p_alive"].fillna(0.0).to_numpy(), minlength=k)
    if "clv_lower" in acq:
        out["ltv_lower"] = np.bincount(code, weights=(acq["ltv_realized"] + acq["clv_lower"].fillna(0.0)).to_numpy(), minlength=k)
        out["ltv_upper"] = np.bincount(code, weights=(acq["ltv_realized"] + acq["clv_upper"].fillna(0.0)).to_numpy(), minlength=k)
    return out


class FrameSamples:
    """The sampled RFM rows of the draws and simulations, from the per-customer table ``acq`` and the RFM frame (pandas).

    Parameters
    ----------
    acq : pandas.DataFrame
        The acquired customers (``customer_id``, ``channel``, ``scored``; ``clv`` optional).
    rfm : pandas.DataFrame or None
        The RFM frame of the scored customers.
    expected_revenue : pandas.Series, optional
        The auxiliary score of the sampled totals (:func:`clv.channels.uncertainty.future_margin_draws`);
        default ``acq["clv"]``, else ones.
    """

    def __init__(self, acq: pd.DataFrame, rfm: pd.DataFrame | None, expected_revenue: pd.Series | None = None) -> None:
        self.acq, self.rfm, self.expected_revenue = acq, rfm, expected_revenue
        self.has_rfm = rfm is not None
        self._scored: pd.DataFrame | None = None

    def scored(self) -> pd.DataFrame:
        """The scored acquired customers, checked against the RFM frame once."""
        if self._scored is None:
            scored = self.acq.loc[self.acq["scored"]]
            missing = pd.Index(scored["customer_id"]).difference(self.rfm.index)  # type: ignore[union-attr]
            if len(missing):
                raise DataError(f"rfm: customer {show_id(missing[0])} has scores but no row in the RFM frame")
            self._scored = scored
        return self._scored

    def has_members(self, name: str) -> bool:
        """Whether channel ``name`` has acquired customers."""
        return bool((self.acq["channel"] == name).any())

    def draw_rows(self, name: str, rng: np.random.Generator, sample: int) -> tuple[pd.DataFrame | None, int, int]:
        """See :meth:`CustomerBase.draw_rows`."""
        scored = self.scored()
        n_all = int((self.acq["channel"] == name).sum())
        ids = scored.loc[scored["channel"] == name, "customer_id"].to_numpy()
        if not n_all or not len(ids):
            return None, len(ids), n_all
        picked = draw_positions(rng, len(ids), sample)
        sub = self.rfm.loc[ids if picked is None else ids[picked]]  # type: ignore[union-attr]
        sub.attrs = {}  # pandas deep-copies attrs on every column access; the draws do not need them
        return sub, len(ids), n_all

    def sim_rows(self, name: str, sample: int, seed: int) -> ChannelSample:
        """See :meth:`CustomerBase.sim_rows`."""
        members = self.acq.loc[self.acq["channel"] == name]
        scored = members.loc[members["scored"]]
        score = (self.expected_revenue.reindex(scored["customer_id"]).to_numpy(dtype=float) if self.expected_revenue is not None
                 else scored["clv"].to_numpy(dtype=float) if "clv" in scored else np.ones(len(scored)))
        return frame_sample(self.rfm.loc[scored["customer_id"]], score, sample, seed)  # type: ignore[union-attr]


class FrameBase(FrameSamples, CustomerBase):
    """The customer base of pandas frames: the scores, acquisitions, spend, transactions and RFM frame of :func:`clv.channel_report`.

    Parameters
    ----------
    scores, acquisitions, spend, transactions, rfm
        As in :func:`clv.channel_report` (``acquisitions`` checked by
        :func:`clv.channels.costs.check_acquisitions`).
    end : pandas.Timestamp or None
        The observation end.
    margin : float
        Share of revenue kept.

    Examples
    --------
    >>> import clv
    >>> sim = clv.simulate(300, seed=3, start="2024-01-01", end="2025-01-01", channels={"email": {"share": 1.0}})
    >>> rfm = clv.rfm_summary(sim.transactions, observation_end="2024-12-31")
    >>> scores = clv.customer_value(clv.BetaGeo().fit(rfm), clv.GammaGamma().fit(rfm), rfm, horizon=52, discount_rate=0.1)
    >>> base = FrameBase(scores, clv.read_acquisitions(sim.acquisitions), None, sim.transactions, rfm,
    ...                  pd.Timestamp("2024-12-31"), 0.3)
    >>> base.names, int(base.channel_sums().loc["email", "customers"])
    (['email'], 300)
    """

    def __init__(self, scores: pd.DataFrame, acquisitions: pd.DataFrame, spend: pd.DataFrame | None,
                 transactions: pd.DataFrame | None, rfm: pd.DataFrame | None, end: pd.Timestamp | None, margin: float) -> None:
        self.recon: dict[str, Any] = {}
        acq, self.orphans, self.revenue, self.unallocated = acquired_customers(scores, acquisitions, spend, transactions, end,
                                                                               margin, self.recon, rfm=rfm)
        super().__init__(acq, rfm, scores["expected_revenue"] if "expected_revenue" in scores else None)
        self.names, self.no_customers = channel_names(acq, spend)
        self.channels = self.names[:len(self.names) - len(self.no_customers)]
        reconcile_costs(acq, acquisitions, self.no_customers, self.unallocated, self.recon)
        self.scores, self.margin = scores, margin

    def channel_sums(self) -> pd.DataFrame:
        """See :meth:`CustomerBase.channel_sums`."""
        return channel_sums(self.acq, self.names)

    def cohort_sums(self) -> pd.DataFrame:
        """See :meth:`CustomerBase.cohort_sums`."""
        return cohort_sums(self.acq)

    def customers(self) -> pd.DataFrame:
        """One row per acquired or scored customer (index ``customer_id``); customers without an acquisition record last."""
        customers = self.acq.set_index("customer_id")
        orphans = self.orphans
        if len(orphans):
            extra = pd.DataFrame(index=pd.Index(orphans, name="customer_id"))
            extra["channel"] = np.nan
            extra["revenue_to_date"] = self.revenue.reindex(orphans).fillna(0.0).to_numpy()
            extra["ltv_realized"] = self.margin * extra["revenue_to_date"]
            extra["clv"] = self.scores.loc[orphans, "clv"].to_numpy()
            extra["ltv_expected"] = extra["ltv_realized"] + extra["clv"]
            if "p_alive" in self.scores.columns:
                extra["p_alive"] = self.scores.loc[orphans, "p_alive"].to_numpy()
            customers = pd.concat([customers, extra])
        return customers

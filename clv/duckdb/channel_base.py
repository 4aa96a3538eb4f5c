"""The channel report's customer base in DuckDB: the per-customer phase of :func:`clv.channel_report` in SQL.

:class:`DuckBase` answers :class:`clv.channels.base.CustomerBase` over the
DuckDB scores table, the summary table (which holds ``revenue_to_date``), the
acquisitions (a :class:`clv.duckdb.DuckAcquisitions` view or a pandas frame)
and the spend table (small, pandas). One table is built once in DuckDB, in
the order of ``customers.csv``: the acquired customers in acquisition order
(position, channel, cohort, cost, scored, the LTV parts, the rank among the
channel's scored customers), then the scored customers without an acquisition
record by id. The reconciliation counts, the per-channel and per-cohort sums
and the per-customer view (a plain scan of the table: every later pass over
it, the CSV file, the histogram, the P(alive) mix, is one scan, not a join)
are queries on it, and only the customers that the draws and simulations
sample come back to Python. Memory
is DuckDB's own (capped by its ``memory_limit``; it spills), whatever the
number of customers.

Numbers: the counts are exact and every per-customer figure is the same
arithmetic as the pandas base's (the same bits). The sums are DuckDB's
compensated ``fsum`` (Kahan-Babuska), so they do not depend on the order in
which DuckDB's threads add; NumPy adds in another order (``bincount`` plainly,
pandas' group sums compensated), so sums and the means, CAC and shares made
from them agree with the pandas base to about 1e-15 relative on the test data
(tested to 1e-12), and to a few 1e-12 on channels of hundreds of thousands of
customers, where the plain NumPy sum is the less exact of the two. The sampled
customers are the same ones, so the draws and simulated totals are the same
given the same sums.

:func:`channel_report` is :func:`clv.channel_report` for the inputs of
:func:`clv.duckdb.report_inputs` (the model phase is the same code,
:func:`clv.channels.report.build_report`).
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
import pandas as pd

from clv.channels.base import ChannelSample, CustomerBase, draw_positions, sample_positions
from clv.channels.costs import check_acquisitions, record_costs, record_membership, spend_shares
from clv.channels.report import ChannelReport, build_report
from clv.checks import check_margin
from clv.data.summary import time_unit_days
from clv.duckdb.fitting import acquisitions_view
from clv.duckdb.session import quote
from clv.errors import DataError

__all__ = ["DuckBase", "channel_report"]

_names = itertools.count()
_OPTIONAL = ("p_alive", "clv_lower", "clv_upper")


def _acquisitions(con: Any, acquisitions: Any) -> str:
    """SQL naming the acquisition rows (``customer_id, channel, acquired_at, cost``, cost NULL when unknown), in input order."""
    if hasattr(acquisitions, "table") and hasattr(acquisitions, "channels"):  # a clv.duckdb.DuckAcquisitions: its own table
        return acquisitions_view(con, acquisitions)
    frame = check_acquisitions(acquisitions)[["customer_id", "channel", "acquired_at", "cost"]]
    name = f"clv_base_acq_{next(_names)}"
    con.register(name, frame.assign(cost=frame["cost"].astype(float)))
    return (f"(SELECT customer_id, CAST(channel AS VARCHAR) AS channel, acquired_at, "
            f"CASE WHEN isnan(cost) THEN NULL ELSE cost END AS cost FROM {quote(name)})")


class DuckBase(CustomerBase):
    """The customer base of a channel report held in DuckDB (see the module notes).

    Parameters
    ----------
    con : duckdb.DuckDBPyConnection
    scores_table : str
        The scores (:func:`clv.duckdb.score_channels`): ``customer_id``, ``clv``, optional ``p_alive``, ``clv_lower``,
        ``clv_upper`` and ``expected_revenue`` (the auxiliary score of the sampled totals; else ``clv``).
    rfm : clv.duckdb.DuckRFM
        The summary behind the scores (``revenue_to_date``, ``T`` and the RFM columns of the sampled rows).
    acquisitions : clv.duckdb.DuckAcquisitions or pandas.DataFrame
        The acquisition table.
    spend : pandas.DataFrame or None
        Output of :func:`clv.read_channel_spend`.
    margin : float
        Share of revenue kept.
    end : date-like, optional
        The observation end (default the summary's).

    Examples
    --------
    >>> import clv, clv.duckdb
    >>> from clv.datasets import data_path
    >>> inputs = clv.duckdb.report_inputs(data_path("demo/transactions.csv"), data_path("demo/acquisitions.csv"),
    ...                                   observation_end="2025-12-31", margin=0.3, collect=False)
    >>> base = DuckBase(inputs.duck_rfm.con, inputs.scores_table, inputs.duck_rfm, inputs.acquisitions, None, margin=0.3)
    >>> int(base.channel_sums()["customers"].sum()) == base.recon["customers_in_acquisitions"]
    True
    """

    def __init__(self, con: Any, scores_table: str, rfm: Any, acquisitions: Any, spend: pd.DataFrame | None, *,
                 margin: float, end: Any = None) -> None:
        self.con, self.rfm, self.margin, self.has_rfm = con, rfm, check_margin(margin), True
        self.end = pd.Timestamp(end if end is not None else rfm.observation_end).normalize()
        self.acq = _acquisitions(con, acquisitions)
        present = {r[0] for r in con.execute(f"DESCRIBE SELECT * FROM {scores_table}").fetchall()}
        if "clv" not in present:
            raise DataError("column 'clv': missing from scores (pass the output of clv.duckdb.score_channels)")
        self.optional = [c for c in _OPTIONAL if c in present]
        self.score = "expected_revenue" if "expected_revenue" in present else "clv"
        self.scored_rows = (f"(SELECT s.customer_id, s.clv, {''.join(f's.{c}, ' for c in self.optional)}s.{self.score} AS _score, "
                            f'r.revenue_to_date, r."T" AS _t FROM {scores_table} s JOIN {rfm.table} r USING (customer_id))')
        self.members = quote(f"clv_base_customers_{next(_names)}")  # acquired customers (acquisition order), then the others (by id)
        self.acquired = f"(SELECT * FROM {self.members} WHERE _member)"
        self.day = f"DATE '{self.end.date()}'"
        replaced = self._build(spend)
        self._sums: pd.DataFrame | None = None
        self._membership(spend, replaced)

    def _build(self, spend: pd.DataFrame | None) -> dict[str, float]:
        """The table of acquired customers (one scan of the acquisitions, the scores and the summary); the replaced spend."""
        con, m = self.con, f"{float(self.margin)!r}::DOUBLE"
        shares, replaced = "(SELECT NULL::VARCHAR AS channel, NULL::DATE AS day, NULL::DOUBLE AS share WHERE FALSE)", {}
        self.unallocated: list[dict[str, Any]] = []
        if spend is not None and not spend.empty:
            days = con.execute(f"SELECT channel, CAST(acquired_at AS DATE) AS day, count(*) AS n, count(cost) AS own FROM {self.acq} "
                               f"WHERE CAST(acquired_at AS DATE) <= {self.day} GROUP BY ALL").df()
            day = pd.to_datetime(days["day"]).to_numpy().astype(spend["start"].to_numpy().dtype)
            share, self.unallocated, replaced = spend_shares(days["channel"].to_numpy(dtype=object), day,
                                                             days["n"].to_numpy(dtype=float), days["own"].to_numpy(dtype=float), spend)
            name = f"clv_base_shares_{next(_names)}"
            con.register(name, days[["channel", "day"]].assign(share=share).loc[np.isfinite(share)])
            shares = f"(SELECT channel, CAST(day AS DATE) AS day, share FROM {quote(name)})"
        optional = "".join(f"s.{c}, " for c in self.optional)
        revenue = "coalesce(s.revenue_to_date, 0.0::DOUBLE)"
        members = (
            f"SELECT TRUE AS _member, a._pos, a.customer_id, a.channel, a.acquired_at, coalesce(a.cost, sh.share) AS cost, "
            f"strftime(a.acquired_at, '%Y-%m') AS cohort, s.customer_id IS NOT NULL AS scored, {revenue} AS revenue_to_date, "
            f"{m} * {revenue} AS ltv_realized, coalesce(s.clv, 0.0::DOUBLE) AS clv, {m} * {revenue} + coalesce(s.clv, 0.0::DOUBLE) "
            f"AS ltv_expected, {optional}s._score, s._t, CAST(a.acquired_at AS DATE) AS _day, "
            "CASE WHEN s.customer_id IS NOT NULL THEN row_number() OVER (PARTITION BY a.channel, s.customer_id IS NOT NULL "
            "ORDER BY a._pos) - 1 END AS _k "
            f"FROM (SELECT row_number() OVER () - 1 AS _pos, * FROM {self.acq}) a "
            f"LEFT JOIN {self.scored_rows} s ON s.customer_id = a.customer_id "
            f"LEFT JOIN {shares} sh ON sh.channel = a.channel AND sh.day = CAST(a.acquired_at AS DATE) "
            f"WHERE CAST(a.acquired_at AS DATE) <= {self.day}")
        orphans = (f"SELECT FALSE AS _member, s.customer_id, {revenue} AS revenue_to_date, {m} * {revenue} AS ltv_realized, s.clv, "
                   f"{m} * {revenue} + s.clv AS ltv_expected{', s.p_alive' if 'p_alive' in self.optional else ''}, s._score, s._t "
                   f"FROM {self.scored_rows} s WHERE NOT EXISTS (SELECT 1 FROM m WHERE m.customer_id = s.customer_id)")
        con.execute(f"CREATE OR REPLACE TABLE {self.members} AS WITH m AS ({members}) SELECT * FROM "
                    f"(SELECT * FROM m UNION ALL BY NAME {orphans}) ORDER BY _member DESC, _pos, customer_id")
        return replaced

    def _by_channel(self, where: str) -> dict[str, int]:
        """Members meeting ``where`` per channel, most first (ties in order of first acquisition)."""
        rows = self.con.execute(f"SELECT channel, count(*) FROM {self.acquired} WHERE {where} GROUP BY channel "
                                "ORDER BY count(*) DESC, min(_pos)").fetchall()
        return {str(c): int(n) for c, n in rows}

    def _membership(self, spend: pd.DataFrame | None, replaced: dict[str, float]) -> None:
        """The reconciliation counts (:func:`clv.channels.costs.record_membership` and ``record_costs``) and the channels."""
        con, days = self.con, time_unit_days(self.rfm.time_unit)
        late, own = con.execute(f"SELECT count(*) FILTER (WHERE CAST(acquired_at AS DATE) > {self.day}), count(cost) FROM {self.acq}").fetchall()[0]
        members, no_tx, realized, future, after_first, no_cost = con.execute(
            f"SELECT count(*), count(*) FILTER (WHERE NOT scored), coalesce(fsum(ltv_realized), 0), coalesce(fsum(clv), 0), "
            f"count(*) FILTER (WHERE _day > {self.day} - CAST(round_even(_t * {days!r}, 0) AS INTEGER)), "
            f"count(*) FILTER (WHERE cost IS NULL) FROM {self.acquired}").fetchall()[0]
        scored = con.execute(f"SELECT count(*) FILTER (WHERE scored OR NOT _member) FROM {self.members}").fetchall()[0][0]
        orphans, orphan_future, orphan_revenue = con.execute(
            f"SELECT count(*), coalesce(fsum(clv), 0), coalesce(fsum(revenue_to_date), 0) FROM {self.members} WHERE NOT _member").fetchall()[0]
        self.recon: dict[str, Any] = {}
        record_membership(self.recon, late=late, scored=scored, members=members, orphans=orphans,
                          orphan_future=float(orphan_future) if orphans else 0.0, no_tx=no_tx, after_first=int(after_first),
                          replaced=replaced, tx_after=0, orphan_realized=self.margin * float(orphan_revenue) if orphans else 0.0,
                          realized=float(realized), future=float(future))
        self.channels = [str(r[0]) for r in con.execute(f"SELECT channel FROM {self.acquired} GROUP BY channel ORDER BY min(_pos)").fetchall()]
        spend_channels = [] if spend is None else [str(c) for c in pd.unique(spend["channel"])]
        self.no_customers = [c for c in spend_channels if c not in self.channels]
        self.names = self.channels + self.no_customers
        record_costs(self.recon, no_customers=self.no_customers, unallocated=self.unallocated, without_cost=no_cost,
                     without_cost_by_channel=self._by_channel("cost IS NULL"), own_cost=own,
                     no_tx_by_channel=self._by_channel("NOT scored"))

    def channel_sums(self) -> pd.DataFrame:
        """See :meth:`clv.channels.base.CustomerBase.channel_sums` (sums in DuckDB's order)."""
        if self._sums is None:
            extra = "".join(", fsum(coalesce(p_alive, 0.0)) AS p_alive" if c == "p_alive" else
                            f", fsum(ltv_realized + coalesce({c}, 0.0)) AS ltv_{c.split('_')[1]}" for c in self.optional)
            sums = self.con.execute(
                f"SELECT channel, count(*) AS customers, count(*) FILTER (WHERE NOT scored) AS acquired_without_transactions, "
                f"count(cost) AS cost_known, coalesce(fsum(cost), 0.0) AS cost_sum, fsum(ltv_realized) AS ltv_realized, "
                f"fsum(ltv_expected) AS ltv_expected{extra}, count(*) FILTER (WHERE scored) AS _scored FROM {self.acquired} "
                "GROUP BY channel").df()
            sums = sums.set_index(sums["channel"].astype(str)).drop(columns="channel").reindex(self.names).fillna(0)
            for col in ("customers", "acquired_without_transactions", "cost_known", "_scored"):
                sums[col] = sums[col].astype(np.int64)
            sums.index.name = "channel"
            self._sums = sums
        return self._sums.drop(columns="_scored")

    def cohort_sums(self) -> pd.DataFrame:
        """See :meth:`clv.channels.base.CustomerBase.cohort_sums` (sums in DuckDB's order)."""
        p_alive = ", coalesce(fsum(p_alive), 0.0) AS p_alive, count(p_alive) AS p_alive_n" if "p_alive" in self.optional else ""
        out = self.con.execute(
            f"SELECT channel, cohort, count(*) AS customers, count(cost) AS cost_known, coalesce(fsum(cost), 0.0) AS spend, "
            f"fsum(ltv_realized) AS ltv_realized, fsum(ltv_expected) AS ltv_expected{p_alive} FROM {self.acquired} "
            "GROUP BY channel, cohort ORDER BY channel, cohort").df()
        for col in ("customers", "cost_known", "p_alive_n"):
            if col in out:
                out[col] = out[col].astype(np.int64)
        out["channel"], out["cohort"] = out["channel"].astype(str), out["cohort"].astype(str)
        return out

    def has_members(self, name: str) -> bool:
        """Whether channel ``name`` has acquired customers."""
        return bool(self.channel_sums().loc[name, "customers"] > 0)

    def _counts(self, name: str) -> tuple[int, int]:
        self.channel_sums()
        row = self._sums.loc[name]  # type: ignore[union-attr]
        return int(row["_scored"]), int(row["customers"])

    def _rows(self, name: str, positions: np.ndarray | None, n: int) -> pd.DataFrame:
        """The RFM rows (index ``customer_id``) and ``_score`` of the scored customers of ``name`` at ``positions`` (all when None),
        in the order of ``positions``."""
        cols = ", ".join(f"r.{quote(c)}" for c in self.rfm.columns)
        picked = np.arange(n) if positions is None else np.asarray(positions, dtype=np.int64)
        key = f"clv_base_pick_{next(_names)}"
        self.con.register(key, pd.DataFrame({"_k": picked, "_o": np.arange(len(picked))}))
        try:
            frame = self.con.execute(
                f"SELECT {cols}, m._score FROM {self.members} m JOIN {quote(key)} p USING (_k) JOIN {self.rfm.table} r "
                f"USING (customer_id) WHERE m.channel = ? AND m.scored ORDER BY p._o", [name]).df()
        finally:
            self.con.unregister(key)
        return frame.set_index("customer_id")

    def draw_rows(self, name: str, rng: np.random.Generator, sample: int) -> tuple[pd.DataFrame | None, int, int]:
        """See :meth:`clv.channels.base.CustomerBase.draw_rows`: :func:`clv.channels.base.draw_positions` picks, DuckDB fetches."""
        n_scored, n_all = self._counts(name) if name in self.channels else (0, 0)
        if not n_all or not n_scored:
            return None, n_scored, n_all
        return self._rows(name, draw_positions(rng, n_scored, sample), n_scored).drop(columns="_score"), n_scored, n_all

    def sim_rows(self, name: str, sample: int, seed: int) -> ChannelSample:
        """See :meth:`clv.channels.base.CustomerBase.sim_rows` (the channel's summed score from DuckDB)."""
        n = self._counts(name)[0]
        if n <= sample:
            return ChannelSample(self._rows(name, None, n).drop(columns="_score"), None, None, n)
        rows = self._rows(name, sample_positions(n, sample, seed), n)
        total = self.con.execute(f"SELECT fsum(_score) FROM {self.members} WHERE channel = ? AND scored", [name]).fetchall()[0][0]
        return ChannelSample(rows.drop(columns="_score"), float(np.sum(rows["_score"].to_numpy(dtype=float))), float(total), n)

    def customers(self) -> str:
        """Name of a view of the per-customer table: the rows and columns of the pandas base's, in its order.

        The rows are those of the base table, stored in that order (DuckDB keeps the insertion order of a plain scan).
        """
        view = quote(f"clv_base_customers_view_{next(_names)}")
        cols = ["customer_id", "channel", "acquired_at", "cost", "cohort", "scored", "revenue_to_date", "ltv_realized", "clv",
                "ltv_expected", *self.optional]
        self.con.execute(f"CREATE OR REPLACE VIEW {view} AS SELECT {', '.join(cols)} FROM {self.members}")
        return view


def channel_report(
    inputs: Any, *, spend: pd.DataFrame | None = None, models: Any = None, horizon: float | None = 52.0, discount_rate: float = 0.1,
    margin: float = 1.0, time_unit: str = "W", period: float = 1.0, interval: float = 0.9, n_draws: int = 200, seed: int | None = None,
    payback_horizon: float | None = None, observation_end: Any = None, draw_sample: int = 300, progress: Any = None,
    other_models: Any = None, n_sims: int = 500,
) -> ChannelReport:
    """:func:`clv.channel_report` on the inputs of :func:`clv.duckdb.report_inputs`, with the customer base kept in DuckDB.

    The per-customer phase runs in SQL (:class:`DuckBase`); the model phase is
    the pandas report's own code. ``customers`` of the result is a
    :class:`clv.duckdb.DuckRows` over the per-customer view (its name when
    that class is not available).

    Parameters
    ----------
    inputs : clv.duckdb.DuckInputs
        The summary, channel models, scores table and acquisitions (``collect`` not needed).
    spend : pandas.DataFrame, optional
        Output of :func:`clv.read_channel_spend`.
    models : ChannelModels, optional
        Default ``inputs.models``.
    horizon, discount_rate, margin, time_unit, period, interval, n_draws, seed, payback_horizon : optional
    observation_end, draw_sample, progress, other_models, n_sims : optional
        As in :func:`clv.channel_report`; ``horizon``, ``discount_rate``, ``margin``, ``time_unit`` and ``period``
        should be those the scores were computed with.

    Returns
    -------
    clv.ChannelReport

    Examples
    --------
    >>> import clv, clv.duckdb
    >>> from clv.datasets import data_path
    >>> inputs = clv.duckdb.report_inputs(data_path("demo/transactions.csv"), data_path("demo/acquisitions.csv"),
    ...                                   observation_end="2025-12-31", margin=0.3, collect=False)
    >>> report = clv.duckdb.channel_report(inputs, margin=0.3, n_draws=0)
    >>> len(report.table) == inputs.acquisitions["channel"].nunique(), len(report.customers) == inputs.duck_rfm.customers
    (True, True)
    """
    rfm = inputs.duck_rfm
    base = DuckBase(rfm.con, inputs.scores_table, rfm, inputs.acquisitions, spend, margin=margin, end=observation_end)
    report = build_report(base, base.end, models=inputs.models if models is None else models, horizon=horizon,
                          discount_rate=discount_rate, margin=margin, time_unit=time_unit, period=period, interval=interval,
                          n_draws=n_draws, seed=seed, payback_horizon=payback_horizon, draw_sample=draw_sample, progress=progress,
                          other_models=other_models, n_sims=n_sims)
    try:
        from clv.duckdb.rows import DuckRows
    except ImportError:  # pragma: no cover - until the per-customer rows class is there
        return report
    report.customers = DuckRows(rfm.con, report.customers)
    return report

"""The report's lifecycle section computed chunk by chunk from the DuckDB summary and scores.

:func:`clv.reports.lifecycle_section.lifecycle_extra` builds one table with a
row per customer (stage, RFM scores, segment, value tier, value at risk) and
reads the stage mix and the watchlist from it: about 0.25 kB per customer.
Here the same function runs on slices of ``chunk_size`` customers, in
customer order: one stream over the summary, the scores and each customer's
channel, joined by position (all three are in customer order, one row per
customer), so there is no join and no sort of the whole base. What depends on
the whole base (the quantile RFM scores and the value tiers) is counted once
(the recency gaps grouped in SQL; frequency, spend and value from one sorted
column each) and handed to each slice as a
:class:`clv.segments.rfm.BaseRanks`; the stage and tier counts per channel and
the top of the watchlist are kept as the slices go by. Memory holds one slice,
the watchlist and three sorted columns (8 bytes per customer each, less with
ties), and the outputs equal those of the whole table.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from clv.data.summary import purchase_history
from clv.duckdb.fitting import acquisitions_view
from clv.duckdb.scoring import channels_table, ordered
from clv.duckdb.session import quote
from clv.errors import DataError
from clv.reports.lifecycle_section import lifecycle_extra as frame_lifecycle_extra
from clv.segments import STAGES, VALUE_TIERS, churn_watchlist
from clv.segments.lifecycle import UNASSIGNED
from clv.segments.rfm import BaseRanks, recency_gap

__all__ = ["lifecycle_extra"]

_RFM = ("frequency", "recency", "T", "monetary_value")


def _gap_counts(con: Any, rfm_table: str) -> tuple[np.ndarray, np.ndarray]:
    """Distinct rounded ``T - recency`` values (ascending) and, per value, the customers with a strictly longer gap."""
    pairs = con.execute(f'SELECT "T", recency, count(*) AS n FROM {rfm_table} GROUP BY ALL').df()
    gap = recency_gap(pairs)
    values, inverse = np.unique(gap, return_inverse=True)
    counts = np.bincount(inverse.reshape(-1), weights=pairs["n"].to_numpy(dtype=float), minlength=len(values)).astype(np.int64)
    longer = counts[::-1].cumsum()[::-1] - counts
    return values, longer


class _Standing:
    """Where values stand in one column of the whole base: the customers with a strictly lower or higher value.

    The column is fetched once and sorted in NumPy (8 bytes per customer; ties are kept as distinct values and the
    position of their first copy when that is smaller), which replaces a ``rank()`` window over the base and its
    join back: ``below(v)`` equals ``rank() OVER (ORDER BY col) - 1`` and ``above(v)``
    ``rank() OVER (ORDER BY col DESC) - 1``.
    """

    def __init__(self, con: Any, table: str, column: str) -> None:
        values = con.execute(f"SELECT {quote(column)} FROM {table}").fetchnumpy()[column]
        values = np.array(values, dtype=float) if not (isinstance(values, np.ndarray) and values.flags.writeable) else values
        values.sort()
        self.total = len(values)
        starts = np.flatnonzero(np.r_[True, values[1:] != values[:-1]]) if len(values) else np.zeros(0, dtype=np.int64)
        if 2 * len(starts) < len(values):
            self.values, self.edges = values[starts], np.r_[starts, len(values)]
        else:
            self.values, self.edges = values, None

    def _position(self, v: np.ndarray, side: str) -> np.ndarray:
        # Keys in ascending order: NumPy then starts each search where the last one ended, which is 4-5x faster on a
        # sorted base of tens of millions than keys in customer order (every search a fresh walk through memory).
        v = np.asarray(v, dtype=float)
        order = np.argsort(v, kind="stable")
        at = np.empty(len(v), dtype=np.int64)
        at[order] = np.searchsorted(self.values, v[order], side=side)  # type: ignore[call-overload]
        return at if self.edges is None else self.edges[at]

    def below(self, v: np.ndarray) -> np.ndarray:
        """Customers with a strictly lower value, per value of ``v``."""
        return self._position(v, "left")

    def above(self, v: np.ndarray) -> np.ndarray:
        """Customers with a strictly higher value, per value of ``v``."""
        return self.total - self._position(v, "right")


def _channels(con: Any, rfm: Any, scores_table: str, acquisitions: Any) -> str:
    """The table of each summary row's channel in customer order: the one scoring filled, else made here by one join."""
    table = channels_table(scores_table)
    found = con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = ?", [table.strip('"')]).fetchall()[0][0]
    if not found:
        acq = acquisitions_view(con, acquisitions)
        con.execute(f"CREATE OR REPLACE TEMP TABLE {table} AS SELECT CAST(a.channel AS VARCHAR) AS channel FROM {rfm.table} r "
                    f"LEFT JOIN {acq} a USING (customer_id) ORDER BY r.customer_id")
    return table


def _query(con: Any, rfm: Any, scores_table: str, channels: str) -> str:
    """Every scored customer in customer order: the scores, the RFM columns and the channel.

    The summary, the scores and the channels are in the same (customer) order, one row per customer, so they are
    joined by position: no hash join and no sort of the whole base.
    """
    rfm_cols = ", ".join(f'r."{c}" AS "_rfm_{c}"' for c in _RFM)
    return (f"SELECT s.*, r.revenue_to_date, {rfm_cols}, c.channel AS _channel, r.customer_id AS _rid "
            f"FROM {scores_table} s POSITIONAL JOIN {rfm.table} r POSITIONAL JOIN {channels} c{ordered(con)}")


def _crosstab(group: np.ndarray, labels: list[str], column: pd.Series) -> pd.DataFrame:
    """``pd.crosstab(labels[group], column.astype(str))`` by counting codes (same rows, columns and counts)."""
    codes, uniques = pd.factorize(column)
    keep = codes >= 0
    width = len(uniques)
    cells = np.bincount(group[keep] * width + codes[keep], minlength=len(labels) * width).reshape(len(labels), width)
    frame = pd.DataFrame(cells, index=pd.Index(labels), columns=[str(u) for u in uniques])
    frame = frame.loc[cells.sum(axis=1) > 0]
    return frame.groupby(level=0).sum().sort_index(axis=1) if frame.index.has_duplicates else frame.sort_index().sort_index(axis=1)


class _Tally:
    """Stage and tier counts per channel and the running top of the watchlist."""

    def __init__(self, top: int) -> None:
        self.top = top
        self.stages: list[pd.DataFrame] = []
        self.tiers: list[pd.DataFrame] = []
        self.watch: pd.DataFrame | None = None

    def add(self, table: pd.DataFrame) -> None:
        codes, uniques = pd.factorize(table["channel"])
        labels = [str(u) for u in uniques] + [UNASSIGNED]
        group = np.where(codes < 0, len(uniques), codes)
        self.stages.append(_crosstab(group, labels, table["stage"]))
        self.tiers.append(_crosstab(group, labels, table["value_tier"]))
        part = churn_watchlist(table, top=self.top)
        self.watch = part if self.watch is None else churn_watchlist(pd.concat([self.watch, part]), top=self.top)

    def mix(self) -> tuple[pd.DataFrame, pd.Series, pd.Series]:
        """The table of :func:`clv.lifecycle_mix` by channel, and the stage and tier counts of the whole base."""
        stages = pd.concat(self.stages).groupby(level=0).sum().reindex(columns=list(STAGES), fill_value=0)
        tiers = pd.concat(self.tiers).groupby(level=0).sum().reindex(columns=list(VALUE_TIERS), fill_value=0)
        stages, tiers = stages.sort_index(), tiers.reindex(stages.sort_index().index, fill_value=0)
        size = stages.sum(axis=1)
        out = pd.concat([size.rename("customers"), stages.div(size, axis=0), tiers.div(size, axis=0)], axis=1).astype(float)
        total_stages, total_tiers = stages.sum(), tiers.sum()
        n = int(size.sum())
        out.loc["all"] = [n, *(total_stages / n).to_numpy(), *(total_tiers / n).to_numpy()]
        out["customers"] = out["customers"].astype(int)
        out.index.name = "channel"
        return out, total_stages, total_tiers


def lifecycle_extra(
    inputs: Any,
    *,
    top: int = 200,
    seed: int = 0,
    chunk_size: int = 250_000,
    transactions: pd.DataFrame | None = None,
) -> dict[str, Any]:
    """What the report's lifecycle section needs, computed slice by slice from :func:`clv.duckdb.report_inputs`.

    Parameters
    ----------
    inputs : clv.duckdb.DuckInputs
        The summary, channel models and scores table in DuckDB.
    top : int
        Length of ``watchlist.csv``.
    seed : int
        As in :func:`clv.reports.lifecycle_section.lifecycle_extra`.
    chunk_size : int
        Customers per slice.
    transactions : pandas.DataFrame, optional
        The log, when small enough to hold: adds the CRM columns of the
        watchlist (last purchase, purchases, AOV).

    Returns
    -------
    dict
        ``{"lifecycle_tables": (mix, watchlist), "lifecycle_counts": (stage
        counts, tier counts), "lifecycle_options", "watchlist_top"}``, for
        ``write_report(extra=...)``; the tables equal those that
        :class:`clv.reports.lifecycle_section.LifecycleSection` reads from the
        whole per-customer table.

    Examples
    --------
    >>> import clv, clv.duckdb
    >>> from clv.datasets import data_path
    >>> inputs = clv.duckdb.report_inputs(data_path("demo/transactions.csv"), data_path("demo/acquisitions.csv"),
    ...                                   observation_end="2025-12-31", collect=False)
    >>> extra = clv.duckdb.lifecycle_extra(inputs, top=5, chunk_size=1000)
    >>> mix, watch = extra["lifecycle_tables"]
    >>> int(mix.loc["all", "customers"]) == inputs.duck_rfm.customers, len(watch)
    (True, 5)
    """
    rfm, con = inputs.duck_rfm, inputs.duck_rfm.con
    gaps, longer = _gap_counts(con, rfm.table)
    channels = _channels(con, rfm, inputs.scores_table, inputs.acquisitions)
    sizes = [con.execute(f"SELECT count(*) FROM {t}").fetchall()[0][0] for t in (inputs.scores_table, channels)]
    if sizes != [rfm.customers] * 2:
        raise DataError(f"lifecycle_extra: the scores ({sizes[0]:,} rows) and channels ({sizes[1]:,}) do not match the summary's "
                        f"{rfm.customers:,} customers; score them with clv.duckdb.score_channels")
    frequency, money = _Standing(con, rfm.table, "frequency"), _Standing(con, rfm.table, "monetary_value")
    value = _Standing(con, inputs.scores_table, "clv")
    reader = con.sql(_query(con, rfm, inputs.scores_table, channels)).to_arrow_reader(int(chunk_size))
    tally, options = _Tally(top), None
    for batch in reader:
        frame = batch.to_pandas().set_index("customer_id")
        if not len(frame):
            continue
        if not np.array_equal(frame.index.to_numpy(), frame.pop("_rid").to_numpy()):
            raise DataError("lifecycle_extra: the scores table is not in the summary's customer order; "
                            "score with clv.duckdb.score_channels")
        part = frame[[f"_rfm_{c}" for c in _RFM]].set_axis(list(_RFM), axis=1)
        ranks = BaseRanks(rfm.customers, longer[np.searchsorted(gaps, recency_gap(part))], frequency.below(part["frequency"]),
                          money.below(part["monetary_value"]), value.above(frame["clv"]))
        channel = frame["_channel"]
        scores = frame.drop(columns=[c for c in frame.columns if c.startswith("_")])
        extra = frame_lifecycle_extra(scores, part, inputs.models, channel, top=top, seed=seed, ranks=ranks)
        options = extra["lifecycle_options"]
        tally.add(extra["segments"])
    if tally.watch is None:
        return {}
    watch = tally.watch
    if transactions is not None:
        history = purchase_history(transactions, observation_end=rfm.attrs.get("observation_end")).reindex(watch.index)
        watch = churn_watchlist(watch.assign(**{c: history[c].to_numpy() for c in ("last_purchase", "purchases", "aov")}), top=top)
    mix, stages, tiers = tally.mix()
    return {"lifecycle_tables": (mix, watch), "lifecycle_counts": (stages, tiers), "lifecycle_options": options,
            "watchlist_top": int(top)}


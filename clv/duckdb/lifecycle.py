"""The report's lifecycle section computed chunk by chunk from the DuckDB summary and scores.

:func:`clv.reports.lifecycle_section.lifecycle_extra` builds one table with a
row per customer (stage, RFM scores, segment, value tier, value at risk) and
reads the stage mix and the watchlist from it: about 0.25 kB per customer.
Here the same function runs on slices of ``chunk_size`` customers, in
customer order. What depends on the whole base (the quantile RFM scores and
the value tiers) is counted once in SQL and handed to each slice as a
:class:`clv.segments.rfm.BaseRanks`; the stage and tier counts per channel and
the top of the watchlist are kept as the slices go by. Memory holds one slice
and the watchlist, and the outputs equal those of the whole table.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from clv.data.summary import purchase_history
from clv.duckdb.fitting import acquisitions_view
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


def _query(rfm: Any, scores_table: str, acq: str) -> str:
    """Every scored customer in customer order: the scores, the RFM columns, the channel and the standing in the base.

    The ranks are taken on narrow relations (the id and one value), so DuckDB sorts 16-byte rows, not whole score rows.
    """
    rfm_cols = ", ".join(f'r."{c}" AS "_rfm_{c}"' for c in _RFM)
    return (f"WITH fm AS (SELECT customer_id, rank() OVER (ORDER BY frequency) - 1 AS _f_below, "
            f"rank() OVER (ORDER BY monetary_value) - 1 AS _m_below FROM {rfm.table}), "
            f"cv AS (SELECT customer_id, rank() OVER (ORDER BY clv DESC) - 1 AS _clv_above FROM {scores_table}) "
            f"SELECT s.*, r.revenue_to_date, {rfm_cols}, CAST(a.channel AS VARCHAR) AS _channel, _f_below, _m_below, _clv_above "
            f"FROM {scores_table} s JOIN {rfm.table} r USING (customer_id) JOIN fm USING (customer_id) JOIN cv USING (customer_id) "
            f"LEFT JOIN {acq} a USING (customer_id) ORDER BY s.customer_id")


class _Tally:
    """Stage and tier counts per channel and the running top of the watchlist."""

    def __init__(self, top: int) -> None:
        self.top = top
        self.stages: list[pd.DataFrame] = []
        self.tiers: list[pd.DataFrame] = []
        self.watch: pd.DataFrame | None = None

    def add(self, table: pd.DataFrame) -> None:
        group = table["channel"].astype(object).where(table["channel"].notna(), UNASSIGNED).astype(str).to_numpy()
        self.stages.append(pd.crosstab(group, table["stage"].astype(str)))
        self.tiers.append(pd.crosstab(group, table["value_tier"].astype(str)))
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
    acq = acquisitions_view(con, inputs.acquisitions)
    reader = con.sql(_query(rfm, inputs.scores_table, acq)).to_arrow_reader(int(chunk_size))
    tally, options = _Tally(top), None
    for batch in reader:
        frame = batch.to_pandas().set_index("customer_id")
        if not len(frame):
            continue
        part = frame[[f"_rfm_{c}" for c in _RFM]].set_axis(list(_RFM), axis=1)
        ranks = BaseRanks(rfm.customers, longer[np.searchsorted(gaps, recency_gap(part))], frame["_f_below"].to_numpy(),
                          frame["_m_below"].to_numpy(), frame["_clv_above"].to_numpy())
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


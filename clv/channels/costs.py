"""Who was acquired, what each customer cost, what they spent, and everything that did not line up.

The cost and revenue joins of :func:`clv.channel_report`: per-customer CAC
from the acquisition table's own ``cost`` or the channel's spend of the
period shared among its uncosted customers, the realized revenue to date,
and the reconciliation counts (nothing is dropped silently).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from clv.checks import show_id
from clv.data.summary import time_unit_days
from clv.errors import DataError

__all__ = [
    "acquired_after_first_purchase",
    "acquired_customers",
    "allocate_costs",
    "channel_names",
    "check_acquisitions",
    "reconcile_costs",
    "resolve_observation_end",
    "revenue_to_date",
]


def resolve_observation_end(rfm: pd.DataFrame | None, transactions: pd.DataFrame | None, given: Any) -> pd.Timestamp | None:
    """The report's observation end: ``given``, else the RFM frame's, else the last transaction day."""
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


def check_acquisitions(acquisitions: Any) -> pd.DataFrame:
    """The acquisition table with a ``cost`` column (NaN when absent); one row per customer."""
    if not isinstance(acquisitions, pd.DataFrame) or not {"customer_id", "channel", "acquired_at"} <= set(acquisitions.columns):
        raise DataError("acquisitions must be the output of clv.read_acquisitions (customer_id, channel, acquired_at)")
    if "cost" not in acquisitions.columns:
        acquisitions = acquisitions.assign(cost=np.nan)
    if acquisitions["customer_id"].duplicated().any():
        dup = acquisitions.loc[acquisitions["customer_id"].duplicated(), "customer_id"].iloc[0]
        raise DataError(f"column 'customer_id': customer {show_id(dup)} is listed twice in the acquisitions")
    return acquisitions


def allocate_costs(members: pd.DataFrame, spend: pd.DataFrame | None) -> tuple[np.ndarray, list[dict[str, Any]]]:
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


def revenue_to_date(scores: pd.DataFrame, transactions: pd.DataFrame | None, end: pd.Timestamp | None) -> tuple[pd.Series, int]:
    """Revenue per customer up to ``end`` (scores' ``revenue_to_date`` when given) and the transactions after it."""
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


def acquired_after_first_purchase(acq: pd.DataFrame, rfm: pd.DataFrame | None, transactions: pd.DataFrame | None,
                                  end: pd.Timestamp | None) -> int | None:
    """Acquired customers whose acquisition day is after their first purchase day; ``None`` when unknown.

    The first purchase comes from the transaction log, else from the RFM
    frame (observation end minus ``T``). Such customers are kept: cohorts use
    the acquisition date.
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


def acquired_customers(
    scores: pd.DataFrame, acquisitions: pd.DataFrame, spend: pd.DataFrame | None, transactions: pd.DataFrame | None,
    end: pd.Timestamp | None, margin: float, recon: dict[str, Any], rfm: pd.DataFrame | None = None,
) -> tuple[pd.DataFrame, pd.Index, pd.Series, list[dict[str, Any]]]:
    """One row per customer acquired by ``end``: channel, cohort, cost and the LTV parts; counts go to ``recon``.

    Cohorts are months of ``acquired_at`` (``recon["cohort_date"]``);
    ``recon["acquired_after_first_purchase"]`` counts customers acquired
    after their first purchase (from ``transactions``, else ``rfm``).

    Returns the table, the scored customers without an acquisition record,
    the revenue to date per customer and the spend rows that found no customer.
    """
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

    recon["acquired_after_first_purchase"] = acquired_after_first_purchase(acq, rfm, transactions, end)
    recon["cohort_date"] = "acquired_at"
    cost, unallocated = allocate_costs(acq, spend)
    acq["cost"] = cost
    acq["cohort"] = acq["acquired_at"].dt.to_period("M").astype(str)
    revenue, tx_after = revenue_to_date(scores, transactions, end)
    recon["transactions_after_observation_end"] = tx_after
    acq["scored"] = ~no_tx
    acq["revenue_to_date"] = revenue.reindex(acq["customer_id"]).fillna(0.0).to_numpy()
    acq["ltv_realized"] = margin * acq["revenue_to_date"]
    acq["clv"] = scores["clv"].reindex(acq["customer_id"]).fillna(0.0).to_numpy()
    acq["ltv_expected"] = acq["ltv_realized"] + acq["clv"]
    for col in ("p_alive", "clv_lower", "clv_upper"):
        if col in scores.columns:
            acq[col] = scores[col].reindex(acq["customer_id"]).to_numpy()
    return acq, orphans, revenue, unallocated


def channel_names(acq: pd.DataFrame, spend: pd.DataFrame | None) -> tuple[list[str], list[str]]:
    """The report's channels (acquisition channels first, then channels with spend only) and the latter alone."""
    channels_acq = list(pd.unique(acq["channel"]))
    spend_channels = [] if spend is None else list(pd.unique(spend["channel"]))
    no_customers = [c for c in spend_channels if c not in channels_acq]
    return channels_acq + no_customers, no_customers


def reconcile_costs(
    acq: pd.DataFrame, acquisitions: pd.DataFrame, no_customers: list[str], unallocated: list[dict[str, Any]],
    recon: dict[str, Any],
) -> None:
    """Add the spend and cost counts to the reconciliation ``recon``."""
    cost = acq["cost"].to_numpy(dtype=float)
    no_tx = ~acq["scored"].to_numpy(dtype=bool)
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

"""Who was acquired, what each customer cost, what they spent, and everything that did not line up.

The cost and revenue joins of :func:`clv.channel_report`: per-customer CAC
from the acquisition table's own ``cost`` or an equal share of the channel's
spend of the period (an own cost replaces that share, it is never added), the realized revenue to date,
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
    "record_costs",
    "record_membership",
    "resolve_observation_end",
    "revenue_to_date",
    "spend_shares",
    "value_totals",
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


def allocate_costs(members: pd.DataFrame, spend: pd.DataFrame | None) -> tuple[np.ndarray, list[dict[str, Any]], dict[str, float]]:
    """Per-customer cost: own cost, else an equal share of the spend of its channel and period.

    The rule when both are given: the period's spend is shared equally
    among *all* customers the channel acquired in the period, and a
    customer's own ``cost`` replaces its share (never added to it). So a
    channel's total cost is the spend table less the replaced shares plus
    the own costs, and no cost is counted twice.

    Returns the costs (NaN when unknown), the spend rows that found no
    customer, and per channel the spend replaced by own costs (the shares
    of customers with an own cost in periods with spend).
    """
    cost = members["cost"].to_numpy(dtype=float).copy()
    if spend is None or spend.empty:
        return cost, [], {}
    open_ = np.isnan(cost)
    share, unallocated, replaced = spend_shares(members["channel"].to_numpy(), members["acquired_at"].dt.normalize().to_numpy(),
                                                np.ones(len(cost)), (~open_).astype(float), spend)
    cost[open_] = share[open_]
    return cost, unallocated, replaced


def spend_shares(channel: np.ndarray, day: np.ndarray, customers: np.ndarray, own: np.ndarray,
                 spend: pd.DataFrame) -> tuple[np.ndarray, list[dict[str, Any]], dict[str, float]]:
    """The rule of :func:`allocate_costs` on groups of customers: ``customers`` acquired through ``channel`` on ``day``, ``own``
    of them with an own cost (one customer per row in the pandas report; one (channel, day) per row in an engine's).

    Returns per row the share of the spend of its channel and period (NaN outside every period), the spend rows that
    found no customer, and per channel the spend replaced by own costs (the shares of the customers with an own cost).
    """
    share = np.full(len(channel), np.nan)
    unallocated: list[dict[str, Any]] = []
    replaced: dict[str, float] = {}
    for name, rows in spend.groupby("channel", sort=False):
        rows = rows.sort_values("start")
        mine = np.flatnonzero(channel == name)
        starts = rows["start"].to_numpy()
        ends = rows["end"].to_numpy()
        k = np.searchsorted(starts, day[mine], side="right") - 1
        inside = (k >= 0) & (day[mine] <= ends[np.maximum(k, 0)])
        counts = np.bincount(k[inside], weights=customers[mine[inside]], minlength=len(rows))
        amounts = rows["spend"].to_numpy(dtype=float)
        per_head = np.divide(amounts, counts, out=np.full(len(rows), np.nan), where=counts > 0)
        share[mine[inside]] = per_head[k[inside]]
        has_own = inside & (own[mine] > 0)
        if has_own.any():
            replaced[str(name)] = float((per_head[k[has_own]] * own[mine[has_own]]).sum())
        for j in np.flatnonzero(counts == 0):
            unallocated.append({"channel": name, "period": rows["period"].iloc[j], "spend": float(amounts[j])})
    return share, unallocated, replaced


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
    acq = acq.loc[~late].reset_index(drop=True)
    scored = scores.index
    in_acq = pd.Index(acq["customer_id"])
    orphans = scored.difference(in_acq)
    no_tx = ~in_acq.isin(scored)
    after_first = acquired_after_first_purchase(acq, rfm, transactions, end)
    cost, unallocated, replaced = allocate_costs(acq, spend)
    acq["cost"] = cost
    acq["cohort"] = acq["acquired_at"].dt.to_period("M").astype(str)
    revenue, tx_after = revenue_to_date(scores, transactions, end)
    acq["scored"] = ~no_tx
    acq["revenue_to_date"] = revenue.reindex(acq["customer_id"]).fillna(0.0).to_numpy()
    acq["ltv_realized"] = margin * acq["revenue_to_date"]
    acq["clv"] = scores["clv"].reindex(acq["customer_id"]).fillna(0.0).to_numpy()
    acq["ltv_expected"] = acq["ltv_realized"] + acq["clv"]
    for col in ("p_alive", "clv_lower", "clv_upper"):
        if col in scores.columns:
            acq[col] = scores[col].reindex(acq["customer_id"]).to_numpy()
    record_membership(
        recon, late=int(late.sum()), scored=len(scored), members=len(acq), orphans=len(orphans),
        orphan_future=float(scores.loc[orphans, "clv"].sum()) if len(orphans) else 0.0, no_tx=int(no_tx.sum()),
        after_first=after_first, replaced=replaced, tx_after=tx_after,
        orphan_realized=margin * float(revenue.reindex(orphans).fillna(0.0).sum()) if len(orphans) else 0.0,
        realized=float(acq["ltv_realized"].sum()), future=float(acq["clv"].sum()))
    return acq, orphans, revenue, unallocated


def record_membership(recon: dict[str, Any], *, late: int, scored: int, members: int, orphans: int, orphan_future: float, no_tx: int,
                      after_first: int | None, replaced: dict[str, float], tx_after: int, orphan_realized: float, realized: float,
                      future: float) -> None:
    """Write the membership, cost-rule and value counts of the reconciliation into ``recon``, in the report's order.

    Every customer base (pandas frames or an engine's SQL) computes the counts and sums; this is their one
    place in the reconciliation (see :func:`acquired_customers` for what each means).
    """
    recon["acquisitions_after_observation_end"] = int(late)
    recon["customers_scored"] = int(scored)
    recon["customers_in_acquisitions"] = int(members)
    recon["customers_without_acquisition"] = int(orphans)
    recon["value_of_customers_without_acquisition"] = float(orphan_future)
    recon["acquisitions_without_transactions"] = int(no_tx)
    recon["acquired_after_first_purchase"] = after_first
    recon["cohort_date"] = "acquired_at"
    recon["spend_replaced_by_own_cost"] = replaced
    recon["spend_replaced_by_own_cost_total"] = float(sum(replaced.values()))
    recon["cost_rule"] = "own cost replaces the customer's share of channel spend"
    recon["transactions_after_observation_end"] = tx_after
    recon["realized_value_of_customers_without_acquisition"] = float(orphan_realized)
    recon["value_totals"] = value_totals(members, realized, future, orphans, orphan_realized, orphan_future)


def value_totals(customers: int, realized: float, future: float, n_orphans: int, orphan_realized: float,
                 orphan_future: float) -> list[dict[str, Any]]:
    """Rows ``attributed``, ``unattributed`` and ``total``: customers, realized, future and total value (margin).

    ``attributed`` are the acquired customers (in a channel; ``customers`` of them with summed realized and future
    value), ``unattributed`` the scored customers without an acquisition record; ``total`` is their sum, the whole
    base, so that attributed + unattributed = total.
    """
    rows = [
        {"group": "attributed (in a channel)", "customers": int(customers), "realized_value": float(realized),
         "future_value": float(future)},
        {"group": "unattributed (no acquisition record)", "customers": int(n_orphans), "realized_value": float(orphan_realized),
         "future_value": float(orphan_future)},
    ]
    rows.append({"group": "total (whole base)", **{k: sum(r[k] for r in rows) for k in ("customers", "realized_value", "future_value")}})
    grand = rows[-1]["realized_value"] + rows[-1]["future_value"]
    for r in rows:
        r["total_value"] = r["realized_value"] + r["future_value"]
        r["share_of_value"] = r["total_value"] / grand if grand > 0 else float("nan")
    return rows


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
    record_costs(recon, no_customers=no_customers, unallocated=unallocated, without_cost=int(np.isnan(cost).sum()),
                 without_cost_by_channel={str(c): int(n) for c, n in acq.loc[np.isnan(cost), "channel"].value_counts().items()},
                 own_cost=int(acquisitions["cost"].notna().sum()),
                 no_tx_by_channel={str(c): int(n) for c, n in acq.loc[no_tx, "channel"].value_counts().items()})


def record_costs(recon: dict[str, Any], *, no_customers: list[str], unallocated: list[dict[str, Any]], without_cost: int,
                 without_cost_by_channel: dict[str, int], own_cost: int, no_tx_by_channel: dict[str, int]) -> None:
    """Write the spend and cost counts of the reconciliation into ``recon``, in the report's order (see :func:`reconcile_costs`)."""
    recon["channels_with_spend_but_no_customers"] = no_customers
    recon["spend_without_customers"] = unallocated
    recon["spend_without_customers_total"] = float(sum(u["spend"] for u in unallocated))
    recon["customers_without_cost"] = int(without_cost)
    recon["customers_without_cost_by_channel"] = without_cost_by_channel
    recon["customers_with_own_cost"] = int(own_cost)
    recon["acquisitions_without_transactions_by_channel"] = no_tx_by_channel

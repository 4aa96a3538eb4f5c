"""The cohort table: customers, cost and LTV per channel and acquisition month.

The figures (means, CAC, ratios) are computed once, by :func:`cohort_figures`,
from per-cohort sums: :func:`cohort_sums` of a pandas per-customer table, or
the same sums computed by an engine (:class:`clv.channels.base.CustomerBase`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["cohort_figures", "cohort_sums", "cohort_table"]


def cohort_table(acq: pd.DataFrame, margin: float) -> pd.DataFrame:
    """Customers, cost and LTV per channel and acquisition month.

    ``acq`` is the per-customer table of :func:`clv.channels.costs.acquired_customers`;
    CAC follows the channel rule (mean over the customers with a known cost).

    Examples
    --------
    >>> import pandas as pd
    >>> acq = pd.DataFrame({"customer_id": [1, 2], "channel": ["a", "a"], "cohort": ["2024-01", "2024-01"],
    ...                     "cost": [10.0, None], "ltv_realized": [5.0, 7.0], "ltv_expected": [15.0, 25.0]})
    >>> cohort_table(acq, 1.0)[["channel", "cohort", "customers", "cac", "ltv_expected", "ltv_to_cac"]]
      channel   cohort  customers   cac  ltv_expected  ltv_to_cac
    0       a  2024-01          2  10.0          20.0         2.0
    """
    return cohort_figures(cohort_sums(acq))


def cohort_sums(acq: pd.DataFrame) -> pd.DataFrame:
    """Sums per channel and acquisition month of the per-customer table ``acq``, sorted by ``channel, cohort``.

    Columns ``customers``, ``cost_known`` (customers with a known cost), ``spend`` (their summed cost),
    ``ltv_realized`` and ``ltv_expected`` (sums), and with ``p_alive`` its sum and ``p_alive_n`` (customers with one).
    pandas sums groups with a compensated sum, so the sum divided by the count is the group mean to the last bit.

    Examples
    --------
    >>> import pandas as pd
    >>> acq = pd.DataFrame({"channel": ["a", "a"], "cohort": ["2024-01", "2024-01"], "cost": [10.0, None],
    ...                     "ltv_realized": [5.0, 7.0], "ltv_expected": [15.0, 25.0]})
    >>> cohort_sums(acq)[["customers", "cost_known", "spend", "ltv_expected"]].to_numpy().tolist()
    [[2.0, 1.0, 10.0, 40.0]]
    """
    known = acq["cost"].notna()
    grouped = acq.assign(_known=known, _cost=acq["cost"].fillna(0.0), _one=1).groupby(["channel", "cohort"], sort=True)
    named = {"customers": ("_one", "size"), "cost_known": ("_known", "sum"), "spend": ("_cost", "sum"),
             "ltv_realized": ("ltv_realized", "sum"), "ltv_expected": ("ltv_expected", "sum")}
    if "p_alive" in acq:
        named.update(p_alive=("p_alive", "sum"), p_alive_n=("p_alive", "count"))
    return grouped.agg(**named).reset_index()


def cohort_figures(sums: pd.DataFrame) -> pd.DataFrame:
    """The cohort table from the sums of :func:`cohort_sums`: means, CAC (mean known cost) and the ratios to CAC.

    Examples
    --------
    >>> import pandas as pd
    >>> sums = pd.DataFrame({"channel": ["a"], "cohort": ["2024-01"], "customers": [2], "cost_known": [1], "spend": [10.0],
    ...                      "ltv_realized": [12.0], "ltv_expected": [40.0]})
    >>> cohort_figures(sums)[["cac", "ltv_expected", "ltv_to_cac"]].to_numpy().tolist()
    [[10.0, 20.0, 2.0]]
    """
    n = sums["customers"].to_numpy(dtype=float)
    known = sums["cost_known"].to_numpy()
    out = sums[["channel", "cohort", "customers", "spend"]].copy()
    out["ltv_realized"] = sums["ltv_realized"].to_numpy(dtype=float) / n
    out["ltv_expected"] = sums["ltv_expected"].to_numpy(dtype=float) / n
    if "p_alive" in sums:
        count = sums["p_alive_n"].to_numpy(dtype=float)
        out["p_alive"] = np.divide(sums["p_alive"].to_numpy(dtype=float), count, out=np.full(len(out), np.nan), where=count > 0)
    out["cac"] = np.where(known > 0, out["spend"].to_numpy(dtype=float) / np.maximum(known, 1), np.nan)
    out.loc[known == 0, "spend"] = np.nan
    with np.errstate(invalid="ignore", divide="ignore"):
        out["ltv_to_cac"] = np.where(out["cac"] > 0, out["ltv_expected"] / out["cac"].where(out["cac"] > 0, 1.0), np.nan)
        out["realized_to_cac"] = np.where(out["cac"] > 0, out["ltv_realized"] / out["cac"].where(out["cac"] > 0, 1.0), np.nan)
    cols = ["channel", "cohort", "customers", "spend", "cac", "ltv_realized", "ltv_expected", "ltv_to_cac", "realized_to_cac"]
    return out[cols + [c for c in out.columns if c not in cols]].reset_index(drop=True)

"""Per-channel and per-cohort sums for the channel report, computed in DuckDB.

The same membership rules as :func:`clv.spark.channel_aggregates` and
:func:`clv.channel_report`: acquisitions after the observation end are left
out and counted; acquired customers without transactions count as zero
value; scored customers without an acquisition row are counted, with their
value, but belong to no channel.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from clv.duckdb.fitting import acquisitions_view
from clv.duckdb.summary import DuckRFM
from clv.errors import DataError

__all__ = ["channel_aggregates"]

_OPTIONAL = ("clv_lower", "clv_upper")


def channel_aggregates(scores: str, acquisitions: pd.DataFrame, rfm: DuckRFM, *, margin: float) -> pd.DataFrame:
    """Sums of realized and expected value per acquisition channel and cohort month, computed in SQL.

    Parameters
    ----------
    scores : str
        Name of the DuckDB scores table (:func:`clv.duckdb.score` or
        :func:`clv.duckdb.score_channels`) in ``rfm.con``.
    acquisitions : pandas.DataFrame
        Output of :func:`clv.read_acquisitions`.
    rfm : DuckRFM
        The summary behind the scores (its ``observation_end`` and
        ``revenue_to_date``).
    margin : float
        Share of revenue kept; ``ltv_realized = margin * revenue_to_date``.

    Returns
    -------
    pandas.DataFrame
        One row per ``channel, cohort`` (``"YYYY-MM"``), sorted, with the
        columns and ``attrs["reconciliation"]`` of
        :func:`clv.spark.channel_aggregates`; :func:`clv.engine_fit.channel_means`
        turns it into per-channel means.

    Examples
    --------
    >>> import clv, clv.duckdb
    >>> from clv.datasets import data_path
    >>> rfm = clv.duckdb.rfm_summary(data_path("demo/transactions.csv"), observation_end="2025-12-31")
    >>> acq = clv.read_acquisitions(data_path("demo/acquisitions.csv"))
    >>> models = clv.duckdb.fit_channel_models(rfm, acq)
    >>> name = clv.duckdb.score_channels(rfm, models, acq, horizon=52, discount_rate=0.1, margin=0.3)
    >>> sums = clv.duckdb.channel_aggregates(name, acq, rfm, margin=0.3)
    >>> int(sums["customers"].sum()) == len(acq)
    True
    """
    if not 0 <= margin <= 1:
        raise DataError(f"margin must lie between 0 and 1, got {margin}")
    con = rfm.con
    acq = acquisitions_view(con, acquisitions)
    present = {r[0] for r in con.execute(f"DESCRIBE SELECT * FROM {scores}").fetchall()}
    missing = [c for c in ("customer_id", "clv", "p_alive") if c not in present]
    if missing:
        raise DataError(f"column '{missing[0]}': missing from scores (pass the output of clv.duckdb.score)")
    summed = ["clv", "p_alive", *[c for c in _OPTIONAL if c in present]]
    dup = con.execute(f"SELECT customer_id FROM {acq} GROUP BY customer_id HAVING count(*) > 1 LIMIT 1").fetchone()
    if dup:
        raise DataError(f"column 'customer_id': customer {dup[0]!r} is listed twice in the acquisitions")
    end = rfm.observation_end
    m = f"{float(margin)!r}::DOUBLE"
    joined = (
        f"(SELECT coalesce(s.customer_id, a.customer_id) AS customer_id, s.customer_id IS NOT NULL AS _scored, "
        f"a.customer_id IS NOT NULL AS _acq, coalesce(CAST(a.acquired_at AS DATE) > DATE '{end}', FALSE) AS _late, "
        f"CAST(a.channel AS VARCHAR) AS channel, strftime(a.acquired_at, '%Y-%m') AS cohort, "
        f"coalesce(r.revenue_to_date, 0.0::DOUBLE) AS revenue_to_date, "
        + ", ".join(f"coalesce(s.{c}, 0.0::DOUBLE) AS {c}" for c in summed)
        + f" FROM (SELECT customer_id, {', '.join(summed)} FROM {scores}) s "
        f"LEFT JOIN {rfm.table} r USING (customer_id) FULL OUTER JOIN {acq} a ON s.customer_id = a.customer_id)"
    )
    member = "_acq AND NOT _late"
    recon = con.execute(
        f"SELECT count(*) FILTER (WHERE _acq AND _late), count(*) FILTER (WHERE _scored), count(*) FILTER (WHERE {member}), "
        f"count(*) FILTER (WHERE _scored AND NOT ({member})), coalesce(sum(clv) FILTER (WHERE _scored AND NOT ({member})), 0), "
        f"count(*) FILTER (WHERE {member} AND NOT _scored) FROM {joined}"
    ).fetchone()
    keys = ("acquisitions_after_observation_end", "customers_scored", "customers_in_acquisitions",
            "customers_without_acquisition", "value_of_customers_without_acquisition", "acquisitions_without_transactions")
    others = ", ".join(f"sum({c}) AS {c}" for c in summed if c != "clv")
    table = con.execute(
        f"SELECT channel, cohort, count(*) AS customers, count(*) FILTER (WHERE NOT _scored) AS acquired_without_transactions, "
        f"sum(revenue_to_date) AS revenue_to_date, sum(revenue_to_date * {m}) AS ltv_realized, sum(clv) AS clv, "
        f"sum(revenue_to_date * {m} + clv) AS ltv_expected, {others} FROM {joined} WHERE {member} "
        "GROUP BY channel, cohort ORDER BY channel, cohort"
    ).df()
    for col in ("customers", "acquired_without_transactions"):
        table[col] = table[col].astype(np.int64)
    table.attrs["reconciliation"] = {k: (float(v) if k.startswith("value") else int(v)) for k, v in zip(keys, recon)}
    return table



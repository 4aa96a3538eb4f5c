"""The DuckDB scoring and lifecycle passes stream the base once, in customer order.

Scoring joins the summary to the acquisitions once and fetches the ordered result in batches (it used to re-join
every chunk, which grows with the square of the base); it keeps each customer's channel beside the scores, in the
summary's order, so the lifecycle pass joins summary, scores and channels by position. The standing of each customer
in the whole base (what ``rank()`` windows gave) comes from one sorted column.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import clv
import clv.duckdb
from clv.datasets import data_path
from clv.duckdb.lifecycle import _Standing
from clv.duckdb.scoring import channels_table

pytest.importorskip("duckdb")

END = "2025-12-31"


@pytest.fixture(scope="module")
def inputs():
    return clv.duckdb.report_inputs(data_path("demo/transactions.csv"), data_path("demo/acquisitions.csv"),
                                    observation_end=END, collect=False, chunk_size=333)


@pytest.mark.parametrize("ties", [True, False])
def test_standing_equals_rank_windows(ties):
    con = clv.duckdb.connect()
    rng = np.random.default_rng(5)
    values = np.round(rng.gamma(0.5, 10.0, 5000), 0 if ties else 12)  # many ties (compressed) or nearly none
    values[:50] = 0.0
    con.execute("CREATE TABLE t AS SELECT * FROM (SELECT unnest(?) AS v)", [values.tolist()])
    want = con.execute("SELECT v, rank() OVER (ORDER BY v) - 1 AS below, rank() OVER (ORDER BY v DESC) - 1 AS above "
                       "FROM t ORDER BY v").df()
    standing = _Standing(con, "t", "v")
    assert (standing.edges is not None) == ties
    np.testing.assert_array_equal(standing.below(want["v"].to_numpy()), want["below"].to_numpy())
    np.testing.assert_array_equal(standing.above(want["v"].to_numpy()), want["above"].to_numpy())


def test_scoring_keeps_each_customers_channel_in_summary_order(inputs):
    con, rfm = inputs.duck_rfm.con, inputs.duck_rfm
    got = con.execute(f"SELECT r.customer_id, c.channel FROM {rfm.table} r POSITIONAL JOIN {channels_table(inputs.scores_table)} c").df()
    acq = inputs.acquisitions.set_index("customer_id")["channel"]
    assert len(got) == rfm.customers
    want = acq.reindex(got["customer_id"]).to_numpy()
    assert (pd.isna(want) == got["channel"].isna().to_numpy()).all()
    assert (got["channel"].dropna().to_numpy() == want[~pd.isna(want)]).all()
    ids = con.execute(f"SELECT customer_id FROM {inputs.scores_table}").df()["customer_id"]
    assert ids.equals(got["customer_id"])  # the scores table is in the summary's order too


def test_lifecycle_without_the_scoring_channels_table_makes_it_and_agrees(inputs):
    first = clv.duckdb.lifecycle_extra(inputs, top=25, chunk_size=400)
    inputs.duck_rfm.con.execute(f"DROP TABLE {channels_table(inputs.scores_table)}")
    second = clv.duckdb.lifecycle_extra(inputs, top=25, chunk_size=1000)
    for a, b in zip(first["lifecycle_tables"], second["lifecycle_tables"]):
        pd.testing.assert_frame_equal(a, b)
    for a, b in zip(first["lifecycle_counts"], second["lifecycle_counts"]):
        pd.testing.assert_series_equal(a, b)


def test_lifecycle_refuses_scores_out_of_the_summarys_order(inputs):
    con = inputs.duck_rfm.con
    con.execute(f"CREATE TABLE shuffled AS SELECT * FROM {inputs.scores_table} ORDER BY customer_id DESC")
    con.execute(f"CREATE TABLE shuffled_channels AS SELECT * FROM {channels_table(inputs.scores_table)}")
    with pytest.raises(clv.DataError, match="customer order"):
        clv.duckdb.lifecycle_extra(type(inputs)(**{**vars(inputs), "scores_table": '"shuffled"'}), top=5)

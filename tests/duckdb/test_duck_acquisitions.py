"""The acquisition table validated in DuckDB (clv.duckdb.read_acquisitions) against clv.read_acquisitions."""

from __future__ import annotations

import re

import pandas as pd
import pytest

import clv
import clv.duckdb as duck
from clv.datasets import data_path

ACQ = data_path("demo/acquisitions.csv")
TX = data_path("demo/transactions.csv")


def _raw() -> pd.DataFrame:
    return pd.read_csv(ACQ, dtype=str, keep_default_na=False, na_values=[""]).head(300)


def test_same_frame_and_channel_counts_as_pandas(tmp_path):
    acq = duck.read_acquisitions(ACQ)
    expected = clv.read_acquisitions(ACQ)
    assert acq.to_pandas().equals(expected)
    assert acq.channels.to_dict() == expected["channel"].value_counts().to_dict()
    assert acq.rows == len(expected)
    # Parquet with typed timestamps and a cost column (empty = unknown).
    frame = expected.head(500).assign(cost=[None if i % 3 else 2.5 * i for i in range(500)])
    frame.to_parquet(tmp_path / "acq.parquet")
    assert duck.read_acquisitions(tmp_path / "acq.parquet").to_pandas().equals(clv.read_acquisitions(tmp_path / "acq.parquet"))


def _bad(kind: str) -> tuple[pd.DataFrame, str]:
    raw = _raw()
    if kind == "date":
        raw.loc[41, "acquired_at"] = "next tuesday"
        return raw, "acquired_at"
    if kind == "duplicate":
        raw.loc[77, "customer_id"] = raw.loc[12, "customer_id"]
        return raw, "customer_id"
    if kind == "empty id":
        raw.loc[5, "customer_id"] = None
        return raw, "customer_id"
    if kind == "blank channel":
        raw.loc[9, "channel"] = "   "
        return raw, "channel"
    if kind == "empty channel":
        raw.loc[9, "channel"] = None
        return raw, "channel"
    raw["cost"] = None
    raw.loc[3, "cost"] = "4.5"
    raw.loc[30, "cost"] = {"negative cost": "-1", "text cost": "n/a", "infinite cost": "inf"}[kind]
    return raw, "cost"


@pytest.mark.parametrize("kind", ["date", "duplicate", "empty id", "blank channel", "empty channel", "negative cost",
                                  "text cost", "infinite cost"])
def test_bad_row_is_a_one_line_error_naming_the_column_and_row(kind, tmp_path):
    raw, column = _bad(kind)
    path = tmp_path / "acq.csv"
    raw.to_csv(path, index=False)
    with pytest.raises(clv.DataError) as pandas_error:
        clv.read_acquisitions(path)
    with pytest.raises(clv.DataError) as duck_error:
        duck.read_acquisitions(path)
    text = str(duck_error.value)
    assert "\n" not in text and text.startswith(f"column '{column}': ")
    # The same offending row as the pandas reader, shown the same way.
    row = re.search(r"row \d+: \{[^}]*\}", str(pandas_error.value)).group(0)
    assert row in text


def test_missing_column_lists_the_columns_found(tmp_path):
    _raw().drop(columns="channel").to_csv(tmp_path / "acq.csv", index=False)
    with pytest.raises(clv.DataError, match=r"column 'channel': missing from the acquisitions table; columns found"):
        duck.read_acquisitions(tmp_path / "acq.csv")
    with pytest.raises(clv.DataError, match="no data rows"):
        duck.read_acquisitions(_raw().head(0))


def test_engine_gives_the_pandas_frame_results_and_exclusions():
    """Fits, scores and channel sums (with their exclusion counts) are the same from the DuckDB-validated table."""
    con = duck.connect()
    rfm = duck.rfm_summary(TX, observation_end="2025-06-30", con=con)  # some acquisitions fall after the end
    frame = clv.read_acquisitions(ACQ).iloc[200:]  # and some scored customers have no acquisition row
    in_sql = duck.read_acquisitions(frame.astype({"acquired_at": str}), con=con)
    models = duck.fit_channel_models(rfm, frame)
    assert duck.fit_channel_models(rfm, in_sql).sources == models.sources
    tables = [duck.score_channels(rfm, models, acq, horizon=52, discount_rate=0.1, margin=0.3) for acq in (frame, in_sql)]
    scores = [con.execute(f"SELECT * FROM {t} ORDER BY customer_id").df() for t in tables]
    assert scores[0].equals(scores[1])
    sums = [duck.channel_aggregates(t, acq, rfm, margin=0.3) for t, acq in zip(tables, (frame, in_sql))]
    assert sums[0].equals(sums[1]) and sums[0].attrs == sums[1].attrs
    counts = sums[1].attrs["reconciliation"]
    assert counts["acquisitions_after_observation_end"] > 0 and counts["customers_without_acquisition"] > 0


def test_other_connection_is_refused():
    rfm = duck.rfm_summary(TX, observation_end="2025-12-31")
    with pytest.raises(clv.DataError, match="another DuckDB connection"):
        duck.fit_channel_models(rfm, duck.read_acquisitions(ACQ))

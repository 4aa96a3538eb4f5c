"""DuckDB RFM summaries equal the pandas ones to the last bit (CDNOW, simulated data, edge cases, sources, bad input)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import clv
import clv.duckdb
from clv.datasets import data_path

pytest.importorskip("duckdb")

END = "1997-09-30"


def assert_identical(got: clv.duckdb.DuckRFM, expected: pd.DataFrame) -> None:
    frame = got.to_pandas()
    assert list(frame.columns) == list(expected.columns)
    assert frame.index.equals(expected.index) and frame.index.dtype == expected.index.dtype
    for col in expected.columns:  # same digits, not just close
        assert (frame[col].to_numpy() == expected[col].to_numpy()).all(), col
    assert frame.attrs == expected.attrs
    assert got.customers == len(expected)


@pytest.fixture(scope="module")
def cdnow() -> pd.DataFrame:
    return clv.datasets.load_cdnow()


@pytest.fixture(scope="module")
def messy() -> pd.DataFrame:
    """Simulated log made awkward: same-day repeats, refunds, late-only customers, late-evening stamps, heavy buyers."""
    sim = clv.simulate(2000, seed=11, start="2024-01-01", end="2024-12-31")
    tx = sim.transactions
    rng = np.random.default_rng(5)
    extra = tx.sample(300, random_state=3).assign(amount=lambda d: np.round(rng.normal(5, 10, len(d)), 2))
    extra["date"] = extra["date"].dt.normalize() + pd.Timedelta(hours=23, minutes=59)
    late = pd.DataFrame({"customer_id": [10**6, 10**6 + 1], "date": pd.to_datetime(["2024-12-20", "2024-12-30"]),
                         "amount": [3.0, 0.0]})
    days = pd.Timestamp("2024-01-01") + pd.to_timedelta(np.arange(300), "D")  # 300 purchase days: past the 128 block
    heavy = pd.DataFrame({"customer_id": 10**6 + 2, "date": days, "amount": rng.gamma(2.0, 17.0, 300).round(2)})
    return pd.concat([tx, extra, late, heavy], ignore_index=True)


def test_cdnow_summary_and_holdout_from_csv(cdnow):
    path = data_path("cdnow_sample.csv")
    got = clv.duckdb.rfm_summary(path, observation_end=END)
    assert_identical(got, clv.rfm_summary(cdnow, observation_end=END))
    assert got.exclusions["rows_after_observation_end"] > 0 and got.exclusions["rows_merged_same_day"] > 0
    ch = clv.duckdb.calibration_holdout(path, calibration_end=END, observation_end="1998-06-30")
    assert_identical(ch, clv.calibration_holdout(cdnow, calibration_end=END, observation_end="1998-06-30"))


@pytest.mark.parametrize("time_unit", ["D", "W", "M"])
def test_simulated_summary(messy, time_unit):
    expected = clv.rfm_summary(messy, observation_end="2024-11-30", time_unit=time_unit)
    got = clv.duckdb.rfm_summary(messy, observation_end="2024-11-30", time_unit=time_unit)
    assert_identical(got, expected)
    assert got.exclusions["customers_after_observation_end"] == 2 and got.exclusions["non_positive_rows"] > 0


def test_default_end_and_holdout_with_late_customers(messy):
    assert_identical(clv.duckdb.rfm_summary(messy), clv.rfm_summary(messy))
    kw = {"calibration_end": "2024-06-30", "observation_end": "2024-12-15", "time_unit": "D"}
    got = clv.duckdb.calibration_holdout(messy, **kw)
    assert_identical(got, clv.calibration_holdout(messy, **kw))
    assert got.exclusions["customers_first_purchase_in_holdout"] > 0


def test_parquet_glob_directory_and_types(tmp_path, cdnow):
    expected = clv.rfm_summary(cdnow, observation_end=END)
    renamed = cdnow.rename(columns={"customer_id": "cust", "date": "when", "amount": "value"})
    lake = tmp_path / "lake"
    lake.mkdir()
    shuffled = renamed.sample(frac=1.0, random_state=1)
    for i in range(3):
        shuffled.iloc[i::3].to_parquet(lake / f"part-{i}.parquet", index=False)
    names = {"customer": "cust", "date": "when", "amount": "value"}
    for source in (lake, str(lake / "part-*.parquet")):
        assert_identical(clv.duckdb.rfm_summary(source, observation_end=END, **names), expected)
    as_text = renamed.assign(when=renamed["when"].dt.strftime("%Y-%m-%dT%H:%M:%S+02:00"), value=renamed["value"].astype(str),
                             cust=renamed["cust"].astype(str))
    as_text.to_csv(tmp_path / "tx.csv.gz", index=False)
    assert_identical(clv.duckdb.rfm_summary(tmp_path / "tx.csv.gz", observation_end=END, **names), expected)
    as_date = renamed.assign(when=renamed["when"].dt.date)
    assert_identical(clv.duckdb.rfm_summary(as_date, observation_end=END, **names), expected)


def test_text_ids_stay_text():
    tx = clv.read_transactions(pd.DataFrame({
        "customer_id": ["b", "a", "a", "007"], "amount": [1.0, 2.0, 3.0, 4.0],
        "date": ["2024-01-02", "2024-01-01", "2024-01-09", "2024-01-05 23:30"]}))
    raw = tx.assign(customer_id=tx["customer_id"].astype(str), date=tx["date"].astype(str), amount=tx["amount"].astype(str))
    assert_identical(clv.duckdb.rfm_summary(raw, observation_end="2024-01-31", time_unit="D"),
                     clv.rfm_summary(tx, observation_end="2024-01-31", time_unit="D"))


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ([("a", "2024-01-01", "1.0"), (None, "2024-01-02", "2.0")], "column 'customer_id': empty value in 1 rows"),
        ([("a", "2024-01-01", "1.0"), ("b", "yesterday", "2.0")], "column 'date': empty or unparseable date"),
        ([("a", "2024-01-01", "1.0"), ("b", "2024-01-02", "two")], "column 'amount': empty value or not a number"),
        ([("a", "2024-01-01", "1.0"), ("b", "2024-01-02", "inf")], "column 'amount': infinite or NaN value"),
    ],
)
def test_bad_rows_name_column_and_example(rows, message):
    frame = pd.DataFrame(rows, columns=["customer_id", "date", "amount"])
    with pytest.raises(clv.DataError, match="^" + message) as info:
        clv.duckdb.rfm_summary(frame)
    assert "e.g. row: {" in str(info.value) and "\n" not in str(info.value)


def test_bad_tables_and_paths(tmp_path):
    with pytest.raises(clv.DataError, match="column 'amount': missing"):
        clv.duckdb.rfm_summary(pd.DataFrame({"customer_id": ["a"], "date": ["2024-01-01"]}))
    with pytest.raises(clv.DataError, match="does not exist"):
        clv.duckdb.rfm_summary(tmp_path / "nope.parquet")
    with pytest.raises(clv.DataError, match="no file matches"):
        clv.duckdb.rfm_summary(str(tmp_path / "*.parquet"))
    frame = pd.DataFrame({"customer_id": ["a"], "date": ["2024-03-01"], "amount": [1.0]})
    with pytest.raises(clv.DataError, match="no transactions on or before observation_end"):
        clv.duckdb.rfm_summary(frame, observation_end="2024-01-01")
    with pytest.raises(clv.DataError, match="no transactions on or before calibration_end"):
        clv.duckdb.calibration_holdout(frame, calibration_end="2024-01-01", observation_end="2024-06-01")
    with pytest.raises(clv.DataError, match="must be after calibration_end"):
        clv.duckdb.calibration_holdout(frame, calibration_end="2024-06-01", observation_end="2024-01-01")
    with pytest.raises(clv.DataError, match="no data rows"):
        clv.duckdb.rfm_summary(frame.iloc[:0])

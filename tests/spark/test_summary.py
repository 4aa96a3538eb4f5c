"""Spark RFM summaries equal the pandas ones (CDNOW, simulated data, edge cases, input types, bad input)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import clv
import clv.spark

pytestmark = [
    pytest.mark.spark,
    pytest.mark.filterwarnings("ignore:PySpark does not yet fully support pandas:FutureWarning"),
    pytest.mark.filterwarnings("ignore:The copy keyword is deprecated"),
]

TOL = {"rtol": 1e-9, "atol": 1e-9}


def assert_same(spark_rfm, expected: pd.DataFrame) -> None:
    got = spark_rfm.to_pandas()
    assert list(got.columns) == list(expected.columns)
    assert got.index.name == expected.index.name == "customer_id"
    assert got.index.equals(expected.index)
    for col in expected.columns:
        np.testing.assert_allclose(got[col].to_numpy(), expected[col].to_numpy(), **TOL, err_msg=col)
    # Money is added in NumPy's order, so the digits are the same (not just within 1e-9).
    assert (got["monetary_value"].to_numpy() == expected["monetary_value"].to_numpy()).all()
    assert got.attrs == expected.attrs


@pytest.fixture(scope="module")
def cdnow() -> pd.DataFrame:
    return clv.datasets.load_cdnow()


@pytest.fixture(scope="module")
def messy() -> pd.DataFrame:
    """Simulated log made awkward: same-day repeats, refunds, late-only customers, late-evening stamps."""
    sim = clv.simulate(3000, seed=11, start="2024-01-01", end="2024-12-31")
    tx = sim.transactions
    rng = np.random.default_rng(5)
    extra = tx.sample(400, random_state=3).assign(amount=lambda d: np.round(rng.normal(5, 10, len(d)), 2))
    extra["date"] = extra["date"].dt.normalize() + pd.Timedelta(hours=23, minutes=59)
    late = pd.DataFrame({"customer_id": [10**6, 10**6 + 1], "date": pd.to_datetime(["2024-12-20", "2024-12-30"]),
                         "amount": [3.0, 0.0]})
    return pd.concat([tx, extra, late], ignore_index=True)


def test_cdnow_rfm_summary(spark, cdnow):
    expected = clv.rfm_summary(cdnow, observation_end="1997-09-30")
    got = clv.spark.rfm_summary(spark.createDataFrame(cdnow), observation_end="1997-09-30")
    assert_same(got, expected)
    assert got.exclusions["rows_after_observation_end"] > 0
    assert got.df.columns == ["customer_id", "frequency", "recency", "T", "monetary_value"]


def test_cdnow_calibration_holdout(spark, cdnow):
    expected = clv.calibration_holdout(cdnow, calibration_end="1997-09-30", observation_end="1998-06-30")
    got = clv.spark.calibration_holdout(spark.createDataFrame(cdnow), calibration_end="1997-09-30",
                                        observation_end="1998-06-30")
    assert_same(got, expected)
    assert got.calibration_end == "1997-09-30"


@pytest.mark.parametrize("time_unit", ["D", "W", "M"])
def test_simulated_rfm_summary(spark, messy, time_unit):
    expected = clv.rfm_summary(messy, observation_end="2024-11-30", time_unit=time_unit)
    got = clv.spark.rfm_summary(spark.createDataFrame(messy), observation_end="2024-11-30", time_unit=time_unit)
    assert_same(got, expected)
    ex = got.exclusions
    assert ex["customers_after_observation_end"] == 2
    assert ex["rows_merged_same_day"] > 0 and ex["non_positive_rows"] > 0


def test_simulated_default_observation_end_and_holdout(spark, messy):
    sdf = spark.createDataFrame(messy)
    assert_same(clv.spark.rfm_summary(sdf), clv.rfm_summary(messy))
    expected = clv.calibration_holdout(messy, calibration_end="2024-06-30", observation_end="2024-12-15", time_unit="D")
    got = clv.spark.calibration_holdout(sdf, calibration_end="2024-06-30", observation_end="2024-12-15", time_unit="D")
    assert_same(got, expected)
    assert got.exclusions["customers_first_purchase_in_holdout"] > 0


def test_docstring_example_and_realized_revenue(spark):
    tx = clv.read_transactions(pd.DataFrame({
        "customer_id": [1, 1, 1, 2, 3], "amount": [10.0, 5.0, 20.0, 8.0, 4.0],
        "date": ["2024-01-01", "2024-01-01", "2024-01-15", "2024-01-08", "2024-02-10"]}))
    got = clv.spark.rfm_summary(spark.createDataFrame(tx), observation_end="2024-01-29")
    assert_same(got, clv.rfm_summary(tx, observation_end="2024-01-29"))
    revenue = got.realized_revenue().toPandas().set_index("customer_id")["realized_revenue"].sort_index()
    assert revenue.to_dict() == {1: 35.0, 2: 8.0}


def test_input_types_parquet_dates_and_text(spark, tmp_path, cdnow):
    """Naive timestamps written by pandas (read back as TIMESTAMP_NTZ), DATE columns and text columns.

    Spark cannot read nanosecond Parquet timestamps, pandas' default: write microseconds.
    """
    expected = clv.rfm_summary(cdnow, observation_end="1997-09-30")
    path = tmp_path / "tx.parquet"
    cdnow.rename(columns={"customer_id": "cust", "date": "when", "amount": "value"}).to_parquet(path, coerce_timestamps="us")
    parquet = spark.read.parquet(str(path))
    got = clv.spark.rfm_summary(parquet, observation_end="1997-09-30", customer="cust", date="when", amount="value")
    assert_same(got, expected)
    as_date = parquet.selectExpr("cust", "CAST(`when` AS DATE) AS `when`", "value")
    assert_same(clv.spark.rfm_summary(as_date, observation_end="1997-09-30", customer="cust", date="when",
                                      amount="value"), expected)
    as_text = parquet.selectExpr("CAST(cust AS BIGINT) AS customer_id", "date_format(`when`, 'yyyy-MM-dd') AS date",
                                 "CAST(value AS STRING) AS amount")
    assert_same(clv.spark.rfm_summary(as_text, observation_end="1997-09-30"), expected)


def test_string_customer_ids(spark):
    tx = clv.read_transactions(pd.DataFrame({
        "customer_id": ["b", "a", "a", "c"], "amount": [1.0, 2.0, 3.0, 4.0],
        "date": ["2024-01-02", "2024-01-01", "2024-01-09", "2024-01-05 23:30"]}))
    assert_same(clv.spark.rfm_summary(spark.createDataFrame(tx), observation_end="2024-01-31", time_unit="D"),
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
def test_bad_rows_name_column_and_example(spark, rows, message):
    df = spark.createDataFrame(rows, "customer_id string, date string, amount string")
    with pytest.raises(clv.DataError, match="^" + message) as info:
        clv.spark.rfm_summary(df)
    assert "e.g. row: {" in str(info.value) and "\n" not in str(info.value)


def test_bad_tables(spark):
    schema = "customer_id string, date string, amount double"
    with pytest.raises(clv.DataError, match="column 'amount': missing"):
        clv.spark.rfm_summary(spark.createDataFrame([("a", "2024-01-01")], "customer_id string, date string"))
    with pytest.raises(clv.DataError, match="no data rows"):
        clv.spark.rfm_summary(spark.createDataFrame([], schema))
    df = spark.createDataFrame([("a", "2024-03-01", 1.0)], schema)
    with pytest.raises(clv.DataError, match="no transactions on or before observation_end"):
        clv.spark.rfm_summary(df, observation_end="2024-01-01")
    with pytest.raises(clv.DataError, match="no transactions on or before calibration_end"):
        clv.spark.calibration_holdout(df, calibration_end="2024-01-01", observation_end="2024-06-01")
    with pytest.raises(clv.DataError, match="must be after calibration_end"):
        clv.spark.calibration_holdout(df, calibration_end="2024-06-01", observation_end="2024-01-01")
    with pytest.raises(clv.DataError, match="time_unit"):
        clv.spark.rfm_summary(df, time_unit="Y")
    with pytest.raises(clv.DataError, match="column 'date': expected dates"):
        clv.spark.rfm_summary(spark.createDataFrame([("a", 1, 1.0)], "customer_id string, date int, amount double"))

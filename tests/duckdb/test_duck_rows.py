"""``clv.duckdb.copy_csv`` writes the bytes pandas writes, and ``DuckRows`` gives the pandas figures.

The reference is pandas itself: ``round_money(frame).to_csv(path, index=False,
lineterminator=csv_line_end(frame))``, the line the report writer and ``clv score`` use.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import clv.duckdb
from clv.duckdb.rows import copy_csv
from clv.output import csv_line_end
from clv.reports.customer_figures import p_alive_shares, value_histogram
from clv.reports.workbook import round_money

pytest.importorskip("duckdb")


def pandas_bytes(frame: pd.DataFrame, path) -> bytes:
    round_money(frame).to_csv(path, index=False, lineterminator=csv_line_end(frame))
    return path.read_bytes()


def duck_bytes(con, frame: pd.DataFrame, path) -> bytes:
    copy_csv(con, con.from_df(frame), path)
    return path.read_bytes()


def assert_same(frame: pd.DataFrame, tmp_path, con=None) -> None:
    con = con or clv.duckdb.connect()
    expected = pandas_bytes(frame, tmp_path / "pandas.csv")
    got = duck_bytes(con, frame, tmp_path / "duck.csv")
    assert got == expected, (expected[:400], got[:400])


TRICKY = ["", "plain", "a,b", 'say "hi"', "two\nlines", "cr\rhere", "crlf\r\n", " lead", "trail ", "é ü 中", "😀", ",", '"',
          "=cmd", "-", "1e5", "nan", "None", "NULL", "\t"]


@pytest.mark.filterwarnings("ignore:overflow encountered")
def test_adversarial_columns_every_type(tmp_path):
    n = len(TRICKY)
    rng = np.random.default_rng(5)
    specials = [0.0, -0.0, np.nan, np.inf, -np.inf, 1e16, 1e15, 1e-5, 1e-4, 0.1, 2.675, 0.125, -0.125, 5e-324,
                1.7976931348623157e308, 123456789.125, -0.001, 1 / 3, 100.0, 1e22]
    frame = pd.DataFrame({
        "customer_id": np.arange(n, dtype=np.int64) * 10**15,
        "channel": pd.Series(TRICKY, dtype=object),
        "ltv_expected": specials,  # a money column: rounded to the cent as numpy rounds
        "p_alive": specials[::-1],  # not money: written whole
        "scored": [bool(i % 2) for i in range(n)],
        "acquired_at": pd.to_datetime("2025-01-01") + pd.to_timedelta(rng.integers(0, 400, n), unit="D"),
        "small": np.arange(n, dtype=np.int8),
        "cohort": pd.Categorical(["2025-01", "2025-02,x", 'q"'] * 6 + ["2025-01", "a"]),
    })
    frame.loc[3, "acquired_at"] = pd.NaT
    assert_same(frame, tmp_path)


def test_nulls_nullable_types_and_object_bools(tmp_path):
    frame = pd.DataFrame({
        "customer_id": pd.array([1, None, 3], dtype="Int64"),
        "channel": ["a", None, "c"],
        "scored": pd.Series([True, None, False], dtype=object),
        "flag": pd.array([True, None, False], dtype="boolean"),
        "cost": [np.nan, 1.005, 3.0],
        "text": pd.Series(["x", None, "z"], dtype="str"),
    })
    assert_same(frame, tmp_path)


@pytest.mark.parametrize("times", [
    ["2025-01-01", "2025-01-02"],  # midnight only: date alone
    ["2025-01-01 10:00", "2025-01-02"],  # seconds
    ["2025-01-01 10:00:00.5", "2025-01-02"],  # milliseconds
    ["2025-01-01 10:00:00.000123", "1960-01-02"],  # microseconds, before 1970
    ["2025-01-01 10:00:00.000000007", None],  # nanoseconds
])
def test_timestamps_use_pandas_column_format(tmp_path, times):
    frame = pd.DataFrame({"id": [1, 2], "at": pd.to_datetime(times, format="ISO8601")})
    assert_same(frame, tmp_path)


def test_dates_from_sql_and_decimals(tmp_path):
    con = clv.duckdb.connect()
    rel = con.sql("SELECT * FROM (VALUES (1, DATE '2025-03-01', 1.505::DECIMAL(10,3), 2.675::DECIMAL(10,3)), "
                  "(2, NULL, NULL, 0.125::DECIMAL(10,3))) v(customer_id, acquired_at, p, cost)")
    frame = rel.df()
    expected = pandas_bytes(frame, tmp_path / "pandas.csv")
    copy_csv(con, rel, tmp_path / "duck.csv")
    assert (tmp_path / "duck.csv").read_bytes() == expected


def test_one_column_and_empty_frames(tmp_path):
    assert_same(pd.DataFrame({"channel": ["", None, "a"]}), tmp_path)
    assert_same(pd.DataFrame({"x": [np.nan, 1.0]}), tmp_path)
    assert_same(pd.DataFrame({"a": pd.Series([], dtype=float), "b": pd.Series([], dtype=object)}), tmp_path)


def test_header_names_are_quoted_like_pandas(tmp_path):
    assert_same(pd.DataFrame({"a,b": [1], 'q"': [2.0], "plain": ["x"]}), tmp_path)


def test_float32_is_refused_with_advice(tmp_path):
    con = clv.duckdb.connect()
    frame = pd.DataFrame({"p_alive": np.array([0.1, 1e6], dtype=np.float32)})  # numpy writes 1e+06, DuckDB 1000000.0
    with pytest.raises(clv.errors.DataError, match=r"'p_alive'.*DOUBLE"):
        copy_csv(con, con.from_df(frame), tmp_path / "x.csv")
    copy_csv(con, con.sql("SELECT CAST(p_alive AS DOUBLE) AS p_alive FROM frame"), tmp_path / "x.csv")
    assert (tmp_path / "x.csv").read_text().splitlines()[1] == "0.10000000149011612"


def test_failure_leaves_earlier_file(tmp_path):
    con = clv.duckdb.connect()
    path = tmp_path / "out.csv"
    path.write_text("earlier\n")
    with pytest.raises(Exception, match="boom"):
        copy_csv(con, "SELECT CASE WHEN range > 1 THEN error('boom') ELSE 'a' END AS b FROM range(3)", path)
    assert path.read_text() == "earlier\n"
    assert [p.name for p in tmp_path.iterdir()] == ["out.csv"]


def test_unsupported_type_is_named(tmp_path):
    con = clv.duckdb.connect()
    with pytest.raises(clv.errors.DataError, match="'span'"):
        copy_csv(con, "SELECT INTERVAL 1 DAY AS span", tmp_path / "x.csv")


_text = st.one_of(st.none(), st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=6),
                  st.sampled_from(TRICKY))
_float = st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.integers(-10**9, 10**9).map(lambda i: i / 200),
                   st.integers(-10**6, 10**6).map(lambda i: (i + 0.5) / 100))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(st.tuples(st.integers(-2**63, 2**63 - 1), _text, _float, _float, st.booleans()), max_size=12))
def test_random_frames_are_byte_identical(tmp_path, rows):
    frame = pd.DataFrame(rows, columns=["customer_id", "channel", "clv", "p_alive", "scored"])
    frame = frame.astype({"customer_id": np.int64, "clv": float, "p_alive": float, "scored": bool, "channel": object})
    assert_same(frame, tmp_path)


def _rows(con, frame):
    con.register("customers_frame", frame.reset_index())
    return clv.duckdb.DuckRows(con, "SELECT * FROM customers_frame")


@settings(max_examples=40, deadline=None)
@given(values=st.lists(st.one_of(st.floats(-1e6, 1e9), st.sampled_from([0.0, np.nan, np.inf, 5.0, -0.0])), max_size=300),
       clip=st.sampled_from([0.99, 0.5, 1.0, 0.0]), bins=st.sampled_from([50, 1, 7]))
def test_value_histogram_in_sql_equals_numpy(values, clip, bins):
    frame = pd.DataFrame({"ltv_expected": np.array(values, dtype=float)}, index=pd.RangeIndex(len(values), name="customer_id"))
    expected = value_histogram(frame, clip=clip, bins=bins)
    got = _rows(clv.duckdb.connect(), frame).value_histogram(clip=clip, bins=bins)
    assert got.cut == expected.cut
    np.testing.assert_array_equal(got.edges, expected.edges)
    np.testing.assert_array_equal(got.counts, expected.counts)


def test_value_histogram_on_skewed_values_equals_what_matplotlib_draws():
    rng = np.random.default_rng(3)
    values = np.concatenate([rng.lognormal(3, 1.5, 20_000), rng.uniform(0, 10, 5_000).round(2), [np.nan] * 10])
    frame = pd.DataFrame({"ltv_expected": values}, index=pd.RangeIndex(len(values), name="customer_id"))
    got = _rows(clv.duckdb.connect(), frame).value_histogram()
    finite = values[np.isfinite(values)]
    cut = np.quantile(finite, 0.99)
    counts, edges = np.histogram(np.minimum(finite, cut), bins=50)  # what ax.hist(np.minimum(values, cut), bins=50) bins
    assert got.cut == cut and got.counts.tolist() == counts.tolist() and got.edges.tolist() == edges.tolist()


def test_p_alive_shares_in_sql_equal_pandas():
    rng = np.random.default_rng(4)
    n = 5_000
    p = rng.choice([0.0, 0.25, 0.5, 0.75, 1.0, np.nan, -0.1, 1.2], n, p=[0.15, 0.15, 0.15, 0.15, 0.1, 0.1, 0.1, 0.1])
    p = np.where(rng.random(n) < 0.5, rng.random(n), p)
    channel = rng.choice(np.array(["web", "a,b", "tv", None], dtype=object), n)
    frame = pd.DataFrame({"channel": channel, "p_alive": p}, index=pd.RangeIndex(n, name="customer_id"))
    frame.loc[frame["channel"] == "tv", "p_alive"] = np.nan  # a channel without scored customers
    order = ["tv", "web", "a,b", "absent"]
    expected = p_alive_shares(frame, order)
    got = _rows(clv.duckdb.connect(), frame).p_alive_shares(order)
    pd.testing.assert_frame_equal(got, expected, check_names=False, check_exact=True, check_column_type=False,
                                  check_index_type=False)


def test_duck_rows_writes_the_report_csv_and_frame(tmp_path):
    con = clv.duckdb.connect()
    frame = pd.DataFrame({"channel": ["web", None, "cr\rx"], "acquired_at": pd.to_datetime(["2025-01-02", "2025-02-03", None]),
                          "scored": pd.Series([True, False, None], dtype=object), "clv": [1.005, np.nan, -0.0],
                          "p_alive": [0.5, 1.0, np.nan]}, index=pd.Index([3, 1, 2], name="customer_id"))
    rows = _rows(con, frame)
    assert len(rows) == 3 and rows.columns == list(frame.columns) and "clv" in rows and "customer_id" not in rows
    rows.write_csv(tmp_path / "duck.csv")
    assert (tmp_path / "duck.csv").read_bytes() == pandas_bytes(frame.reset_index(), tmp_path / "pandas.csv")
    assert rows.to_pandas().index.tolist() == [3, 1, 2]


def test_score_csv_with_awkward_text_ids_equals_pandas(tmp_path):
    """``clv.duckdb.score(out_csv=...)`` writes the CSV once with DuckDB's COPY: the bytes of pandas' ``to_csv``."""
    sim = clv.simulate(300, seed=2, start="2024-01-01", end="2024-12-31")
    ids = {c: f"id {c}" + ("," if c % 3 == 0 else "") + ('"' if c % 5 == 0 else "") + ("\r" if c % 7 == 0 else "")
           for c in sim.transactions["customer_id"].unique()}
    tx = sim.transactions.assign(customer_id=sim.transactions["customer_id"].map(ids))
    rfm = clv.rfm_summary(tx, observation_end="2024-12-31")
    drfm = clv.duckdb.rfm_summary(tx, observation_end="2024-12-31")
    bg, gg = clv.BetaGeo().fit(rfm), clv.GammaGamma().fit(rfm)
    kw = {"horizon": 26, "discount_rate": 0.1, "margin": 0.3}
    clv.duckdb.score(drfm, bg, gg, chunk_size=70, out_csv=tmp_path / "duck.csv", table=False, **kw)
    rfm.join(clv.customer_value(bg, gg, rfm, **kw)).to_csv(tmp_path / "pandas.csv")
    assert (tmp_path / "duck.csv").read_bytes() == (tmp_path / "pandas.csv").read_bytes()

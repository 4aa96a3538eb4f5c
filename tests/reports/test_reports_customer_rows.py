"""A report whose per-customer table stays in DuckDB (``clv.duckdb.DuckRows``) writes the files of the pandas report.

The Customers section takes its figures from :mod:`clv.reports.customer_figures` (pandas) or from
``DuckRows`` (SQL); ``customers.csv`` comes from pandas' ``to_csv`` or DuckDB's ``COPY``. Every file must
be byte-identical (the workbook: the same cells; its zip carries a timestamp).
"""

from __future__ import annotations

import dataclasses

import numpy as np
import openpyxl
import pandas as pd
import pytest

import clv
from clv.reports import charts, write_report
from clv.reports.customer_figures import value_histogram

duckdb_api = pytest.importorskip("clv.duckdb")
pytestmark = pytest.mark.filterwarnings("ignore:Glyph 13")  # the channel named with a carriage return


@pytest.fixture(scope="module")
def report():
    sim = clv.simulate(1200, seed=9, start="2024-01-01", end="2025-03-31", channels={
        'search "brand", co': {"share": 0.5, "params": {"r": 0.8, "alpha": 8.0, "a": 0.6, "b": 4.0}},
        "cr\rlf": {"share": 0.3},
        "plain": {"share": 0.2},
    })
    acq = clv.read_acquisitions(sim.acquisitions.iloc[25:])  # 25 customers without an acquisition record
    spend = clv.read_channel_spend(pd.DataFrame({"channel": ['search "brand", co', "plain"],
                                                 "period": ["2024-01-01/2024-09-30"] * 2, "spend": [9000.0, 2000.0]}))
    rfm = clv.rfm_summary(sim.transactions, observation_end="2025-03-31")
    models = clv.fit_channel_models(rfm, acq, min_customers=200)
    scores = models.score(rfm, acq.set_index("customer_id")["channel"], horizon=26, discount_rate=0.1, margin=0.3)
    return clv.channel_report(scores, acq, spend=spend, transactions=sim.transactions, rfm=rfm, models=models, horizon=26,
                              discount_rate=0.1, margin=0.3, n_draws=10, seed=1)


def _cells(path):
    book = openpyxl.load_workbook(path)
    return {name: [[c.value for c in row] for row in book[name].iter_rows()] for name in book.sheetnames}


def test_duck_rows_report_writes_the_same_files(report, tmp_path):
    con = duckdb_api.connect()
    con.register("customers_frame", report.customers.reset_index())
    rows = duckdb_api.DuckRows(con, "SELECT * FROM customers_frame")
    pandas_out = write_report(report, tmp_path / "pandas", currency="USD")
    duck_out = write_report(dataclasses.replace(report, customers=rows), tmp_path / "duck", currency="USD")
    names = sorted(p.name for p in pandas_out.iterdir())
    assert names == sorted(p.name for p in duck_out.iterdir())
    assert (pandas_out / "customers.csv").read_bytes().count(b"\r\n") > 1000  # the carriage-return channel: RFC 4180 line ends
    for name in names:
        if name == "report.xlsx":
            assert _cells(pandas_out / name) == _cells(duck_out / name)
        else:
            assert (pandas_out / name).read_bytes() == (duck_out / name).read_bytes(), name


def test_chart_draws_the_histogram_matplotlib_would_bin(report):
    """The chart draws precomputed bins; the bars equal ``ax.hist`` on the clipped values (as before the move)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    values = report.customers["ltv_expected"].to_numpy(dtype=float)
    hist = value_histogram(report.customers)
    fig, (a, b) = plt.subplots(1, 2)
    charts.value_distribution(hist, ax=a)
    finite = values[np.isfinite(values)]
    b.hist(np.minimum(finite, np.quantile(finite, 0.99)), bins=50)
    boxes = [[(p.get_x(), p.get_width(), p.get_height()) for p in ax.patches] for ax in (a, b)]
    plt.close(fig)
    assert boxes[0] == boxes[1] and len(boxes[0]) == 50

"""report.xlsx (issue 17 item 8): four sheets, money and percentage formats, frozen headers, user text never a formula;
CSV money rounded to the cent."""

from __future__ import annotations

import zipfile

import openpyxl
import pandas as pd
import pytest

import clv
from clv.reports import write_report

EVIL = ['=HYPERLINK("http://x","y")', "+cmd", "@SUM(A1)", "-2+3"]


@pytest.fixture(scope="module")
def out(tmp_path_factory):
    ids = list(range(1, 9))
    channels = [EVIL[i % len(EVIL)] for i in range(8)]
    acq = clv.read_acquisitions(pd.DataFrame({"customer_id": ids, "channel": channels,
                                              "acquired_at": ["2024-01-10"] * 8, "cost": [""] * 8}))
    spend = clv.read_channel_spend(pd.DataFrame({"channel": EVIL, "period": ["2024-01"] * 4,
                                                 "spend": [36245.780000000734, 20.0, 30.0, 40.0]}))
    scores = pd.DataFrame({"clv": [1.0 / 3] * 8, "revenue_to_date": [10.0] * 8, "p_alive": [0.5] * 8},
                          index=pd.Index(ids, name="customer_id"))
    report = clv.channel_report(scores, acq, spend=spend, margin=0.3, n_draws=0, observation_end="2024-06-30")
    return write_report(report, tmp_path_factory.mktemp("wb") / "r", title="=1+1")


def test_sheets_formats_and_frozen_headers(out) -> None:
    wb = openpyxl.load_workbook(out / "report.xlsx")
    assert wb.sheetnames == ["Summary", "Channels", "Cohorts", "Reconciliation"]
    ch = wb["Channels"]
    header = [c.value for c in ch[1]]
    assert ch.freeze_panes == "B2" and wb["Cohorts"].freeze_panes == "A2" and wb["Reconciliation"].freeze_panes == "A2"
    cac = ch.cell(row=2, column=header.index("cac") + 1)
    share = ch.cell(row=2, column=header.index("share_of_customers") + 1)
    assert cac.number_format == "#,##0.00" and share.number_format == "0.0%"
    assert any(c.value == "ltv_new_to_cac" for c in ch["A"])  # the definitions under the table


def test_user_text_never_becomes_a_formula(out) -> None:
    wb = openpyxl.load_workbook(out / "report.xlsx")
    names = {c.value for c in wb["Channels"]["A"][1:5]}
    assert names == set(EVIL)
    assert wb["Summary"]["A1"].value == "=1+1" and wb["Summary"]["A1"].data_type == "s"
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            assert all(c.data_type != "f" for c in row)
    with zipfile.ZipFile(out / "report.xlsx") as z:
        assert not any("<f>" in z.read(n).decode() for n in z.namelist() if n.startswith("xl/worksheets/"))


def test_csv_money_rounded_to_the_cent(out) -> None:
    text = (out / "channels.csv").read_text()
    assert "36245.78," in text and "36245.780000000734" not in text
    customers = pd.read_csv(out / "customers.csv")
    assert (customers["clv"] == 0.33).all()
    assert "report.xlsx" in (out / "summary.json").read_text()

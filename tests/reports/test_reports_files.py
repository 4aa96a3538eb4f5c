"""Report files: escaping of user strings, atomic writes, the section list, strict JSON."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import clv
from clv.reports import ReportContext, Section, default_sections, write_report

EVIL = "<script>alert(1)</script>"


@pytest.fixture(scope="module")
def report():
    sim = clv.simulate(1500, seed=8, start="2024-01-01", end="2025-03-31", channels={
        EVIL: {"share": 0.4, "params": {"r": 0.8, "alpha": 8.0, "a": 0.6, "b": 4.0}},
        'search "brand" & co': {"share": 0.4},
        "$5 off | *promo*": {"share": 0.2},
    })
    tx = sim.transactions
    acq = clv.read_acquisitions(sim.acquisitions)
    spend = clv.read_channel_spend(pd.DataFrame({
        "channel": [EVIL, 'search "brand" & co', "$5 off | *promo*", "<b>tv</b>"],
        "period": ["2024-01-01/2024-09-30"] * 4, "spend": [9000.0, 20000.0, 0.0, 100.0]}))
    rfm = clv.rfm_summary(tx, observation_end="2025-03-31")
    models = clv.fit_channel_models(rfm, acq, min_customers=200)
    scores = models.score(rfm, acq.set_index("customer_id")["channel"], horizon=26, discount_rate=0.1, margin=0.3)
    return clv.channel_report(scores, acq, spend=spend, transactions=tx, rfm=rfm, models=models, horizon=26,
                              discount_rate=0.1, margin=0.3, n_draws=10, seed=1)


def test_html_escapes_every_user_string(report, tmp_path: Path) -> None:
    out = write_report(report, tmp_path / "r", title="Q3 <i>report</i>", currency="<US$>",
                       inputs={"transactions file": "<x>.csv"})
    page = (out / "index.html").read_text()
    assert "<script" not in page.lower()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<b>tv</b>" not in page and "&lt;b&gt;tv&lt;/b&gt;" in page
    assert "<i>report</i>" not in page and "&lt;US$&gt;" in page
    assert "search &quot;brand&quot; &amp; co" in page
    assert "&lt;x&gt;.csv" in page
    # no tag other than the page's own
    tags = set(re.findall(r"<([a-zA-Z][a-zA-Z0-9]*)", page))
    assert tags <= {"html", "head", "meta", "title", "style", "body", "h1", "h2", "p", "nav", "a", "section", "ul", "li",
                    "span", "img", "table", "thead", "tbody", "tr", "th", "td", "div", "h3"}


def test_markdown_escapes_user_strings(report, tmp_path: Path) -> None:
    out = write_report(report, tmp_path / "r")
    md = (out / "summary.md").read_text()
    assert EVIL not in md and r"\<script\>alert\(1\)\</script\>" in md
    assert r"$5 off \| \*promo\*" in md
    table = [line for line in md.splitlines() if line.startswith("| ")]
    cells = {len(re.findall(r"(?<!\\)\|", line)) for line in table}
    assert len(cells) == 2  # the channel table and the payback table: escaped pipes never add a column


def test_files_and_strict_json(report, tmp_path: Path) -> None:
    out = write_report(report, tmp_path / "r")
    names = {p.name for p in out.iterdir()}
    assert names == {"index.html", "summary.md", "summary.json", "channels.csv", "cohorts.csv", "customers.csv",
                     "payback_curves.csv", "reconciliation.csv", "report.xlsx"}
    data = json.loads((out / "summary.json").read_text())
    assert {c["channel"] for c in data["channels"]} >= {EVIL, "<b>tv</b>"}
    assert data["sections"]["summary"]["no_ratio"] == ["$5 off | *promo*"]
    channels = pd.read_csv(out / "channels.csv")
    assert len(channels) == 4 and "ltv_to_cac" in channels.columns
    assert not np.isinf(channels.select_dtypes("number").to_numpy()).any()
    # figures are embedded, nothing is linked
    page = (out / "index.html").read_text()
    assert page.count("data:image/png;base64,") == 5
    assert "src=\"http" not in page and "href=\"http" not in page


def test_failed_write_leaves_no_partial_report_and_keeps_the_old_one(report, tmp_path: Path) -> None:
    class Broken(Section):
        key = "broken"

        def html(self, ctx: ReportContext) -> str:
            raise RuntimeError("chart failed")

    target = tmp_path / "r"
    with pytest.raises(RuntimeError):
        write_report(report, target, sections=[*default_sections(), Broken()])
    assert list(tmp_path.iterdir()) == []
    write_report(report, target)
    before = (target / "summary.json").read_text()
    with pytest.raises(RuntimeError):
        write_report(report, target, sections=[*default_sections(), Broken()])
    assert (target / "summary.json").read_text() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r"]


def test_refuses_to_replace_a_directory_that_is_not_a_report(report, tmp_path: Path) -> None:
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "thesis.tex").write_text("precious")
    with pytest.raises(clv.DataError, match="not empty and holds no clv report"):
        write_report(report, tmp_path / "mine")
    assert (tmp_path / "mine" / "thesis.tex").read_text() == "precious"


def test_an_added_section_renders_everywhere(report, tmp_path: Path) -> None:
    class Lifecycle(Section):
        key = "lifecycle"
        title = "Lifecycle <mix>"

        def html(self, ctx: ReportContext) -> str:
            return f"<p>{ctx.extra['note']}</p>"

        def markdown(self, ctx: ReportContext) -> str:
            return "stage mix"

        def tables(self, ctx: ReportContext) -> dict[str, pd.DataFrame]:
            return {"lifecycle": pd.DataFrame({"stage": ["new"], "share": [1.0]})}

        def summary(self, ctx: ReportContext) -> dict:
            return {"stages": 1}

    out = write_report(report, tmp_path / "r", sections=[*default_sections(), Lifecycle()], extra={"note": "hello"})
    page = (out / "index.html").read_text()
    assert 'id="lifecycle"' in page and "Lifecycle &lt;mix&gt;" in page and "<p>hello</p>" in page
    assert "## Lifecycle \\<mix\\>" in (out / "summary.md").read_text()
    assert (out / "lifecycle.csv").exists()
    assert json.loads((out / "summary.json").read_text())["sections"]["lifecycle"] == {"stages": 1}

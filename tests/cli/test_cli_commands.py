"""The clv command line: exit codes, one-line errors, no partial report, the demo."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

import clv
from clv.cli import main


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("inputs")
    sim = clv.simulate(1200, seed=4, start="2024-01-01", end="2025-03-31", channels={
        "search": {"share": 0.6}, "referral": {"share": 0.4, "params": {"r": 0.8, "alpha": 8.0, "a": 0.6, "b": 4.0}}})
    sim.transactions.to_csv(d / "tx.csv", index=False)
    sim.acquisitions.to_csv(d / "acq.csv", index=False)
    months = sim.acquisitions["acquired_at"].dt.to_period("M").astype(str)
    spend = sim.acquisitions.assign(period=months).groupby(["channel", "period"]).size().rename("n").reset_index()
    spend["spend"] = np.where(spend["channel"] == "search", 30.0, 10.0) * spend["n"]
    spend[["channel", "period", "spend"]].to_csv(d / "spend.csv", index=False)
    return {"tx": d / "tx.csv", "acq": d / "acq.csv", "spend": d / "spend.csv", "dir": d}


def _run(args: list[str]):
    return CliRunner().invoke(main, args, catch_exceptions=False)


def test_report_succeeds(files, tmp_path: Path) -> None:
    out = tmp_path / "rep"
    result = _run(["report", "-t", str(files["tx"]), "-a", str(files["acq"]), "-s", str(files["spend"]), "--out", str(out),
                   "--n-draws", "8", "--horizon", "26", "--seed", "3"])
    assert result.exit_code == 0, result.output
    assert (out / "index.html").exists() and (out / "summary.json").exists()
    data = json.loads((out / "summary.json").read_text())
    assert {c["channel"] for c in data["channels"]} == {"search", "referral"}
    assert data["settings"]["seed"] == 3


BAD = [
    ("missing transactions file", lambda f, d: ["-t", str(d / "nope.csv"), "-a", str(f["acq"])], "does not exist"),
    ("acquisitions with a text cost", lambda f, d: ["-t", str(f["tx"]), "-a", str(_write(d / "a.csv",
        "customer_id,channel,acquired_at,cost\n1,search,2024-01-01,ten\n"))], "column 'cost': not a number"),
    ("spend with a bad period", lambda f, d: ["-t", str(f["tx"]), "-a", str(f["acq"]), "-s", str(_write(d / "s.csv",
        "channel,period,spend\nsearch,last spring,5\n"))], "column 'period': cannot parse 'last spring'"),
    ("transactions without amount", lambda f, d: ["-t", str(_write(d / "t.csv", "customer_id,date\n1,2024-01-01\n")),
        "-a", str(f["acq"])], "column 'amount': missing"),
    ("margin out of range", lambda f, d: ["-t", str(f["tx"]), "-a", str(f["acq"]), "--margin", "30"],
     "margin must lie between 0 and 1"),
    ("too few posterior draws", lambda f, d: ["-t", str(f["tx"]), "-a", str(f["acq"]), "--model", "bayes", "--bayes-draws", "10"],
     "--bayes-draws must be at least 50"),
]


def _write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


@pytest.mark.parametrize(("case", "args", "message"), BAD, ids=[b[0] for b in BAD])
def test_bad_input_exits_2_with_one_line_and_no_report(files, tmp_path: Path, case, args, message) -> None:
    out = tmp_path / "rep"
    result = CliRunner().invoke(main, ["report", *args(files, tmp_path), "--out", str(out), "-q"])
    assert result.exit_code == 2, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("clv: error: ") and message in lines[0]
    assert "Traceback" not in result.output
    assert not out.exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".rep")]


def test_failure_keeps_previous_report(files, tmp_path: Path) -> None:
    out = tmp_path / "rep"
    ok = _run(["report", "-t", str(files["tx"]), "-a", str(files["acq"]), "--out", str(out), "--n-draws", "0", "-q"])
    assert ok.exit_code == 0, ok.output
    before = (out / "summary.json").read_text()
    bad = CliRunner().invoke(main, ["report", "-t", str(files["tx"]), "-a", str(files["acq"]), "--out", str(out),
                                    "-s", str(_write(tmp_path / "s.csv", "channel,period,spend\nsearch,2024-01,-1\n"))])
    assert bad.exit_code == 2
    assert (out / "summary.json").read_text() == before


def test_usage_error_exits_2(files) -> None:
    result = CliRunner().invoke(main, ["report", "-t", str(files["tx"])])
    assert result.exit_code == 2 and "Missing option" in result.output


def test_bayes_unavailable_is_a_clear_error(files, tmp_path: Path, monkeypatch) -> None:
    import clv.bayes

    monkeypatch.delattr(clv.bayes, "HierarchicalBetaGeo")
    result = CliRunner().invoke(main, ["report", "-t", str(files["tx"]), "-a", str(files["acq"]), "--out",
                                       str(tmp_path / "r"), "--model", "bayes", "-q"])
    assert result.exit_code == 2 and "clv.bayes" in result.output and "--model mle" in result.output
    assert not (tmp_path / "r").exists()


def test_fit_json(files) -> None:
    result = _run(["fit", "-t", str(files["tx"]), "--json", "-q"])
    assert result.exit_code == 0
    data = json.loads(result.output)
    assert set(data["transaction_model"]["params"]) == {"r", "alpha", "a", "b"}
    assert data["customers"] == 1200 and data["transaction_model"]["log_likelihood"] < 0


def test_score_writes_csv(files, tmp_path: Path) -> None:
    out = tmp_path / "scores.csv"
    result = _run(["score", "-t", str(files["tx"]), "--out", str(out), "--interval", "0.9", "--seed", "2", "-q"])
    assert result.exit_code == 0, result.output
    scores = pd.read_csv(out)
    assert len(scores) == 1200 and {"customer_id", "clv", "clv_lower", "clv_upper", "p_alive"} <= set(scores.columns)


def test_help_has_examples() -> None:
    for command in ([], ["report"], ["fit"], ["score"], ["demo"]):
        result = _run([*command, "--help"])
        assert result.exit_code == 0 and "Example" in result.output


def test_demo_console_script(tmp_path: Path) -> None:
    """``clv demo`` as installed (console script), writing the full report; progress on stderr only."""
    exe = shutil.which("clv", path=str(Path(sys.executable).parent)) or shutil.which("clv")
    if exe is None:
        pytest.skip("the clv console script is not installed")
    out = tmp_path / "demo"
    proc = subprocess.run([exe, "demo", "--out", str(out), "--n-draws", "20"], capture_output=True, text=True, timeout=300,
                          env={**os.environ, "MPLBACKEND": "Agg"})
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "" and "done:" in proc.stderr
    data = json.loads((out / "summary.json").read_text())
    verdict = data["sections"]["summary"]
    assert set(verdict["pays_back"]) == {"email", "referral", "paid search"}
    assert set(verdict["does_not_pay_back"]) == {"paid social", "affiliate"}
    assert verdict["no_ratio"] == ["organic"]

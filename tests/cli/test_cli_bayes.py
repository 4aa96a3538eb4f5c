"""``--model bayes`` on every command: fit (summary + diagnostics, JSON), score (posterior intervals), report (demo)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

import clv
from clv.cli import main

DEMO = Path(__file__).resolve().parents[2] / "data" / "demo"


@pytest.fixture(scope="module")
def tx_file(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("bayes_inputs")
    sim = clv.simulate(400, seed=5, start="2024-01-01", end="2025-03-31")
    sim.transactions.to_csv(d / "tx.csv", index=False)
    return d / "tx.csv"


def _run(args: list[str]):
    return CliRunner().invoke(main, args, catch_exceptions=False)


def test_fit_bayes_json_has_posterior_summary_and_diagnostics(tx_file: Path) -> None:
    result = _run(["fit", "-t", str(tx_file), "--model", "bayes", "--bayes-draws", "50", "--chains", "1", "--json", "-q"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    tm, sm = payload["transaction_model"], payload["spend_model"]
    assert tm["model"] == "HierarchicalBetaGeo" and sm["model"] == "HierarchicalGammaGamma"
    assert {"r[all]", "alpha[all]", "a[all]", "b[all]"} <= set(tm["parameters"])
    assert {"p[all]", "q[all]", "v[all]"} <= set(sm["parameters"])
    assert set(tm["diagnostics"]) >= {"max_rhat", "min_ess_bulk", "divergences", "passed"}
    assert tm["sampling"]["draws"] == 50 and tm["sampling"]["chains"] == 1


def test_fit_bayes_text_and_score_intervals(tx_file: Path, tmp_path: Path) -> None:
    result = _run(["fit", "-t", str(tx_file), "--model", "bayes", "--bayes-draws", "50", "--chains", "1", "-q"])
    assert result.exit_code == 0 and "diagnostics" in result.output and "r_hat" in result.output
    out = tmp_path / "scores.csv"
    result = _run(["score", "-t", str(tx_file), "--model", "bayes", "--bayes-draws", "50", "--chains", "1", "-q", "--out", str(out)])
    assert result.exit_code == 0, result.output
    scores = pd.read_csv(out)
    assert {"p_alive", "clv", "clv_lower", "clv_upper"} <= set(scores.columns) and len(scores) > 0
    assert (scores["clv_lower"] <= scores["clv"] + 1e-9).all() and (scores["clv"] <= scores["clv_upper"] + 1e-9).all()


def test_bayes_fits_bgnbd_only(tx_file: Path) -> None:
    result = CliRunner().invoke(main, ["fit", "-t", str(tx_file), "--model", "bayes", "--transaction-model", "paretonbd", "-q"])
    assert result.exit_code == 2 and "BG/NBD only" in result.output


@pytest.mark.slow
def test_bayes_report_on_the_demo_with_short_chains(tmp_path: Path) -> None:
    """2 x (100 + 100) on the 30,000-customer demo: every file written, the 150 unassigned customers valued."""
    out = tmp_path / "rep"
    result = _run(["report", "-t", str(DEMO / "transactions.csv"), "-a", str(DEMO / "acquisitions.csv"),
                   "-s", str(DEMO / "channel_spend.csv"), "--out", str(out), "--model", "bayes", "--bayes-draws", "100",
                   "--chains", "2", "--seed", "1", "-q"])
    assert result.exit_code == 0, result.output
    assert {"index.html", "summary.md", "summary.json", "channels.csv", "customers.csv"} <= {p.name for p in out.iterdir()}
    customers = pd.read_csv(out / "customers.csv")
    assert len(customers) == 30_000
    acquired = set(pd.read_csv(DEMO / "acquisitions.csv")["customer_id"].astype(str))
    unassigned = customers[~customers["customer_id"].astype(str).isin(acquired)]
    assert len(unassigned) == 150 and unassigned["clv"].notna().all()

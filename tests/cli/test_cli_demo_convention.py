"""Issue 17 item 6: ``clv demo`` and ``clv report`` on the same files give the same numbers (one observation-end convention)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from clv.cli import main
from clv.data import data_path


@pytest.mark.slow
def test_demo_and_report_agree(tmp_path: Path) -> None:
    demo = tmp_path / "demo"
    report = tmp_path / "report"
    runner = CliRunner()
    assert runner.invoke(main, ["demo", "--out", str(demo), "--n-draws", "10", "--quiet"], catch_exceptions=False).exit_code == 0
    args = ["report", "-t", str(data_path("demo/transactions.csv")), "-a", str(data_path("demo/acquisitions.csv")),
            "-s", str(data_path("demo/channel_spend.csv")), "--out", str(report), "--horizon", "52", "--discount-rate", "0.1",
            "--margin", "0.3", "--n-draws", "10", "--seed", "1", "--quiet", "--model-sensitivity"]
    assert runner.invoke(main, args, catch_exceptions=False).exit_code == 0
    a, b = pd.read_csv(demo / "channels.csv"), pd.read_csv(report / "channels.csv")
    pd.testing.assert_frame_equal(a, b)
    settings = json.loads((demo / "summary.json").read_text())["settings"]
    assert settings["observation_end"] == "2025-12-30"
    assert "last transaction day" in settings["observation_end_rule"]
    assert "Observation end 2025-12-30 (the last transaction day" in (demo / "index.html").read_text()

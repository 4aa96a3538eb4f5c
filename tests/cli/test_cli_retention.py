"""``clv contracts`` (formerly ``clv retention``, kept as an alias): the sBG fit and projection on the command line."""

from __future__ import annotations

import pandas as pd
import pytest
from click.testing import CliRunner

from clv.cli import main
from clv.data.contracts import contracts_from_survivors
from tests.reference.sbg_bgbb import SBG_ACTIVE


@pytest.mark.parametrize("command", ["contracts", "retention"])
def test_contracts_prints_fit_and_projection(tmp_path, command) -> None:
    frames = [contracts_from_survivors(active[:8]).assign(cohort=name) for name, active in SBG_ACTIVE.items()]
    path = tmp_path / "contracts.csv"
    pd.concat(frames).to_csv(path, index=False)
    result = CliRunner().invoke(main, [command, "--contracts", str(path), "--weight", "weight", "--group", "cohort"],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "== regular: 1,000 customers, log-likelihood -1680.27" in result.output
    assert "== high end: 1,000 customers, log-likelihood -1611.16" in result.output
    assert result.output.count("\n10 ") == 3  # a 10-period projection per fit


@pytest.mark.parametrize("command", ["contracts", "retention"])
def test_contracts_bad_input_exits_2(tmp_path, command) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("tenure,churned\n1,yes\n2,perhaps\n")
    result = CliRunner().invoke(main, [command, "--contracts", str(path)])
    assert result.exit_code == 2
    assert "column 'churned': expected true/false" in result.output
    assert "Traceback" not in result.output


def test_help_says_which_retention_is_which() -> None:
    top = " ".join(CliRunner().invoke(main, ["--help"]).output.split())
    assert "contracts Contract renewals (sBG model)" in top and "Alias: retention" in top
    assert "retention Alias of 'clv contracts' (sBG contract renewals; not cohort retention tables)" in top
    for command in ("contracts", "retention"):
        text = " ".join(CliRunner().invoke(main, [command, "--help"]).output.split())
        assert "clv.retention_table" in text and "Retention by cohort" in text
        assert "--contracts" in text and "--periods" in text

"""Real exports through the command line: column names, purchase-only logs, dates, rates (issue 11)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

import clv
from clv.cli import main


@pytest.fixture(scope="module")
def export(tmp_path_factory) -> dict[str, Path]:
    """A shop export with its own column names and day-first dates, and its acquisition and spend files."""
    d = tmp_path_factory.mktemp("export")
    sim = clv.simulate(600, seed=11, start="2024-01-01", end="2025-03-31", channels={"search": {"share": 0.5}, "social": {"share": 0.5}})
    tx = sim.transactions.rename(columns={"customer_id": "user_id", "date": "order_date", "amount": "revenue"})
    tx["order_date"] = pd.to_datetime(tx["order_date"]).dt.strftime("%d/%m/%Y")
    tx.to_csv(d / "orders.csv", index=False)
    tx.drop(columns="revenue").to_csv(d / "visits.csv", index=False)
    acq = sim.acquisitions.rename(columns={"customer_id": "user_id", "channel": "source", "acquired_at": "signup"})
    acq["signup"] = pd.to_datetime(acq["signup"]).dt.strftime("%d/%m/%Y")
    acq.to_csv(d / "signups.csv", index=False)
    months = sim.acquisitions["acquired_at"].dt.to_period("M").astype(str)
    spend = sim.acquisitions.assign(month=months).groupby(["channel", "month"]).size().rename("n").reset_index()
    spend["cost"] = 20.0 * spend["n"]
    spend.rename(columns={"channel": "source"})[["source", "month", "cost"]].to_csv(d / "budget.csv", index=False)
    return {"tx": d / "orders.csv", "visits": d / "visits.csv", "acq": d / "signups.csv", "spend": d / "budget.csv", "sim": sim}


TX_COLUMNS = ["--customer-column", "user_id", "--date-column", "order_date", "--amount-column", "revenue"]
REPORT_COLUMNS = ["--channel-column", "source", "--acquired-at-column", "signup", "--period-column", "month", "--spend-column", "cost"]


def _run(args: list[str]):
    return CliRunner().invoke(main, args)


def _one_line_error(result, text: str) -> None:
    assert result.exit_code == 2, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("clv: error: ") and text in lines[0], lines
    assert "Traceback" not in result.output


def test_fit_reads_an_export_with_its_own_names_and_day_first_dates(export) -> None:
    result = _run(["fit", "-t", str(export["tx"]), *TX_COLUMNS, "--json", "-q", "--observation-end", "2025-03-31"])
    assert result.exit_code == 0, result.output
    got = json.loads(result.output)["transaction_model"]["params"]
    truth = clv.rfm_summary(export["sim"].transactions, observation_end="2025-03-31")
    expected = clv.BetaGeo().fit(truth).params_
    assert got == pytest.approx(expected.to_dict(), rel=1e-6)


def test_report_with_every_column_option(export, tmp_path: Path) -> None:
    out = tmp_path / "rep"
    result = _run(["report", "-t", str(export["tx"]), *TX_COLUMNS, "-a", str(export["acq"]), "-s", str(export["spend"]),
                   *REPORT_COLUMNS, "--out", str(out), "--n-draws", "4", "-q", "--horizon", "13"])
    assert result.exit_code == 0, result.output
    summary = json.loads((out / "summary.json").read_text())
    assert {c["channel"] for c in summary["channels"]} == {"search", "social"}
    assert summary["reconciliation"]["acquired_after_first_purchase"] == 0
    assert summary["reconciliation"]["cohort_date"] == "acquired_at"


@pytest.mark.parametrize(
    ("command", "extra", "message"),
    [
        ("fit", ["--customer-column", "customer"], "column 'customer': missing from the transactions table; columns found: "
                                                    "['user_id', 'order_date', 'revenue']"),
        ("score", ["--date-column", "day"], "column 'day': missing"),
        ("report", ["--channel-column", "channel"], "column 'channel': missing from the acquisitions table; columns found: "
                                                     "['user_id', 'source', 'signup']"),
        ("report", ["--spend-column", "amount"], "column 'amount': missing from the channel spend table"),
    ],
)
def test_unknown_column_exits_2_with_the_columns_found(export, tmp_path: Path, command, extra, message) -> None:
    options = dict(zip(TX_COLUMNS[::2], TX_COLUMNS[1::2]))
    if command == "report":
        options.update(zip(REPORT_COLUMNS[::2], REPORT_COLUMNS[1::2]))
    options[extra[0]] = extra[1]
    args = [command, "-t", str(export["tx"]), *[x for pair in options.items() for x in pair], "-q"]
    if command == "report":
        args += ["-a", str(export["acq"]), "-s", str(export["spend"]), "--out", str(tmp_path / "rep")]
    elif command == "score":
        args += ["--out", str(tmp_path / "s.csv")]
    _one_line_error(_run(args), message)
    assert not (tmp_path / "rep").exists() and not (tmp_path / "s.csv").exists()


def test_purchase_only_fit_and_score(export, tmp_path: Path) -> None:
    base = ["-t", str(export["visits"]), "--customer-column", "user_id", "--date-column", "order_date", "-q"]
    fitted = _run(["fit", *base, "--json"])
    assert fitted.exit_code == 0
    notes = [line for line in fitted.stderr.splitlines() if line.strip()]
    assert len(notes) == 1 and "purchase model (BetaGeo) only" in notes[0]
    payload = json.loads(fitted.stdout)
    assert payload["spend_model"] is None and payload["transaction_model"]["model"] == "BetaGeo"

    out = tmp_path / "scores.csv"
    scored = _run(["score", *base, "--out", str(out), "--horizon", "26"])
    assert scored.exit_code == 0, scored.output
    table = pd.read_csv(out)
    assert list(table.columns) == ["customer_id", "frequency", "recency", "T", "purchase_rate", "p_alive",
                                   "churn_probability", "expected_purchases"]
    assert np.isfinite(table.drop(columns="customer_id").to_numpy()).all()


def test_purchase_only_report_and_named_missing_amount_exit_2(export, tmp_path: Path) -> None:
    out = tmp_path / "rep"
    base = ["-t", str(export["visits"]), "--customer-column", "user_id", "--date-column", "order_date"]
    result = _run(["report", *base, "-a", str(export["acq"]), *REPORT_COLUMNS[:4], "--out", str(out), "-q"])
    _one_line_error(result, "lifetime value needs purchase amounts")
    assert not out.exists()
    result = _run(["fit", *base, "--amount-column", "amount", "-q"])
    _one_line_error(result, "column 'amount': missing from the transactions table")


def test_lifetimes_example_fit_gives_lifetimes_estimates() -> None:
    from tests.data.test_purchase_only import lifetimes_bgnbd, lifetimes_example

    path = lifetimes_example()
    result = _run(["fit", "-t", path, "--customer-column", "id", "--time-unit", "D", "--observation-end", "2014-12-31",
                   "--json", "-q"])
    assert result.exit_code == 0, result.output
    assert len([line for line in result.stderr.splitlines() if line.strip()]) == 1  # the purchase-only note
    got = json.loads(result.stdout)["transaction_model"]["params"]
    assert got == pytest.approx(lifetimes_bgnbd(path), rel=1e-5)


def test_date_format_option_and_ambiguous_dates(export, tmp_path: Path) -> None:
    log = tmp_path / "log.csv"
    log.write_text("customer_id,date,amount\n1,05/06/2025,10\n1,03/04/2025,12\n2,01/02/2025,8\n")
    result = _run(["fit", "-t", str(log), "-q"])
    _one_line_error(result, "column 'date': cannot tell whether the dates are day-first or month-first")
    assert "'05/06/2025'" in result.output and "date_format='%d/%m/%Y'" in result.output
    base = ["fit", "-t", str(export["tx"]), *TX_COLUMNS, "--json", "-q", "--observation-end", "2025-03-31"]
    inferred, given = _run(base), _run([*base, "--date-format", "%d/%m/%Y"])
    assert given.exit_code == 0 and json.loads(given.stdout) == json.loads(inferred.stdout)
    _one_line_error(_run([*base, "--date-format", "%m/%d/%Y"]), "does not match date_format='%m/%d/%Y'")


@pytest.mark.parametrize("command", ["score", "report"])
def test_percentage_discount_rate_exits_2_before_reading(tmp_path: Path, command) -> None:
    args = [command, "-t", str(tmp_path / "missing.csv"), "--discount-rate", "10", "--out", str(tmp_path / "o")]
    if command == "report":
        args += ["-a", str(tmp_path / "missing_acq.csv")]
    result = _run(args)
    _one_line_error(result, "did you mean 0.1?")

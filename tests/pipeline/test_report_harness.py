"""Property-based harness over the whole report pipeline (issue 11, item 7).

Hypothesis draws transaction logs and acquisition tables of every shape (see
``report_inputs.py``): one customer or hundreds, all one-time buyers, all
purchases on one day, identical, zero, negative and 1e9 amounts, duplicate
rows, one channel or 300, unicode and HTML in channel names, observation end
before, at or after the data. ``clv report`` (through ``clv.cli.main``) must
either exit 0 with every number of ``channels.csv`` and ``customers.csv``
finite (or explicitly not available, see ``MAY_BE_EMPTY``), or exit 2 with one
line on stderr and no output directory. Never a traceback.

CI runs a bounded number of examples (``CLV_HARNESS_EXAMPLES``, default 25).
For a long local run::

    CLV_HARNESS_EXAMPLES=500 PYTHONPATH=. python -m pytest tests/pipeline -p no:cacheprovider -q

Every bug the harness found has its own regression test in
``test_report_degenerate.py``.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, event, given, settings

from clv.cli import main
from clv.output import csv_line_end
from tests.pipeline.report_inputs import Case, cases

EXAMPLES = int(os.environ.get("CLV_HARNESS_EXAMPLES", "25"))

# Columns that may be empty, and when: each has a companion saying why.
MAY_BE_EMPTY = {
    # The headline columns (ltv_new_to_cac, its probability, the payback interval) are n/a exactly when their
    # siblings are: no CAC, or no payback within the horizon (payback_status says which).
    "channels.csv": {"spend", "cac", "ltv_to_cac", "prob_ltv_exceeds_cac", "payback_period",
                     "ltv_new_to_cac", "prob_ltv_new_exceeds_cac", "payback_lower", "payback_upper"},
    "customers.csv": {"cost", "acquired_at", "cohort", "ltv_expected", "clv", "p_alive"},
}
MONEY = {"ltv_realized", "ltv_expected", "ltv_lower", "ltv_upper", "ltv_new", "ltv_new_lower", "ltv_new_upper", "clv",
         "revenue_to_date"}


def run_report(case: Case, folder: Path) -> tuple[int, str, Path]:
    """Write the case's files, run ``clv report`` and return (exit code, stderr, output directory)."""
    # Inputs are written unambiguously (a bare carriage return in a channel name gets quoted): see csv_line_end.
    case.transactions.to_csv(folder / "tx.csv", index=False)
    case.acquisitions.to_csv(folder / "acq.csv", index=False, lineterminator=csv_line_end(case.acquisitions))
    args = ["report", "-t", str(folder / "tx.csv"), "-a", str(folder / "acq.csv"), "--out", str(folder / "out"),
            "--n-draws", "4", "--quiet", *case.options]
    if case.spend is not None:
        case.spend.to_csv(folder / "spend.csv", index=False, lineterminator=csv_line_end(case.spend))
        args += ["-s", str(folder / "spend.csv")]
    err = io.StringIO()
    code = 0
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        try:
            main(args, standalone_mode=True)
        except SystemExit as exc:
            code = int(exc.code or 0)
    return code, err.getvalue(), folder / "out"


def explained_empty(out: Path, channels: pd.DataFrame) -> set[str]:
    """The uncertainty columns that may be n/a: the report names why in ``settings.not_shown``, or their sibling is n/a."""
    settings = json.loads((out / "summary.json").read_text())["settings"]
    not_shown = settings.get("not_shown") or {}
    allowed = set()
    if "share_new_paying_back" in not_shown or channels["cac"].isna().all():
        allowed.add("share_new_paying_back")
    if "future_margin_total" in not_shown:
        allowed |= {"future_margin_total", "future_margin_lower", "future_margin_upper"}
    if settings.get("other_model") is None:
        allowed |= {"ltv_new_other_model", "ltv_new_to_cac_other_model"}
    elif channels["cac"].isna().all():
        allowed.add("ltv_new_to_cac_other_model")
    return allowed


def check_outcome(code: int, stderr: str, out: Path, case: Case) -> None:
    """The contract: exit 0 with finite tables, or exit 2 with one line and nothing written."""
    assert code in (0, 2), f"exit {code}: {stderr}"
    if code == 2:
        lines = stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("clv: error: "), stderr
        assert not out.exists(), f"exit 2 left {out} behind"
        return
    for name in ("channels.csv", "customers.csv"):
        table = pd.read_csv(out / name, keep_default_na=False, na_values=[""])
        if name == "channels.csv":  # a channel with spend but no customers: every figure n/a, and the row says so
            empty_rows = table["customers"] == 0
            assert table.loc[empty_rows, "payback_status"].eq("no customers").all()
            assert table.loc[empty_rows, "model_source"].eq("none (no customers)").all()
            table = table[~empty_rows]
        numeric = table.select_dtypes(include="number")
        assert np.isfinite(numeric.fillna(0.0).to_numpy(dtype=float)).all(), f"{name}: infinite value\n{numeric.describe()}"
        allowed = MAY_BE_EMPTY[name] | (explained_empty(out, table) if name == "channels.csv" else set())
        empty = [c for c in table.columns if table[c].isna().any() and c not in allowed]
        assert not empty, f"{name}: empty cells in {empty} ({case.describe()})"
        scored = table[table["scored"]] if "scored" in table else table
        money = [c for c in MONEY & set(table.columns) if scored[c].isna().any()]
        assert not money, f"{name}: NaN in money column(s) {money} ({case.describe()})"
    channels = pd.read_csv(out / "channels.csv", keep_default_na=False, na_values=[""])
    unpaid = channels["payback_period"].isna() & channels["payback_status"].eq("paid back")
    assert not unpaid.any(), "payback_period empty although paid back"


@pytest.mark.slow
@settings(max_examples=EXAMPLES, deadline=None, derandomize=EXAMPLES <= 40, print_blob=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(case=cases())
def test_report_never_dies(case: Case) -> None:
    with tempfile.TemporaryDirectory() as folder:
        code, stderr, out = run_report(case, Path(folder))
        event(f"exit {code}")  # shown with --hypothesis-show-statistics
        check_outcome(code, stderr, out, case)

"""Issue 17: every command of the README and the docs runs as written.

Every ```bash block of README.md and docs/*.md is split into commands (line
continuations joined, ``&&`` chains split, comments dropped) and run in a
scratch directory; every ```python block is executed, the blocks of one page
in order in one namespace. Blocks that are not meant to run are fenced
``text`` (a synopsis with ``[--option]`` brackets, a PostgreSQL URL); a
command outside a bash block fails :func:`test_commands_are_in_bash_blocks`.

The docs name their inputs ``tx.csv``, ``acquisitions.csv``, ``spend.csv``
(and ``orders.csv`` ... with other column names): the scratch directory
holds them, cut from the bundled demo shop (every tenth customer, all
channel spend) so the commands run in seconds, not minutes. ``clv demo``
itself runs on the full demo data, as written.

The scratch directory also holds ``lake/tx-*.parquet`` (the same
transactions in two files) and ``arms.csv`` (an A/B assignment of those
customers) that docs/engines.md and docs/operations.md read, and ``customers.csv`` (a region
and the first order value of each customer) that docs/covariates.md reads.

Not run, by design: creating a virtual environment and ``pip install``
(the test runs inside the installed environment), ``python -m pytest``
(this test is part of that run), and docs/spark.md, whose example reads
and writes an S3 lake (tests/spark runs the same calls on local data).
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from clv.cli import main

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
SETUP = ("python3 -m venv", ". .venv/bin/activate", "pip install", "python -m pytest")


def blocks(lang: str) -> list[tuple[Path, str]]:
    return [(page, m.group(1)) for page in PAGES for m in re.finditer(rf"```{lang}\n(.*?)```", page.read_text(), re.S)]


def commands() -> list[str]:
    out: list[str] = []
    for _, body in blocks("bash"):
        for line in body.replace("\\\n", " ").splitlines():
            for part in (p.strip() for p in line.split("&&")):
                words = shlex.split(part, comments=True)
                if words and not any(part.startswith(s) for s in SETUP):
                    out.append(shlex.join(words))
    return list(dict.fromkeys(out))  # the same command twice runs once


def test_commands_are_in_bash_blocks() -> None:
    for page in PAGES:
        for m in re.finditer(r"```\n(.*?)```", page.read_text(), re.S):
            first = m.group(1).lstrip().split(" ", 1)[0]
            assert first not in ("clv", ".venv/bin/python", "python"), f"{page.name}: a command outside a ```bash block: {m.group(1)[:80]}"


@pytest.fixture(scope="module")
def workdir(tmp_path_factory) -> Path:
    """The docs' input files, cut from the demo shop, with ``data/`` and ``examples/`` beside them."""
    folder = tmp_path_factory.mktemp("docs")
    demo = ROOT / "data" / "demo"
    acq = pd.read_csv(demo / "acquisitions.csv")
    tx = pd.read_csv(demo / "transactions.csv")
    keep = set(acq["customer_id"][acq["customer_id"] % 10 == 0])
    tx, acq = tx[tx["customer_id"].isin(keep)], acq[acq["customer_id"].isin(keep)]
    spend = pd.read_csv(demo / "channel_spend.csv")
    tx.to_csv(folder / "tx.csv", index=False)
    acq.to_csv(folder / "acquisitions.csv", index=False)
    spend.to_csv(folder / "spend.csv", index=False)
    tx.rename(columns={"customer_id": "user_id", "date": "order_date", "amount": "revenue"}).to_csv(folder / "orders.csv", index=False)
    acq.rename(columns={"customer_id": "user_id", "channel": "source", "acquired_at": "signup_date"}).to_csv(folder / "signups.csv", index=False)
    spend.rename(columns={"channel": "source", "period": "month", "spend": "cost"}).to_csv(folder / "budget.csv", index=False)
    (folder / "lake").mkdir()
    halves = tx["customer_id"] % 20 == 0
    tx[halves].to_parquet(folder / "lake" / "tx-0.parquet", index=False)
    tx[~halves].to_parquet(folder / "lake" / "tx-1.parquet", index=False)
    arms = acq[["customer_id", "acquired_at"]].rename(columns={"acquired_at": "assigned_at"})
    arms.insert(1, "arm", ["control" if i % 20 == 0 else "treatment" for i in arms["customer_id"]])
    arms.to_csv(folder / "arms.csv", index=False)
    first = tx.sort_values(["customer_id", "date"]).drop_duplicates("customer_id")  # docs/covariates.md's customers.csv
    regions = pd.Series(["east", "north", "south", "west"])[(first["customer_id"] % 4).to_numpy()].to_numpy()
    pd.DataFrame({"customer_id": first["customer_id"], "region": regions,
                  "first_order_value": first["amount"]}).to_csv(folder / "customers.csv", index=False)
    lifetimes = pytest.importorskip("lifetimes")
    example = Path(lifetimes.__file__).parent / "datasets" / "example_transactions.csv"
    (folder / "example_transactions.csv").write_bytes(example.read_bytes())
    for name in ("data", "examples"):
        (folder / name).symlink_to(ROOT / name)
    return folder


@pytest.mark.slow
@pytest.mark.parametrize("command", commands())
def test_doc_command_runs(command: str, workdir: Path, monkeypatch) -> None:
    monkeypatch.chdir(workdir)
    words = shlex.split(command)
    if words[0] == "clv":
        result = CliRunner().invoke(main, words[1:], catch_exceptions=False)
        assert result.exit_code == 0, f"{command}\n{result.output}"
        return
    assert words[0] == ".venv/bin/python", f"a documented command this test does not know how to run: {command}"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    done = subprocess.run([sys.executable, *words[1:]], capture_output=True, text=True, env=env, timeout=900)
    assert done.returncode == 0, f"{command}\n{done.stderr}"


NEEDS_A_LAKE = {"spark.md"}  # reads and writes s3://lake/...: shows a cluster job; tests/spark runs the same calls locally


@pytest.mark.slow
@pytest.mark.parametrize("page", sorted({page for page, _ in blocks("python")}), ids=lambda p: p.name)
def test_doc_python_blocks_run(page: Path, workdir: Path, monkeypatch) -> None:
    if page.name in NEEDS_A_LAKE:
        pytest.skip(f"{page.name} reads an S3 lake; its calls run locally in tests/spark")
    monkeypatch.chdir(workdir)
    namespace: dict = {}
    for where, body in blocks("python"):
        if where == page:
            exec(compile(body, str(page), "exec"), namespace)  # executes our own documentation

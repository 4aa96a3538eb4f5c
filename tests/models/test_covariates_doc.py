"""The CDNOW snippets of docs/covariates.md run in order and print what the page shows."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from tests.reference import clvtools_covariates as ref

DOC = Path(__file__).resolve().parents[2] / "docs" / "covariates.md"


def test_covariates_doc_snippets_run(capsys):
    text = DOC.read_text().split("## Example: the acquisition channel")[0]
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.S)
    assert len(blocks) == 2
    namespace: dict = {}
    for block in blocks:
        exec(compile(block, str(DOC), "exec"), namespace)
    out = capsys.readouterr().out
    assert "log-likelihood -9564.17" in out
    assert "purchase:big_first     0.640    0.107" in out
    # The traits built from the transactions are CLVTools' covariates.
    theirs = pd.read_csv(ref.COVARIATES_CSV).set_index("customer_id")
    pd.testing.assert_frame_equal(namespace["rfm"][ref.COLUMNS], theirs.loc[namespace["rfm"].index, ref.COLUMNS], check_dtype=False)

"""The snippets of docs/budgeting.md run in order and say what the page claims."""

from __future__ import annotations

import re
from pathlib import Path

DOC = Path(__file__).resolve().parents[2] / "docs" / "budgeting.md"


def test_budgeting_doc_snippets_run(capsys):
    blocks = re.findall(r"```python\n(.*?)```", DOC.read_text(), flags=re.S)
    assert len(blocks) >= 5
    namespace: dict = {}
    for block in blocks:
        exec(compile(block, str(DOC), "exec"), namespace)
    out = capsys.readouterr().out
    assert "conditional forecast of weeks 40-78: 1,653.4" in out
    assert "tracking forecast, cumulative at week 78: 4,160.6" in out
    for name in ("forecast_base", "new_customer_value", "max_cac"):
        assert f"clv.{name}" in DOC.read_text()

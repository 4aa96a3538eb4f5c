"""The README's quickstart runs as written."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_quickstart_block_runs(tmp_path, monkeypatch):
    text = (ROOT / "README.md").read_text()
    section = text.split("## Quickstart", 1)[1]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    code = code.replace('"data/cdnow_sample.csv"', repr(str(ROOT / "data" / "cdnow_sample.csv")))
    monkeypatch.chdir(tmp_path)
    namespace: dict = {}
    exec(compile(code, "README.md", "exec"), namespace)  # executes our own documentation
    assert round(namespace["bg"].params_["r"], 4) == 0.2426
    assert (tmp_path / "bgnbd.json").exists()
    assert round(namespace["result"].metrics["predicted_total"], 1) == 1653.4

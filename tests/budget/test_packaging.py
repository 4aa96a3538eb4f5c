"""Public API hygiene: the curated ``clv.__all__`` and the PEP 561 marker."""

from __future__ import annotations

import tomllib
from importlib import resources
from pathlib import Path

import clv

ROOT = Path(__file__).resolve().parents[2]


def test_py_typed_marker_is_in_the_package():
    assert resources.files("clv").joinpath("py.typed").is_file()
    wheel = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["hatch"]["build"]["targets"]["wheel"]
    # the wheel ships the whole clv package directory (py.typed included); nothing excludes it
    assert "clv" in wheel["packages"]
    assert not any("py.typed" in pattern for pattern in wheel.get("exclude", []))


def test_all_names_exist_and_are_unique():
    assert len(clv.__all__) == len(set(clv.__all__))
    missing = [name for name in clv.__all__ if not hasattr(clv, name)]
    assert missing == []


# Public names whose docstrings had no runnable example when this test was written; they belong to
# other areas (models, diagnostics). The list may only shrink: a new public name must bring its example.
PENDING_EXAMPLES = {
    "ModifiedBetaGeo", "ParetoNBD", "load_model", "period_transactions", "frequency_recency_matrix", "alive_history",
}


def test_public_functions_have_docstrings_with_examples():
    """Every public function and estimator exported at top level shows a runnable (doctested) example."""
    lacking = set()
    for name in clv.__all__:
        obj = getattr(clv, name)
        is_function = callable(obj) and not isinstance(obj, type)
        is_estimator = isinstance(obj, type) and hasattr(obj, "fit")
        if (is_function or is_estimator) and ">>>" not in (obj.__doc__ or ""):
            lacking.add(name)
    assert lacking <= PENDING_EXAMPLES, f"public names without a docstring example: {sorted(lacking - PENDING_EXAMPLES)}"

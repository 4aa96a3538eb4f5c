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


def test_public_callables_have_docstrings():
    undocumented = [name for name in clv.__all__ if callable(getattr(clv, name)) and not (getattr(clv, name).__doc__ or "").strip()]
    assert undocumented == []


def test_budget_api_docstrings_carry_examples():
    """The budgeting names show runnable (doctested) examples; see the report for other areas' names."""
    for name in ("forecast_base", "new_customer_value", "max_cac"):
        doc = getattr(clv, name).__doc__
        assert ">>>" in doc and "Parameters" in doc and "Returns" in doc

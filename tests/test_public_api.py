"""The public API is curated and documented (issue 7).

* ``clv.__all__`` (and the ``__all__`` of ``clv.plotting``, ``clv.bayes`` and
  ``clv.spark``) lists names that exist, once each, in ruff's isort-style order
  (RUF022: CONSTANTS, then Classes, then functions), and nothing public is
  imported into ``clv`` without being listed.
* Every public function and class, and the prediction/persistence methods of
  the maximum-likelihood models, has a numpydoc docstring with an
  ``Examples`` section; functions also have ``Parameters`` (when they take
  any) and ``Returns``. The examples run as doctests (``--doctest-modules``);
  here we check they are not all switched off with ``+SKIP``, except where
  running them needs a Spark session or a PyMC fit.
* ``import clv`` stays light: no PyMC, PyTensor, PySpark or pyplot.
"""

from __future__ import annotations

import importlib
import inspect
import subprocess
import sys
import types
from typing import Any

import pytest

import clv

MODULES = ("clv", "clv.plotting", "clv.bayes", "clv.spark")

MODEL_METHODS = {
    "BetaGeo": ("fit", "purchase_rate", "probability_alive", "expected_purchases", "expected_purchases_new",
                "probability_of_purchases", "summary", "save"),
    "ModifiedBetaGeo": ("fit", "purchase_rate", "probability_alive", "expected_purchases", "expected_purchases_new",
                        "probability_of_purchases", "summary", "save"),
    "ParetoNBD": ("fit", "purchase_rate", "probability_alive", "expected_purchases", "expected_purchases_new",
                  "probability_of_purchases", "summary", "save"),
    "GammaGamma": ("fit", "expected_spend", "summary", "save"),
    "ShiftedBetaGeo": ("fit", "survival", "retention_rate", "projection", "expected_residual_lifetime", "derl", "summary", "save"),
    "BetaGeoBetaBinom": ("fit", "probability_alive", "expected_purchases", "conditional_pmf", "probability_no_purchase",
                         "probability_of_purchases", "expected_purchases_new", "discounted_expected_transactions", "summary", "save"),
}

# Examples that cannot run in a doctest, with the reason; all their example lines carry ``+SKIP``.
SKIPPED_EXAMPLES = {
    "clv.bayes.load": "needs a fitted model, i.e. a PyMC sampling run",
    **{
        f"clv.spark.{name}": "needs a Spark session (Java)"
        for name in (
            "ReportInputs", "SparkRFM", "calibration_holdout", "channel_aggregates", "fit", "fit_channel_models",
            "get_session", "report_inputs", "rfm_summary", "score", "score_channels", "sufficient_statistics",
        )
    },
}


def _module(name: str) -> types.ModuleType:
    return importlib.import_module(name)


def _isort_key(name: str) -> tuple[int, str]:
    """Ruff's RUF022 isort-style order: SCREAMING_CASE, then CamelCase, then everything else."""
    if len(name) > 1 and name.upper() == name and name.lower() != name:
        return 0, name
    if name[:1].isupper():
        return 1, name
    return 2, name


def _documented() -> list[tuple[str, Any]]:
    """``(qualified name, object)`` of every public function and class of :data:`MODULES`, and the model methods."""
    out = []
    for module_name in MODULES:
        module = _module(module_name)
        for name in module.__all__:
            obj = getattr(module, name)
            if inspect.isfunction(obj) or inspect.isclass(obj):
                out.append((f"{module_name}.{name}", obj))
    for cls_name, methods in MODEL_METHODS.items():
        cls = getattr(clv, cls_name)
        out.extend((f"clv.{cls_name}.{m}", getattr(cls, m)) for m in methods)
    out.append(("clv.load_model", clv.load_model))
    return out


DOCUMENTED = _documented()


def _section(doc: str, title: str) -> bool:
    return f"\n{title}\n{'-' * len(title)}\n" in f"\n{doc}"


def _example_lines(doc: str) -> list[str]:
    return [line.strip() for line in doc.splitlines() if line.strip().startswith(">>>")]


@pytest.mark.parametrize("module_name", MODULES)
def test_all_is_sorted_unique_and_exists(module_name):
    module = _module(module_name)
    names = list(module.__all__)
    assert len(names) == len(set(names)), "duplicates in __all__"
    assert names == sorted(names, key=_isort_key), "__all__ is not in isort-style order (ruff RUF022)"
    assert [n for n in names if not hasattr(module, n)] == []


def test_nothing_public_is_imported_into_clv_without_being_listed():
    unlisted = [
        name for name, obj in vars(clv).items()
        if not name.startswith("_") and name not in clv.__all__
        and not isinstance(obj, types.ModuleType) and type(obj).__module__ != "__future__"  # `annotations`
    ]
    assert unlisted == []


def test_every_public_callable_is_checked():
    """The walk below covers every function and class of ``clv.__all__`` (nothing slips through)."""
    listed = {name for name in clv.__all__ if inspect.isfunction(getattr(clv, name)) or inspect.isclass(getattr(clv, name))}
    checked = {q.split(".", 1)[1] for q, _ in DOCUMENTED if q.count(".") == 1 and q.startswith("clv.")}
    assert listed <= checked
    assert len(DOCUMENTED) >= 100


@pytest.mark.parametrize(("qualname", "obj"), DOCUMENTED, ids=[q for q, _ in DOCUMENTED])
def test_numpydoc_docstring_with_examples(qualname, obj):
    doc = inspect.getdoc(obj) or ""
    assert doc.strip(), f"{qualname}: no docstring"
    assert _section(doc, "Examples"), f"{qualname}: no Examples section"
    lines = _example_lines(doc)
    assert lines, f"{qualname}: Examples section without a >>> line"
    runnable = [line for line in lines if "doctest: +SKIP" not in line]
    assert runnable or qualname in SKIPPED_EXAMPLES, f"{qualname}: every example line is +SKIP"
    if inspect.isclass(obj):
        if issubclass(obj, BaseException):  # built from a message; no constructor to document
            return
        if inspect.signature(obj).parameters:
            assert _section(doc, "Parameters") or _section(doc, "Attributes"), f"{qualname}: no Parameters/Attributes"
        return
    params = [p for p in inspect.signature(obj).parameters if p not in ("self", "cls")]
    if params:
        assert _section(doc, "Parameters"), f"{qualname}: no Parameters section"
    assert _section(doc, "Returns"), f"{qualname}: no Returns section"


def test_skipped_examples_name_documented_objects():
    """Every name allowed to skip its examples exists (no stale entries)."""
    known = {q for q, _ in DOCUMENTED}
    assert set(SKIPPED_EXAMPLES) <= known


def test_import_clv_stays_light():
    heavy = ("pymc", "pytensor", "pyspark", "matplotlib.pyplot")
    code = f"import sys, clv; print(','.join(m for m in {heavy!r} if m in sys.modules))"
    loaded = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout.strip()
    assert loaded == "", f"import clv loaded {loaded}"

"""The layers of docs/architecture.md, checked on the source (issue 12).

* ``clv.kernels`` imports nothing from ``clv`` outside the kernels;
* models and bayes never import reports, plotting or the CLI; data never imports models;
* nothing in the package imports ``clv.cli`` (the CLI sits on top; tests may);
* no module imports another module's ``_private`` name (``from m import _x`` or ``m._x``);
* no function has more than ``MAX_FUNCTION_LINES`` lines of code (docstring, comments and blank
  lines aside) and no module more than ``MAX_MODULE_LINES`` lines, except the allow-lists below,
  each with its reason.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "clv"
MAX_FUNCTION_LINES = 80
MAX_MODULE_LINES = 600

# function (module path:qualified name) -> why it may be longer
FUNCTION_ALLOW = {
    "clv/data/simulate.py:simulate": "the simulator draws each step of the generative story in order (population, "
                                      "channels, lifetimes, purchases, amounts); splitting it hides the story",
}
# module -> why it may be longer
MODULE_ALLOW = {
}

FORBIDDEN = {
    "clv/kernels": ("clv.",),
    "clv/models": ("clv.reports", "clv.plotting", "clv.cli", "clv.bayes"),
    "clv/bayes": ("clv.reports", "clv.plotting", "clv.cli"),
    "clv/data": ("clv.models", "clv.bayes", "clv.reports", "clv.cli"),
    "clv": ("clv.cli",),
}


def _modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def _name(path: Path) -> str:
    return str(path.relative_to(PACKAGE.parent))


def _module_of(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(tree: ast.AST) -> list[tuple[str, list[str], int]]:
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(alias.name, [], node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.append((node.module, [alias.name for alias in node.names], node.lineno))
    return out


@pytest.mark.parametrize("path", _modules(), ids=_name)
def test_import_directions(path: Path) -> None:
    name = _name(path)
    own = _module_of(path)
    for module, _, line in _imports(ast.parse(path.read_text(encoding="utf-8"))):
        for prefix, banned in FORBIDDEN.items():
            if not name.startswith(prefix + "/") or own == "clv.cli":
                continue
            for bad in banned:
                inside = prefix == "clv/kernels" and module.startswith("clv.kernels")
                if (module == bad.rstrip(".") or module.startswith(bad)) and not inside and module != own:
                    raise AssertionError(f"{name}:{line} imports {module} ({prefix} must not import {bad})")


@pytest.mark.parametrize("path", _modules(), ids=_name)
def test_no_private_names_across_modules(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    own = _module_of(path)
    modules = {}
    for module, names, line in _imports(tree):
        if module.startswith("clv") and module != own:
            private = [n for n in names if n.startswith("_") and not n.startswith("__")]
            assert not private, f"{_name(path)}:{line} imports private {private} from {module}"
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("clv"):
                    modules[alias.asname or alias.name.split(".")[0]] = alias.name
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("clv"):
            for alias in node.names:  # ``from clv import spark`` binds a module
                modules.setdefault(alias.asname or alias.name, f"{node.module}.{alias.name}")
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr.startswith("_") and not node.attr.startswith("__"):
            base = node.value
            while isinstance(base, ast.Attribute):
                base = base.value
            if isinstance(base, ast.Name) and base.id in modules and modules[base.id] != own:
                raise AssertionError(f"{_name(path)}:{node.lineno} uses private {ast.unparse(node)}")


def _code_lines(node: ast.AST, source: list[str]) -> int:
    """Lines of a function that hold code: not blank, not a comment, not the docstring."""
    skip: set[int] = set()
    body = getattr(node, "body", [])
    if body and isinstance(body[0], ast.Expr) and isinstance(getattr(body[0], "value", None), ast.Constant) \
            and isinstance(body[0].value.value, str):
        skip.update(range(body[0].lineno, body[0].end_lineno + 1))
    count = 0
    for i in range(node.lineno, node.end_lineno + 1):
        text = source[i - 1].strip()
        if i not in skip and text and not text.startswith("#"):
            count += 1
    return count


def _functions(tree: ast.AST, prefix: str = "") -> list[tuple[str, ast.AST]]:
    out = []
    for node in getattr(tree, "body", []):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            out.append((prefix + node.name, node))
            out += _functions(node, prefix + node.name + ".")
        elif isinstance(node, ast.ClassDef):
            out += _functions(node, prefix + node.name + ".")
    return out


def function_sizes() -> dict[str, int]:
    """``{"clv/x.py:func": code lines}`` for every function and method of the package."""
    sizes = {}
    for path in _modules():
        text = path.read_text(encoding="utf-8")
        for qualname, node in _functions(ast.parse(text)):
            sizes[f"{_name(path)}:{qualname}"] = _code_lines(node, text.splitlines())
    return sizes


def test_function_size_limit() -> None:
    sizes = function_sizes()
    over = {k: v for k, v in sizes.items() if v > MAX_FUNCTION_LINES and k not in FUNCTION_ALLOW}
    assert not over, f"functions over {MAX_FUNCTION_LINES} lines of code (split them, or add to FUNCTION_ALLOW with a reason): {over}"
    stale = [k for k in FUNCTION_ALLOW if sizes.get(k, 0) <= MAX_FUNCTION_LINES]
    assert not stale, f"FUNCTION_ALLOW entries no longer needed: {stale}"


def test_module_size_limit() -> None:
    lengths = {_name(p): len(p.read_text(encoding="utf-8").splitlines()) for p in _modules()}
    over = {k: v for k, v in lengths.items() if v > MAX_MODULE_LINES and k not in MODULE_ALLOW}
    assert not over, f"modules over {MAX_MODULE_LINES} lines (split them, or add to MODULE_ALLOW with a reason): {over}"
    stale = [k for k in MODULE_ALLOW if lengths.get(k, 0) <= MAX_MODULE_LINES]
    assert not stale, f"MODULE_ALLOW entries no longer needed: {stale}"

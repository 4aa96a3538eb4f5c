"""Test modules have unique basenames.

The test directories have no ``__init__.py`` (pytest's default "prepend"
import mode), so two files called ``test_x.py`` in different folders collide
at collection: stop 9's CI failed on ``tests/models/test_recovery.py`` vs
``tests/bayes/test_recovery.py``. This check names the clash directly.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

TESTS = Path(__file__).parent


def test_test_module_basenames_are_unique() -> None:
    seen: dict[str, list[str]] = defaultdict(list)
    for path in TESTS.rglob("test_*.py"):
        seen[path.name].append(str(path.relative_to(TESTS)))
    clashes = {name: paths for name, paths in seen.items() if len(paths) > 1}
    assert not clashes, f"rename one of each: {clashes}"

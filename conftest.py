"""Test-session settings shared by the doctests in ``clv/`` and the tests in ``tests/``."""

import matplotlib
import pandas as pd
import pytest

matplotlib.use("Agg")


@pytest.fixture(autouse=True)
def _wide_pandas_output():
    """Doctest output is compared as text: print frames in full, on one line per row."""
    with pd.option_context("display.width", 250, "display.max_columns", 30):
        yield

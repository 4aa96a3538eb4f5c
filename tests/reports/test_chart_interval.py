"""The LTV-vs-CAC chart draws a point that falls outside its interval (few draws) instead of failing."""

from __future__ import annotations

import pandas as pd


def test_point_outside_its_interval_is_drawn() -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from clv.reports.charts import ltv_vs_cac

    table = pd.DataFrame({"customers": [10, 12], "ltv_expected": [5.0, 9.0], "cac": [4.0, 10.0],
                          "ltv_lower": [5.5, 8.0], "ltv_upper": [7.0, 8.5]}, index=["search", "social"])
    fig, ax = plt.subplots()
    try:
        ltv_vs_cac(table, ax=ax)  # raised "'xerr' must not contain negative values" (found with clv report --n-draws 4)
    finally:
        plt.close(fig)

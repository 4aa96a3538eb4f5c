"""One local[2] SparkSession for the whole Spark test suite (quick settings: few shuffle partitions, no UI)."""

from __future__ import annotations

import pytest

pytest.importorskip("pyspark")


@pytest.fixture(scope="session")
def spark():
    import clv.spark

    session = clv.spark.get_session(
        "local[2]",
        app_name="clv-tests",
        config={
            "spark.ui.enabled": "false",
            "spark.sql.shuffle.partitions": "4",
            "spark.default.parallelism": "4",
            "spark.sql.session.timeZone": "UTC",
            "spark.driver.memory": "2g",
            "spark.sql.adaptive.enabled": "true",
            "spark.ui.showConsoleProgress": "false",
        },
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()

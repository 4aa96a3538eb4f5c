"""Lazy access to PySpark and a ready-made session for local runs and the CLI."""

from __future__ import annotations

import os
import sys
from types import ModuleType
from typing import Any, Mapping

__all__ = ["functions", "get_session", "local_driver_memory", "types"]

_HINT = "clv.spark needs PySpark: pip install 'clv[spark]' (and Java 17 for local mode)"


def functions() -> ModuleType:
    """``pyspark.sql.functions``, imported on first use with an install hint when missing."""
    try:
        from pyspark.sql import functions as F
    except ImportError as exc:  # pragma: no cover - exercised only without pyspark
        raise ImportError(_HINT) from exc
    return F


def types() -> ModuleType:
    """``pyspark.sql.types``, imported on first use."""
    functions()
    from pyspark.sql import types as T

    return T


def local_driver_memory(total_bytes: int | None = None) -> str:
    """Driver heap for a local session: a quarter of the machine's memory, between 1 and 8 GiB.

    Spark's own default (``spark.driver.memory=1g``) is sized for a client
    that only submits jobs. In local mode the driver JVM is also the executor,
    and the channel report collects one row per customer through it (Arrow
    ``toPandas``): with 1 GiB the 50M-transaction benchmark (16.4M customers)
    died with ``OutOfMemoryError: Java heap space``.

    Parameters
    ----------
    total_bytes : int, optional
        Physical memory; default this machine's (``os.sysconf``).

    Returns
    -------
    str
        A ``spark.driver.memory`` value in whole MiB, e.g. ``"6144m"``.

    Examples
    --------
    >>> local_driver_memory(24 * 2**30), local_driver_memory(2 * 2**30), local_driver_memory(256 * 2**30)
    ('6144m', '1024m', '8192m')
    """
    if total_bytes is None:
        total_bytes = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    mib = min(max(total_bytes // 4 // 2**20, 1024), 8192)
    return f"{int(mib)}m"


def get_session(
    master: str = "local[*]",
    *,
    app_name: str = "clv",
    config: Mapping[str, Any] | None = None,
) -> Any:
    """Get or create a SparkSession set up for ``clv``.

    Parameters
    ----------
    master : str
        Spark master URL: ``local[*]`` (all cores of this machine),
        ``local[2]``, ``spark://host:7077``, ``yarn``, ... On Databricks or
        EMR notebooks use the session that already exists instead.
    app_name : str
        Application name shown by the cluster manager.
    config : mapping, optional
        Extra ``spark.*`` settings; they override the defaults below.

    Returns
    -------
    pyspark.sql.SparkSession

    Notes
    -----
    Defaults: Arrow transfers on (``mapInPandas`` and ``toPandas``), adaptive
    execution allowed to coalesce the partitions of persisted results, and in
    local mode the Python workers run this interpreter (``sys.executable``, unless
    ``PYSPARK_PYTHON`` is already set),
    so they see the same ``clv``, NumPy and pandas as the driver. On a
    cluster ``clv`` must be installed on the executors (see docs/spark.md).
    An existing session is returned as it is (``getOrCreate``), so settings
    only apply to a new one.

    Examples
    --------
    These need a Spark session (``pip install 'clv[spark]'`` and Java 17), so
    the doctests do not run them.

    >>> import clv.spark
    >>> spark = clv.spark.get_session("local[2]", config={"spark.sql.shuffle.partitions": "8"})  # doctest: +SKIP
    >>> spark.conf.get("spark.sql.execution.arrow.pyspark.enabled")  # doctest: +SKIP
    'true'
    """
    functions()
    from pyspark.sql import SparkSession

    settings: dict[str, Any] = {
        "spark.sql.execution.arrow.pyspark.enabled": "true",
        # Let adaptive execution coalesce the shuffle partitions of the persisted summary (small bases, few tasks).
        "spark.sql.optimizer.canChangeCachedPlanOutputPartitioning": "true",
    }
    if master.startswith("local"):
        # The driver is the executor in local mode; Spark's 1g default cannot hold a large collected result.
        if "SPARK_DRIVER_MEMORY" not in os.environ:
            settings["spark.driver.memory"] = local_driver_memory()
            # ... nor its 1g cap on collected results (the 16.4M-customer collect is 1.04 GiB of Arrow batches): half the heap.
            settings["spark.driver.maxResultSize"] = f"{int(settings['spark.driver.memory'][:-1]) // 2}m"
        # PySpark starts its Python workers with $PYSPARK_PYTHON (default "python3", often another environment).
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    settings.update(dict(config or {}))
    builder = SparkSession.builder.master(master).appName(app_name)
    for key, value in settings.items():
        builder = builder.config(key, str(value))
    return builder.getOrCreate()

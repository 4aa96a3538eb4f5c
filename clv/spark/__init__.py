"""The Spark path: summaries, fitting and scoring of transaction logs that do not fit on one machine.

``pip install clv[spark]``. PySpark is imported only when a function here is
called, so ``import clv`` and ``import clv.spark`` never need it.

The flow mirrors the pandas one, with the same numbers:

* :func:`rfm_summary` and :func:`calibration_holdout` turn a Spark DataFrame
  of transactions into a per-customer Spark DataFrame (:class:`SparkRFM`),
  with exactly the conventions of :func:`clv.rfm_summary`;
* :func:`sufficient_statistics` collapses customers to the distinct tuples
  the likelihood depends on, with counts, and :func:`fit` fits any ``clv``
  model on the driver from those tuples (``model.fit(agg, weights="count")``);
* :func:`score` runs :func:`clv.customer_value` inside every partition with
  ``mapInPandas`` (models travel as their JSON description, never pickled);
* :func:`fit_channel_models` and :func:`score_channels` do the same per
  acquisition channel (:class:`clv.ChannelModels`), and
  :func:`channel_aggregates` sums realized and expected value per channel and
  cohort month for the channel report;
* :func:`report_inputs` chains all of it for ``clv report --engine spark``.

See ``docs/spark.md`` for why fitting from the collapsed tuples is exact.
"""

from __future__ import annotations

from clv.spark.channels import channel_aggregates, channel_means
from clv.spark.fitting import fit, fit_channel_models, sufficient_statistics
from clv.spark.report import ReportInputs, read_table, report_inputs
from clv.spark.scoring import model_from_json, score, score_channels
from clv.spark.session import get_session
from clv.spark.summary import SparkRFM, calibration_holdout, rfm_summary

__all__ = [
    "ReportInputs",
    "SparkRFM",
    "calibration_holdout",
    "channel_aggregates",
    "channel_means",
    "fit",
    "fit_channel_models",
    "get_session",
    "model_from_json",
    "read_table",
    "report_inputs",
    "rfm_summary",
    "score",
    "score_channels",
    "sufficient_statistics",
]

"""The DuckDB engine: summaries, fitting and scoring of transaction logs larger than memory, on one machine.

DuckDB is embedded (no server) and imported only when a function here is
called. The flow mirrors :mod:`clv.spark`, with the same numbers as the
pandas path:

* :func:`read_source` reads Parquet or CSV files, globs and directories
  lazily, pandas DataFrames, and (:func:`load_sql`) SQL queries streamed in
  chunks through SQLAlchemy;
* :func:`rfm_summary` and :func:`calibration_holdout` merge purchase days in
  SQL and summarise customers slice by slice (:class:`DuckRFM`, a DuckDB table);
* :func:`read_acquisitions` validates the acquisition table in SQL
  (:class:`DuckAcquisitions`, a DuckDB table and the per-channel counts);
* :func:`sufficient_statistics` collapses customers to the distinct
  ``(x, t_x, T)`` tuples with counts (and the spend statistics), and
  :func:`fit` / :func:`fit_channel_models` fit on them;
* :func:`score` values customers chunk by chunk with :func:`clv.customer_value`
  and writes the scores to a DuckDB table and/or a CSV file;
* :class:`DuckRows` keeps a per-customer table in DuckDB and :func:`copy_csv`
  writes a query to CSV byte for byte as pandas writes the same frame;
* :func:`channel_aggregates` sums realized and expected value per channel and
  cohort month in SQL;
* :func:`report_inputs` chains all of it for ``clv report --engine duckdb``, and
  :func:`channel_report` builds the channel report with the customer base
  kept in DuckDB (:class:`clv.duckdb.channel_base.DuckBase`).

See ``docs/engines.md`` for when to use pandas, DuckDB or Spark.
"""

from __future__ import annotations

from clv.duckdb.acquisitions import DuckAcquisitions, read_acquisitions
from clv.duckdb.channel_base import channel_report
from clv.duckdb.channels import channel_aggregates
from clv.duckdb.fitting import acquisitions_view, fit, fit_channel_models, sufficient_statistics
from clv.duckdb.lifecycle import lifecycle_extra
from clv.duckdb.report import MAX_COLLECTED_ROWS, DuckInputs, collect_transactions, report_inputs
from clv.duckdb.rows import DuckRows, copy_csv
from clv.duckdb.scoring import score, score_channels
from clv.duckdb.session import connect, duckdb_module, load_sql, quote, read_source, source_columns, source_of
from clv.duckdb.summary import DuckRFM, calibration_holdout, rfm_summary

__all__ = [
    "MAX_COLLECTED_ROWS",
    "DuckAcquisitions",
    "DuckInputs",
    "DuckRFM",
    "DuckRows",
    "acquisitions_view",
    "calibration_holdout",
    "channel_aggregates",
    "channel_report",
    "collect_transactions",
    "connect",
    "copy_csv",
    "duckdb_module",
    "fit",
    "fit_channel_models",
    "lifecycle_extra",
    "load_sql",
    "quote",
    "read_acquisitions",
    "read_source",
    "report_inputs",
    "rfm_summary",
    "score",
    "score_channels",
    "source_columns",
    "source_of",
    "sufficient_statistics",
]

"""What operations teams measure on top of the models: cohort retention, backtests, A/B tests.

Business logic on transaction logs, RFM frames and score tables. Models are
fitted only through their public API; nothing here draws (see
:mod:`clv.plotting`) or writes files (see :mod:`clv.reports`).
"""

from clv.operations.ab_bayes import ab_test_bayes
from clv.operations.ab_test import ABTest, ab_test, arm_curves, experiment_rfm
from clv.operations.backtest import Backtest, backtest, backtest_sentence, default_holdout
from clv.operations.report_inputs import operations_extra
from clv.operations.retention import RetentionTable, retention_table

__all__ = [
    "ABTest",
    "Backtest",
    "RetentionTable",
    "ab_test",
    "ab_test_bayes",
    "arm_curves",
    "backtest",
    "backtest_sentence",
    "default_holdout",
    "experiment_rfm",
    "operations_extra",
    "retention_table",
]

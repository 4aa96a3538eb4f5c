"""What operations teams measure on top of the models: cohort retention, backtests, A/B tests.

Business logic on transaction logs, RFM frames and score tables. Models are
fitted only through their public API; nothing here draws (see
:mod:`clv.plotting`) or writes files (see :mod:`clv.reports`).
"""

from clv.operations.backtest import Backtest, backtest, backtest_sentence, default_holdout
from clv.operations.retention import RetentionTable, retention_table

__all__ = ["Backtest", "RetentionTable", "backtest", "backtest_sentence", "default_holdout", "retention_table"]

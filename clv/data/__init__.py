"""Reading, validating and summarising user data; bundled data sets; the simulator.

This package is the only place that checks user input.
"""

from clv.data.acquisitions import read_acquisitions, read_channel_spend
from clv.data.arms import read_arms
from clv.data.covariates import attach_covariates, read_covariates
from clv.data.datasets import data_path, load_cdnow
from clv.data.simulate import Simulation, simulate
from clv.data.summary import TIME_UNITS, calibration_holdout, purchase_history, rfm_summary, time_unit_days
from clv.data.transactions import read_transactions

__all__ = [
    "TIME_UNITS",
    "Simulation",
    "attach_covariates",
    "calibration_holdout",
    "data_path",
    "load_cdnow",
    "purchase_history",
    "read_acquisitions",
    "read_arms",
    "read_channel_spend",
    "read_covariates",
    "read_transactions",
    "rfm_summary",
    "simulate",
    "time_unit_days",
]

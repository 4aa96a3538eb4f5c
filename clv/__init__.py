"""clv: customer lifetime value for non-contractual businesses.

Transaction log in, per-customer and per-channel value out: BG/NBD,
MBG/NBD and Pareto/NBD purchase models, the Gamma-Gamma spend model,
discounted lifetime value, and (in :mod:`clv.bayes`) hierarchical Bayesian
variants pooled across acquisition channels.
"""

from __future__ import annotations

from clv import datasets, plotting
from clv.budget import forecast_base, max_cac, new_customer_value
from clv.channels import (
    ChannelModels,
    ChannelReport,
    PosteriorChannelModels,
    channel_report,
    fit_channel_models,
)
from clv.data import (
    Simulation,
    attach_covariates,
    calibration_holdout,
    read_acquisitions,
    read_channel_spend,
    read_covariates,
    read_transactions,
    rfm_summary,
    simulate,
)
from clv.diagnostics import (
    AliveHistory,
    RFGrid,
    alive_history,
    frequency_recency_matrix,
    period_transactions,
    probability_alive_matrix,
)
from clv.errors import ClvWarning, ConvergenceError, DataError, DataWarning, NotFittedError
from clv.holdout import Tracking, ValidationResult, compare_models, tracking, validate
from clv.models import BetaGeo, BetaGeoBetaBinom, FitResult, GammaGamma, ModifiedBetaGeo, ParetoNBD, ShiftedBetaGeo, load_model
from clv.operations import ABTest, Backtest, RetentionTable, ab_test, backtest, retention_table
from clv.pipeline import fit_pooled, run_report
from clv.predictive import Predictive, predictive
from clv.segments import (
    STAGES,
    VALUE_TIERS,
    churn_watchlist,
    customer_segments,
    lifecycle_mix,
    lifecycle_stage,
    rfm_segments,
    stage_transitions,
    value_at_risk,
    value_tiers,
)
from clv.valuation import customer_value, purchase_forecast

__version__ = "0.1.0"

__all__ = [
    "STAGES",
    "VALUE_TIERS",
    "ABTest",
    "AliveHistory",
    "Backtest",
    "BetaGeo",
    "BetaGeoBetaBinom",
    "ChannelModels",
    "ChannelReport",
    "ClvWarning",
    "ConvergenceError",
    "DataError",
    "DataWarning",
    "FitResult",
    "GammaGamma",
    "ModifiedBetaGeo",
    "NotFittedError",
    "ParetoNBD",
    "PosteriorChannelModels",
    "Predictive",
    "RFGrid",
    "RetentionTable",
    "ShiftedBetaGeo",
    "Simulation",
    "Tracking",
    "ValidationResult",
    "__version__",
    "ab_test",
    "alive_history",
    "attach_covariates",
    "backtest",
    "calibration_holdout",
    "channel_report",
    "churn_watchlist",
    "compare_models",
    "customer_segments",
    "customer_value",
    "datasets",
    "fit_channel_models",
    "fit_pooled",
    "forecast_base",
    "frequency_recency_matrix",
    "lifecycle_mix",
    "lifecycle_stage",
    "load_model",
    "max_cac",
    "new_customer_value",
    "period_transactions",
    "plotting",
    "predictive",
    "probability_alive_matrix",
    "purchase_forecast",
    "read_acquisitions",
    "read_channel_spend",
    "read_covariates",
    "read_transactions",
    "retention_table",
    "rfm_segments",
    "rfm_summary",
    "run_report",
    "simulate",
    "stage_transitions",
    "tracking",
    "validate",
    "value_at_risk",
    "value_tiers",
]


def __getattr__(name: str) -> object:
    """Import :mod:`clv.bayes` on first access (``clv.bayes.HierarchicalBetaGeo``), keeping ``import clv`` light.

    ``clv.validation``, the former name of :mod:`clv.holdout`, is imported the same way.
    """
    if name in ("bayes", "validation"):
        import importlib

        return importlib.import_module(f"clv.{name}")
    raise AttributeError(f"module 'clv' has no attribute {name!r}")

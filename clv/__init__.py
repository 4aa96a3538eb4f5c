"""clv: customer lifetime value for non-contractual businesses.

Transaction log in, per-customer and per-channel value out: BG/NBD,
MBG/NBD and Pareto/NBD purchase models, the Gamma-Gamma spend model,
discounted lifetime value, and (in :mod:`clv.bayes`) hierarchical Bayesian
variants pooled across acquisition channels.
"""

from __future__ import annotations

from clv import datasets
from clv.data import (
    Simulation,
    calibration_holdout,
    read_transactions,
    rfm_summary,
    simulate,
)
from clv.errors import ClvWarning, ConvergenceError, DataError, DataWarning, NotFittedError
from clv.models import BetaGeo, FitResult, GammaGamma, ModifiedBetaGeo, ParetoNBD, load_model
from clv.valuation import customer_value

__version__ = "0.1.0"

__all__ = [
    "read_transactions",
    "rfm_summary",
    "calibration_holdout",
    "simulate",
    "Simulation",
    "BetaGeo",
    "ModifiedBetaGeo",
    "ParetoNBD",
    "GammaGamma",
    "FitResult",
    "load_model",
    "customer_value",
    "datasets",
    "DataError",
    "ConvergenceError",
    "NotFittedError",
    "ClvWarning",
    "DataWarning",
    "__version__",
]

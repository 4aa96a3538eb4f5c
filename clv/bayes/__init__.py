"""Bayesian BG/NBD, Gamma-Gamma and sBG in PyMC, pooled across groups (e.g. acquisition channels, cohorts).

Import explicitly (``import clv.bayes``): PyMC is only loaded when a model is
built or fitted, so ``import clv`` stays fast.

Examples
--------
>>> import clv.bayes
>>> sorted(clv.bayes.BETA_GEO_PRIORS)
['concentration', 'dropout', 'purchase_rate', 'r']
"""

from clv.bayes.beta_geo import HierarchicalBetaGeo
from clv.bayes.convergence import Diagnostics
from clv.bayes.gamma_gamma import HierarchicalGammaGamma
from clv.bayes.io import load
from clv.bayes.predictions import summarize
from clv.bayes.priors import BETA_GEO_PRIORS, GAMMA_GAMMA_PRIORS
from clv.bayes.shifted_beta_geo import SHIFTED_BETA_GEO_PRIORS, HierarchicalShiftedBetaGeo
from clv.bayes.workflow import fit_pair, posterior_json

__all__ = [
    "BETA_GEO_PRIORS",
    "GAMMA_GAMMA_PRIORS",
    "SHIFTED_BETA_GEO_PRIORS",
    "Diagnostics",
    "HierarchicalBetaGeo",
    "HierarchicalGammaGamma",
    "HierarchicalShiftedBetaGeo",
    "fit_pair",
    "load",
    "posterior_json",
    "summarize",
]

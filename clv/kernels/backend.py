"""Array backends for the log-likelihood expressions.

A log-likelihood is written once in terms of a handful of element-wise
functions. :data:`NUMPY` evaluates it with NumPy/SciPy (maximum likelihood);
:func:`pytensor_backend` returns the PyTensor equivalents, so the same
expression can also be built as a PyTensor graph. The PyMC models no longer
sample that graph (they call the kernels' NumPy value and gradient through
:class:`clv.bayes.likelihood.GroupedLogLike`); the PyTensor form serves the
tests as an independent evaluation of the formula.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Callable

import numpy as np
from scipy import special

__all__ = ["NUMPY", "Backend", "pytensor_backend"]


@dataclass(frozen=True)
class Backend:
    """Element-wise functions a kernel may use."""

    name: str
    log: Callable[[Any], Any]
    log1p: Callable[[Any], Any]
    exp: Callable[[Any], Any]
    gammaln: Callable[[Any], Any]
    logaddexp: Callable[[Any, Any], Any]
    where: Callable[[Any, Any, Any], Any]


NUMPY = Backend(
    name="numpy",
    log=np.log,
    log1p=np.log1p,
    exp=np.exp,
    gammaln=special.gammaln,
    logaddexp=np.logaddexp,
    where=np.where,
)


@lru_cache(maxsize=1)
def pytensor_backend() -> Backend:
    """Return the PyTensor backend (imports PyTensor on first use)."""
    import pytensor.tensor as pt

    return Backend(
        name="pytensor",
        log=pt.log,
        log1p=pt.log1p,
        exp=pt.exp,
        gammaln=pt.gammaln,
        logaddexp=pt.logaddexp,
        where=pt.switch,
    )

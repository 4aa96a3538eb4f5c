"""Pure array maths of the models: no pandas, no classes, no I/O.

One module per model. Each holds the log-likelihood (written once, against a
small backend namespace so that the same expression serves NumPy for maximum
likelihood and PyTensor for the Bayesian models), its analytic gradient for
the NumPy optimiser, and the predictive quantities (P(alive), conditional and
unconditional expectations). Two hot loops are compiled with Numba and shared
by every caller: the BG/NBD-family value and gradient over distinct tuples
(:mod:`clv.kernels.betageo_rows`, used by the MLE and the Bayesian models) and
expected purchases along many period ends (:mod:`clv.kernels.curves`, scoring).
"""

from clv.kernels import bgnbd, gammagamma, mbgnbd, paretonbd
from clv.kernels.backend import NUMPY, Backend, pytensor_backend

__all__ = ["NUMPY", "Backend", "bgnbd", "gammagamma", "mbgnbd", "paretonbd", "pytensor_backend"]

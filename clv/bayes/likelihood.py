"""The Bayesian models' likelihood: the MLE kernels' analytic log-likelihood and gradient as one PyTensor Op.

The maximum-likelihood models maximise a weighted log-likelihood whose value
and gradient are computed together by the kernels
(:func:`clv.kernels.bgnbd.loglik_grad` for BG/NBD,
:func:`clv.kernels.gammagamma.prepared_loglik_grad` for Gamma-Gamma), with
functions of one column evaluated on its distinct values only.
:class:`GroupedLogLike` wraps such a kernel for PyMC: its inputs are the
natural parameters of every group (one vector per parameter), its first
output is the log-likelihood summed over groups, and the other outputs are
the gradient with respect to each parameter vector, which
:meth:`GroupedLogLike.grad` hands to PyTensor's autodiff. The log-density
NUTS samples therefore calls exactly the code the MLE optimiser calls.

A kernel that offers ``stack`` (the BG/NBD family:
:func:`clv.kernels.betageo_rows.stack`) evaluates every group in one call,
one compiled pass over all distinct ``(group, x, t_x, T)`` tuples; the MLE's
``loglik_grad`` is the same compiled function with one group. Other kernels
are called once per group.

On 1,000,000 customers in five channels (489,000 distinct tuples) one
evaluation costs about 6-8 ms of CPU with the per-time tables of session 6
(23 ms with an ``exp`` and a ``log1p`` per tuple, 33 ms for the former NumPy
kernel called per group, 300 ms for the same formula as a PyTensor graph; see
``benchmarks/RESULTS.md``, "Session 5: Bayesian speed" and "Session 6").
``tests/bayes/test_likelihood.py`` proves the value equals the NumPy
log-likelihood summed over every customer and the gradient equals PyTensor's
symbolic gradient of the PyTensor-backend formula.
"""

from __future__ import annotations

from typing import Any, Callable, Sequence

import numpy as np
import pytensor.tensor as pt
from pytensor.gradient import DisconnectedType
from pytensor.graph.basic import Apply
from pytensor.graph.op import Op

__all__ = ["GroupedLogLike"]

Derivatives = Callable[..., tuple[float, np.ndarray]]


class GroupedLogLike(Op):
    """Sum over groups of a kernel's weighted log-likelihood, with the kernel's gradient.

    Parameters
    ----------
    derivatives : callable
        ``derivatives(params, *data) -> (loglik, gradient)`` for one group,
        ``params`` the natural parameters as a 1-d array (the MLE's kernel).
    data : sequence of tuples
        Per group, the extra arguments of ``derivatives`` (compressed
        columns and weights).

    Notes
    -----
    Only first derivatives are provided (all NUTS needs): asking PyTensor for
    a second derivative raises ``NotImplementedError``.
    """

    def __init__(self, derivatives: Derivatives, data: Sequence[tuple[Any, ...]]) -> None:
        self.derivatives = derivatives
        self.data = [tuple(d) for d in data]
        stack = getattr(derivatives, "stack", None)
        # A kernel that offers ``stack`` evaluates every group in one call (one pass over all tuples).
        self.stacked = stack(self.data) if stack is not None else None

    def evaluate(self, params: np.ndarray) -> tuple[float, np.ndarray]:
        """Total log-likelihood and the gradient per group, ``params`` of shape ``(n_groups, n_params)``."""
        if self.stacked is not None:
            ll, grads = self.stacked(params)
            return float(np.sum(ll)), grads
        total = 0.0
        grads = np.zeros_like(params)
        for g, extra in enumerate(self.data):
            ll, grad = self.derivatives(params[g], *extra)
            total += ll
            grads[g] = grad
        return total, grads

    def make_node(self, *params: Any) -> Any:
        inputs = [pt.as_tensor_variable(p, dtype="float64") for p in params]
        if any(i.ndim != 1 for i in inputs):
            raise TypeError("GroupedLogLike takes one vector (one value per group) per parameter")
        outputs = [pt.dscalar()] + [pt.dvector() for _ in inputs]
        return Apply(self, inputs, outputs)

    def perform(self, node: Any, inputs: Sequence[np.ndarray], outputs: Any) -> None:
        params = np.stack([np.asarray(p, dtype=float) for p in inputs], axis=1)
        if params.shape[0] != len(self.data):
            raise ValueError(f"GroupedLogLike: {params.shape[0]} parameter values per input for {len(self.data)} groups")
        with np.errstate(all="ignore"):  # extreme proposals give -inf/nan, which NUTS rejects
            total, grads = self.evaluate(params)
        if not np.isfinite(total):
            total = -np.inf
            grads[:] = 0.0
        outputs[0][0] = np.asarray(total)
        for i in range(params.shape[1]):
            outputs[i + 1][0] = grads[:, i].copy()

    def grad(self, inputs: Sequence[Any], output_grads: Sequence[Any]) -> list[Any]:
        if any(not isinstance(g.type, DisconnectedType) for g in output_grads[1:]):
            raise NotImplementedError("GroupedLogLike provides first derivatives only")
        _, *gradients = self(*inputs)
        return [output_grads[0] * g for g in gradients]

    def __str__(self) -> str:
        return f"GroupedLogLike({getattr(self.derivatives, '__name__', 'kernel')}, {len(self.data)} groups)"

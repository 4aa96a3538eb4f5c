"""Limit models: the sub-models a maximum-likelihood model becomes at the edge of its parameter space.

:class:`Limit` declares one (its parameters, likelihood and prediction
kernel); :meth:`clv.models.base.MLEModel.fit` fits the declared limits when the
full optimum runs off, and records the one it keeps in ``boundary_``.
:func:`boundary_note` names the limit models among fitted models, for the
fallback policy of :mod:`clv.model_set`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

__all__ = ["Limit", "boundary_note"]


@dataclass(frozen=True)
class Limit:
    """A limit model at the edge of a model's parameter space, with parameters of its own.

    When the likelihood of a model grows without bound along a direction of
    its parameter space (for instance ``q, v -> inf`` in Gamma-Gamma), the
    model's predictions often still converge: the limit is a simpler model
    with fewer parameters, a proper sub-model whose likelihood is the limit
    of the full one and so comparable with it. :meth:`MLEModel.fit` fits every
    limit the model declares when the full fit runs off to the edge, and
    keeps the one with the largest likelihood.

    Parameters
    ----------
    kind : str
        Short name recorded in ``boundary_["kind"]``, e.g. ``"homogeneous_spend"``.
    reason : str
        One sentence for users: what the data showed and what the model now assumes.
    param_names : tuple of str
        Parameters of the limit model (all positive).
    loglik : callable
        ``loglik(params, data) -> float``: total log-likelihood on the
        model's prepared data.
    start : callable
        ``start(data) -> tuple of float``: starting values (the closed-form
        estimate when there is one; a non-finite value marks a limit that
        does not apply to these data).
    kernel : object
        Namespace of the limit's prediction functions, with the signatures of
        the full model's kernel (the parameters replaced by ``param_names``).

    Examples
    --------
    >>> import clv
    >>> [limit.kind for limit in clv.GammaGamma._limits]
    ['homogeneous_spend', 'deterministic_spend', 'constant_spend']
    """

    kind: str
    reason: str
    param_names: tuple[str, ...]
    loglik: Callable[[np.ndarray, dict[str, Any]], float]
    start: Callable[[dict[str, Any]], tuple[float, ...]]
    kernel: Any = None


def boundary_note(*models: Any) -> str:
    """Which of ``models`` are limit models at the edge of their parameter space, as one short text.

    Parameters
    ----------
    *models : fitted models
        Models with a ``boundary_`` attribute (others are ignored).

    Returns
    -------
    str
        ``"<Model>: <kind>"`` for each model at a boundary, joined by ``"; "``;
        empty when none is.

    Examples
    --------
    >>> import numpy as np, pandas as pd, clv
    >>> from clv.models.limits import boundary_note
    >>> rfm = pd.DataFrame({"frequency": [1, 2, 3], "monetary_value": [20.0, 20.0, 20.0]})
    >>> boundary_note(clv.GammaGamma().fit(rfm))
    'GammaGamma: constant_spend'
    """
    notes = [f"{type(m).__name__}: {m.boundary_['kind']}" for m in models if getattr(m, "boundary_", None)]
    return "; ".join(notes)

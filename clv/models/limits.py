"""Limit models: the sub-models a maximum-likelihood model becomes at the edge of its parameter space.

:class:`Limit` declares one (its parameters, likelihood and prediction
kernel); :meth:`clv.models.base.MLEModel.fit` fits the declared limits when the
full optimum runs off, and records the one it keeps in ``boundary_``.
:func:`boundary_note` names the limit models among fitted models, for the
fallback policy of :mod:`clv.model_set`.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any, Callable

import numpy as np

from clv.errors import DataError
from clv.kernels import betageo_limits as limits
from clv.kernels.design import dot

__all__ = ["Limit", "LimitPredictions", "betageo_limits", "boundary_note"]


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


_LIMIT_TEXT = {
    ("point", "beta"): ("homogeneous_purchase_rate",
                        "purchase counts vary no more than Poisson counts at one rate, so the spread of purchase rates across "
                        "customers (r, alpha -> inf with r/alpha fixed) is not identified; every customer buys at one rate lam while alive"),
    ("gamma", "point"): ("homogeneous_dropout",
                         "the data show no spread in dropout probabilities (a, b -> inf with a/(a+b) fixed); every customer drops out "
                         "after a purchase with one probability dropout_odds/(1+dropout_odds)"),
    ("gamma", "none"): ("no_dropout",
                        "the data show no dropout (b -> inf or a -> 0): every customer stays active, purchases follow the NBD"),
    ("point", "none"): ("poisson_no_dropout",
                        "neither spread in purchase rates nor dropout (r, alpha, b -> inf): every customer buys at one Poisson rate lam"),
    ("point", "point"): ("homogeneous_rate_and_dropout",
                         "neither purchase rates nor dropout probabilities vary across customers (r, alpha, a, b -> inf); "
                         "one Poisson rate lam and one dropout probability dropout_odds/(1+dropout_odds) for all"),
}


def betageo_limits(k: int) -> tuple[Limit, ...]:
    """The limits of BG/NBD (``k = 0``) or MBG/NBD (``k = 1``) at the edge of the parameter space.

    Homogeneous purchase rate (``r, alpha -> inf``), homogeneous dropout
    (``a, b -> inf``), no dropout (``b -> inf``) and their combinations; the
    maths is in :mod:`clv.kernels.betageo_limits`.

    Parameters
    ----------
    k : int
        0 for BG/NBD, 1 for MBG/NBD.

    Returns
    -------
    tuple of Limit
        One :class:`clv.models.base.Limit` per limit.

    Examples
    --------
    >>> [(limit.kind, limit.param_names) for limit in betageo_limits(0)][:2]
    [('homogeneous_purchase_rate', ('lam', 'a', 'b')), ('homogeneous_dropout', ('r', 'alpha', 'dropout_odds'))]
    """
    return tuple(_betageo_limit(rate, dropout, k) for rate, dropout in _LIMIT_TEXT)


def _betageo_limit(rate: str, dropout: str, k: int) -> Limit:
    names = limits.param_names(rate, dropout)
    opts = {"rate": rate, "k": k}

    def alive(*args: Any) -> np.ndarray:
        *params, x, t_x, T = args
        return limits.probability_alive(tuple(params), x, t_x, T, **opts)

    def if_alive(t: Any, *args: Any) -> np.ndarray:
        *params, x, T = args
        return limits.expected_if_alive(t, tuple(params), x, T, **opts)

    def expected(t: Any, *args: Any) -> np.ndarray:
        *params, x, t_x, T = args
        return if_alive(t, *params, x, T) * alive(*params, x, t_x, T)

    kernel = SimpleNamespace(
        loglik=lambda *args: limits.loglik(tuple(args[:-3]), *args[-3:], **opts),
        probability_alive=alive,
        purchase_rate=lambda *args: limits.purchase_rate(tuple(args[:-3]), *args[-3:], **opts),
        expected_purchases_if_alive=if_alive,
        expected_purchases=expected,
        expected_purchases_new=lambda t, *params: expected(t, *params, 0.0 * np.asarray(t), 0.0, 0.0),
        probability_of_purchases=lambda n, t, *params: limits.probability_of_purchases(n, t, tuple(params), **opts),
    )

    def start(data: dict[str, Any]) -> tuple[float, ...]:
        lam = max(float(dot(data["w"], data["x"]) / max(dot(data["w"], data["T"]), 1e-12)), 1e-6)
        rate_start = (lam,) if rate == "point" else (1.0, 1.0 / lam)
        return rate_start + {"beta": (1.0, 1.0), "point": (0.2,), "none": ()}[dropout]

    kind, reason = _LIMIT_TEXT[(rate, dropout)]
    return Limit(kind=kind, reason=reason, param_names=names, start=start, kernel=kernel,
                 loglik=lambda params, data: dot(data["w"], limits.loglik(tuple(params), data["x"], data["t_x"], data["T"], **opts)))


class LimitPredictions:
    """A limit model's prediction kernel; a prediction it does not provide is a one-line :class:`clv.DataError`."""

    def __init__(self, model: str, limit: Limit) -> None:
        self._model, self._limit = model, limit

    def __getattr__(self, name: str) -> Any:
        try:
            return getattr(self._limit.kernel, name)
        except AttributeError:
            raise DataError(f"{self._model}: the fit is the limit model {self._limit.kind!r} (see boundary_); "
                            f"{name} is not available for limit models yet") from None

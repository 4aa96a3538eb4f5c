"""Posterior predictions: kernels evaluated at posterior draws, with bounded memory.

Per-customer quantities depend on a customer only through its group and its
RFM tuple, so predictions are computed once per distinct tuple and expanded.
The kernels of :mod:`clv.kernels` broadcast over a leading draw axis, so one
call evaluates all draws of a chunk of tuples; chunks keep the working set
near ``_CHUNK_ELEMENTS`` numbers whatever the number of customers. With an
``interval`` the draws are reduced to mean and quantiles chunk by chunk and
the ``(draws, customers)`` array never exists.

:class:`PosteriorDrawBetaGeo` and :class:`PosteriorDrawGammaGamma` are the
fitted-model protocol of :mod:`clv.models` at one posterior draw (one
parameter set per group); they predict through the same pandas wrappers as
the MLE models (:mod:`clv.models.customer_predictions`), declaring only their
kernel and each customer's parameters (its group's), and
:func:`clv.customer_value` discounts each draw with the same scheme as for
the MLE models.
"""

from __future__ import annotations

from typing import Any, Callable, Mapping, Sequence

import numpy as np
import pandas as pd

from clv.checks import check_interval
from clv.data.validation import describe_row
from clv.errors import DataError
from clv.kernels import bgnbd, gammagamma
from clv.models.customer_predictions import SpendPredictions, TransactionPredictions, compress

__all__ = [
    "MAX_PREDICTION_BYTES",
    "PosteriorDrawBetaGeo",
    "PosteriorDrawGammaGamma",
    "group_codes",
    "group_values",
    "summarize",
    "thin_indices",
]

_CHUNK_ELEMENTS = 2_000_000
#: Largest ``(chain, draw, customer_id)`` array returned without ``interval`` (bytes).
MAX_PREDICTION_BYTES = 2 * 1024**3


def group_values(rfm: pd.DataFrame, group: str) -> pd.Series:
    """The ``group`` column of ``rfm``; :class:`clv.DataError` when the column or a value is missing."""
    if group not in rfm.columns:
        raise DataError(f"column '{group}': group column missing from the RFM frame; columns found: {list(rfm.columns)}")
    values = rfm[group]
    missing = values.isna().to_numpy()
    if missing.any():
        raise DataError(f"column '{group}': missing group in {describe_row(rfm, int(np.argmax(missing)))}")
    return values


def group_codes(rfm: pd.DataFrame, group: str | None, levels: Sequence[str]) -> np.ndarray:
    """Position in ``levels`` of each row's group (all zeros without a group column).

    Raises :class:`clv.DataError` for a missing column, a missing value or a
    group that the model was not fitted on.
    """
    if group is None:
        return np.zeros(len(rfm), dtype=np.int64)
    values = group_values(rfm, group)
    codes = pd.Index(list(levels)).get_indexer(values.astype(str))
    unknown = codes < 0
    if unknown.any():
        raise DataError(
            f"column '{group}': group not seen when fitting (known: {list(levels)}) in {describe_row(rfm, int(np.argmax(unknown)))}"
        )
    return codes.astype(np.int64)


def thin_indices(n_chain_draws: int, chains: int, n_draws: int | None) -> np.ndarray:
    """Evenly spaced draw positions within each chain so that about ``n_draws`` draws remain in total."""
    if n_draws is None or n_draws >= chains * n_chain_draws:
        return np.arange(n_chain_draws)
    if n_draws < 1:
        raise ValueError(f"n_draws must be at least 1, got {n_draws}")
    per_chain = max(1, int(np.ceil(n_draws / chains)))
    return np.unique(np.linspace(0, n_chain_draws - 1, per_chain).round().astype(np.int64))


def summarize(draws: Any, interval: float = 0.9) -> pd.DataFrame:
    """Posterior mean and central ``interval`` of a ``(chain, draw, customer_id)`` DataArray.

    Parameters
    ----------
    draws : xarray.DataArray
        Dims ``chain, draw, customer_id``, as the predictions of
        :class:`HierarchicalBetaGeo` and :class:`HierarchicalGammaGamma`
        return them without ``interval=``.
    interval : float
        Probability mass between ``lower`` and ``upper`` (0.9: the 5% and 95%
        quantiles over all chains and draws).

    Returns
    -------
    pandas.DataFrame
        Indexed by ``customer_id``, columns ``mean, lower, upper``.

    Examples
    --------
    >>> import numpy as np, xarray as xr, clv.bayes
    >>> draws = xr.DataArray(np.arange(12.0).reshape(2, 3, 2), dims=("chain", "draw", "customer_id"),
    ...                      coords={"customer_id": [101, 102]})
    >>> clv.bayes.summarize(draws, interval=0.5)
                 mean  lower  upper
    customer_id
    101           5.0    2.5    7.5
    102           6.0    3.5    8.5
    """
    check_interval(interval)
    values = np.asarray(draws.transpose("chain", "draw", ...).values)
    flat = values.reshape(-1, values.shape[-1])
    mean, lower, upper = _reduce(flat, interval)
    index = pd.Index(draws["customer_id"].values, name="customer_id")
    return pd.DataFrame({"mean": mean, "lower": lower, "upper": upper}, index=index)


def _reduce(values: np.ndarray, interval: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mean and central-interval quantiles over axis 0."""
    tail = (1.0 - interval) / 2.0
    lower, upper = np.quantile(values, [tail, 1.0 - tail], axis=0)
    return values.mean(axis=0), lower, upper


def evaluate(
    fn: Callable[[Mapping[str, np.ndarray], np.ndarray, list[np.ndarray]], np.ndarray],
    params: Mapping[str, np.ndarray],
    codes: np.ndarray,
    columns: list[np.ndarray],
    *,
    index: pd.Index,
    chains: np.ndarray,
    draws: np.ndarray,
    interval: float | None,
    name: str,
) -> Any:
    """Evaluate ``fn`` for every draw and customer, chunked over distinct tuples.

    ``params`` maps names to ``(chain, draw, group)`` arrays; ``fn(params, codes,
    columns)`` receives ``(n_draws, n_groups)`` parameters and the group codes
    and columns of a chunk of distinct tuples and returns ``(n_draws, chunk)``.
    Returns a ``(chain, draw, customer_id)`` DataArray, or with ``interval`` a
    DataFrame of ``mean, lower, upper``.
    """
    import xarray as xr

    n_chain, n_draw = len(chains), len(draws)
    flat = {k: v.reshape(n_chain * n_draw, -1) for k, v in params.items()}
    (ucodes, *ucols), _, inverse = compress(codes, *columns, weights=np.ones(len(codes)))
    n_unique, n_samples = len(ucodes), n_chain * n_draw
    step = max(1, _CHUNK_ELEMENTS // n_samples)
    if interval is None:
        size = n_samples * len(codes) * 8
        if size > MAX_PREDICTION_BYTES:
            raise ValueError(
                f"{name}: {n_samples} draws x {len(codes)} customers would take {size / 1024**3:.1f} GiB; "
                "pass interval= to reduce on the fly, or fewer n_draws"
            )
        out = np.empty((n_samples, n_unique))
        for start in range(0, n_unique, step):
            sl = slice(start, start + step)
            out[:, sl] = fn(flat, ucodes[sl], [c[sl] for c in ucols])
        values = out[:, inverse].reshape(n_chain, n_draw, len(codes))
        return xr.DataArray(
            values,
            dims=("chain", "draw", "customer_id"),
            coords={"chain": chains, "draw": draws, "customer_id": np.asarray(index)},
            name=name,
        )
    check_interval(interval)
    mean, lower, upper = (np.empty(n_unique) for _ in range(3))
    for start in range(0, n_unique, step):
        sl = slice(start, start + step)
        mean[sl], lower[sl], upper[sl] = _reduce(fn(flat, ucodes[sl], [c[sl] for c in ucols]), interval)
    frame = pd.DataFrame({"mean": mean[inverse], "lower": lower[inverse], "upper": upper[inverse]}, index=index)
    frame.attrs["quantity"], frame.attrs["interval"] = name, interval
    return frame


def gather(params: Mapping[str, np.ndarray], names: Sequence[str], codes: np.ndarray) -> list[np.ndarray]:
    """Per-customer parameter arrays ``(n_draws, n_customers)`` from ``(n_draws, n_groups)`` ones."""
    return [params[k][:, codes] for k in names]


def at_draws(function: Callable[..., np.ndarray], names: Sequence[str], *leading: Any) -> Callable[..., np.ndarray]:
    """The ``fn`` of :func:`evaluate` for a kernel function: ``function(*leading, *params, *columns)``, every draw at once.

    Each customer takes its group's parameters (:func:`gather`); the kernels
    broadcast the ``(n_draws, chunk)`` parameters against the ``chunk`` columns.
    """

    def fn(params: Mapping[str, np.ndarray], codes: np.ndarray, columns: list[np.ndarray]) -> np.ndarray:
        return function(*leading, *gather(params, names, codes), *columns)

    return fn


class _PosteriorDraw:
    """One posterior draw of a grouped model: a parameter set per group; customers take their group's."""

    _param_names: tuple[str, ...] = ()
    _kernel: Any = None

    def __init__(self, params: Mapping[str, np.ndarray], group: str | None, levels: Sequence[str]) -> None:
        self.params = {k: np.atleast_1d(np.asarray(v, dtype=float)) for k, v in params.items()}
        self.group = group
        self.levels = list(levels)

    def _codes(self, rfm: pd.DataFrame) -> np.ndarray:
        return group_codes(rfm, self.group, self.levels)

    def _prediction_kernel(self) -> Any:
        return self._kernel

    def _customer_params(self, rfm: pd.DataFrame) -> list[np.ndarray]:
        codes = self._codes(rfm)
        return [self.params[k][codes] for k in self._param_names]

    def _profiles(self, rfm: pd.DataFrame) -> np.ndarray:
        return self._codes(rfm)[:, None]


class PosteriorDrawBetaGeo(_PosteriorDraw, TransactionPredictions):
    """BG/NBD predictions at one posterior draw (the protocol of :class:`clv.BetaGeo`), through the same wrappers as the MLE model."""

    _param_names = bgnbd.PARAMS
    _kernel = bgnbd


class PosteriorDrawGammaGamma(_PosteriorDraw, SpendPredictions):
    """Gamma-Gamma predictions at one posterior draw (the protocol of :class:`clv.GammaGamma`), through the same wrappers as the MLE model."""

    _param_names = gammagamma.PARAMS
    _kernel = gammagamma

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
parameter set per group); :func:`clv.customer_value` discounts each draw with
the same scheme as for the MLE models.
"""

from __future__ import annotations

from typing import Any, Callable, Mapping, Sequence

import numpy as np
import pandas as pd

from clv.checks import check_interval
from clv.data.rfm_checks import check_rfm
from clv.data.validation import describe_row
from clv.errors import DataError
from clv.kernels import bgnbd, gammagamma
from clv.models.transactions import compress

__all__ = [
    "MAX_PREDICTION_BYTES",
    "PosteriorDrawBetaGeo",
    "PosteriorDrawGammaGamma",
    "group_codes",
    "summarize",
    "thin_indices",
]

_CHUNK_ELEMENTS = 2_000_000
#: Largest ``(chain, draw, customer_id)`` array returned without ``interval`` (bytes).
MAX_PREDICTION_BYTES = 2 * 1024**3


def group_codes(rfm: pd.DataFrame, group: str | None, levels: Sequence[str]) -> np.ndarray:
    """Position in ``levels`` of each row's group (all zeros without a group column).

    Raises :class:`clv.DataError` for a missing column, a missing value or a
    group that the model was not fitted on.
    """
    if group is None:
        return np.zeros(len(rfm), dtype=np.int64)
    if group not in rfm.columns:
        raise DataError(f"column '{group}': group column missing from the RFM frame; columns found: {list(rfm.columns)}")
    values = rfm[group]
    missing = values.isna().to_numpy()
    if missing.any():
        raise DataError(f"column '{group}': missing group in {describe_row(rfm, int(np.argmax(missing)))}")
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


def if_alive_purchases(t: Any, params: Mapping[str, np.ndarray], codes: np.ndarray, x: np.ndarray, T: np.ndarray) -> np.ndarray:
    """``bgnbd.expected_purchases_if_alive`` for every draw, shape ``(n_draws, n, *shape(t))``.

    The kernel takes scalar parameters, so this loops over draws and groups,
    evaluating each distinct ``(x, T)`` once per draw.
    """
    t = np.asarray(t, dtype=float)
    n_samples = params["r"].shape[0]
    out = np.empty((n_samples, len(x), *t.shape))
    for g in np.unique(codes):
        sel = np.flatnonzero(codes == g)
        (ux, uT), _, inv = compress(x[sel], T[sel], weights=np.ones(len(sel)))
        shape = (-1,) + (1,) * t.ndim
        for s in range(n_samples):
            r, alpha, a, b = (float(params[k][s, g]) for k in bgnbd.PARAMS)
            value = bgnbd.expected_purchases_if_alive(t, r, alpha, a, b, ux.reshape(shape), uT.reshape(shape))
            out[s, sel] = np.broadcast_to(value, (len(ux), *t.shape))[inv]
    return out


class _PosteriorDraw:
    """One posterior draw of a grouped model: a parameter set per group."""

    def __init__(self, params: Mapping[str, np.ndarray], group: str | None, levels: Sequence[str]) -> None:
        self.params = {k: np.atleast_1d(np.asarray(v, dtype=float)) for k, v in params.items()}
        self.group = group
        self.levels = list(levels)

    def _codes(self, rfm: pd.DataFrame) -> np.ndarray:
        return group_codes(rfm, self.group, self.levels)

    def _per_draw(self) -> dict[str, np.ndarray]:
        return {k: v[None, :] for k, v in self.params.items()}


class PosteriorDrawBetaGeo(_PosteriorDraw):
    """BG/NBD predictions at one posterior draw (the protocol of :class:`clv.BetaGeo`)."""

    @staticmethod
    def _arrays(rfm: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        check_rfm(rfm, ("frequency", "recency", "T"))
        return tuple(rfm[c].to_numpy(dtype=float) for c in ("frequency", "recency", "T"))  # type: ignore[return-value]

    def _customer_params(self, rfm: pd.DataFrame) -> list[np.ndarray]:
        return [p[0] for p in gather(self._per_draw(), bgnbd.PARAMS, self._codes(rfm))]

    def purchase_rate(self, rfm: pd.DataFrame) -> pd.Series:
        """Posterior mean purchase rate of each customer at this draw."""
        value = bgnbd.purchase_rate(*self._customer_params(rfm), *self._arrays(rfm))
        return pd.Series(value, index=rfm.index, name="purchase_rate")

    def probability_alive(self, rfm: pd.DataFrame) -> pd.Series:
        """P(alive) of each customer at this draw."""
        value = bgnbd.probability_alive(*self._customer_params(rfm), *self._arrays(rfm))
        return pd.Series(value, index=rfm.index, name="p_alive")

    def expected_purchases_curve(self, rfm: pd.DataFrame, times: Any) -> np.ndarray:
        """Expected cumulative purchases at each of ``times``, shape ``(len(rfm), len(times))``."""
        x, t_x, T = self._arrays(rfm)
        codes = self._codes(rfm)
        curve = if_alive_purchases(np.asarray(times, dtype=float), self._per_draw(), codes, x, T)[0]
        return curve * bgnbd.probability_alive(*self._customer_params(rfm), x, t_x, T)[:, None]

    def discounted_purchases(self, rfm: pd.DataFrame, times: Any, factors: Any) -> tuple[np.ndarray, np.ndarray]:
        """``sum_k factors[k] * (E[Y(times[k])] - E[Y(times[k-1])])`` and ``E[Y(times[-1])]`` per customer."""
        curve = self.expected_purchases_curve(rfm, np.atleast_1d(np.asarray(times, dtype=float)))
        increments = np.diff(curve, axis=1, prepend=0.0)
        return increments @ np.asarray(factors, dtype=float), curve[:, -1]

    def expected_purchases(self, rfm: pd.DataFrame, t: float) -> pd.Series:
        """Expected purchases of each customer in the next ``t`` time units at this draw."""
        return pd.Series(self.expected_purchases_curve(rfm, [t])[:, 0], index=rfm.index, name="expected_purchases")


class PosteriorDrawGammaGamma(_PosteriorDraw):
    """Gamma-Gamma predictions at one posterior draw (the protocol of :class:`clv.GammaGamma`)."""

    def expected_spend(self, rfm: pd.DataFrame) -> pd.Series:
        """Conditional expected spend per transaction at this draw (population mean without usable history)."""
        x, m = spend_arrays(rfm)
        p, q, v = (k[0] for k in gather(self._per_draw(), gammagamma.PARAMS, self._codes(rfm)))
        return pd.Series(gammagamma.expected_spend(p, q, v, x, m), index=rfm.index, name="expected_spend")


def spend_arrays(rfm: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """``(x, m)`` with customers lacking usable spend history set to ``(0, 0)`` (population mean)."""
    check_rfm(rfm, ("frequency", "monetary_value"))
    x = rfm["frequency"].to_numpy(dtype=float)
    m = rfm["monetary_value"].to_numpy(dtype=float)
    usable = (x > 0) & (m > 0)
    return np.where(usable, x, 0.0), np.where(usable, m, 0.0)

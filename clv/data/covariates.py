"""Customer covariates: reading them from an RFM frame and turning them into a design matrix.

Covariates are time-invariant customer traits (acquisition channel, region,
first-order value) that shift the model parameters as in Fader & Hardie
(2007), "Incorporating time-invariant covariates into the Pareto/NBD and
BG/NBD models". This module is the input boundary for them:

- a numeric column enters as it is (no centring or scaling, as in CLVTools);
- a text, boolean or ``category`` column is expanded to 0/1 indicators, one per
  level except the *reference level*, which is the first level in sorted order
  (the first category for a pandas ``Categorical``, ``False`` for booleans). Its
  coefficients then compare each level with the reference level;
- a missing value, an infinite number or a column mixing numbers and text
  raises :class:`clv.DataError` naming the column and a row.

The encoding learnt at ``fit`` (the columns and levels) is stored with the
model, so predictions and saved models use exactly the same indicators; a
level unseen at ``fit`` is refused.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable, Sequence

import numpy as np
import pandas as pd

from clv.data.transactions import customer_ids
from clv.data.validation import describe_row, load_table, parse_numbers, require_columns, require_present
from clv.errors import DataError

__all__ = ["CovariateEncoding", "attach_covariates", "read_covariates", "typical_profile"]


def _is_categorical(series: pd.Series) -> bool:
    return not pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series) or isinstance(
        series.dtype, pd.CategoricalDtype
    )


def _levels(series: pd.Series) -> list[Any]:
    if isinstance(series.dtype, pd.CategoricalDtype):
        return [_plain(v) for v in series.cat.categories]
    values = series.unique().tolist()
    kinds = {type(_plain(v)) for v in values}
    if len({k for k in kinds if k is not bool}) > 1 and str in kinds:
        row = int(np.argmax([not isinstance(_plain(v), str) for v in series]))
        raise DataError(
            f"column '{series.name}': mixes numbers and text in {describe_row(series.to_frame(), row)}; "
            "make the column all numbers (a numeric covariate) or all text (a categorical one)"
        )
    return sorted(_plain(v) for v in values)


def _plain(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


@dataclass(frozen=True)
class CovariateEncoding:
    """How covariate columns become model inputs: numeric as they are, categorical as indicators.

    Parameters
    ----------
    columns : tuple of str
        The covariate columns, in order.
    levels : dict
        For each categorical column, its levels in sorted order; the first is
        the reference level and gets no indicator.

    Examples
    --------
    >>> import pandas as pd
    >>> from clv.data.covariates import CovariateEncoding
    >>> frame = pd.DataFrame({"region": ["north", "south", "east", "north"], "first_order": [10.0, 25.0, 5.0, 40.0]})
    >>> enc = CovariateEncoding.learn(frame, ["region", "first_order"])
    >>> enc.names
    ('region=north', 'region=south', 'first_order')
    >>> enc.transform(frame).tolist()
    [[1.0, 0.0, 10.0], [0.0, 1.0, 25.0], [0.0, 0.0, 5.0], [1.0, 0.0, 40.0]]
    """

    columns: tuple[str, ...] = ()
    levels: dict[str, list[Any]] = field(default_factory=dict)

    @classmethod
    def learn(cls, frame: pd.DataFrame, columns: Iterable[str]) -> CovariateEncoding:
        """Learn the encoding of ``columns`` from ``frame`` (the fitting data).

        Parameters
        ----------
        frame : pandas.DataFrame
            The RFM frame holding the covariate columns.
        columns : iterable of str
            Covariate column names.

        Returns
        -------
        CovariateEncoding
            Numeric columns kept as they are; categorical ones with their sorted levels.

        Examples
        --------
        >>> import pandas as pd
        >>> from clv.data.covariates import CovariateEncoding
        >>> CovariateEncoding.learn(pd.DataFrame({"vip": [True, False]}), ["vip"]).names
        ('vip=True',)
        """
        columns = tuple(dict.fromkeys(str(c) for c in columns))
        levels: dict[str, list[Any]] = {}
        for col in columns:
            series = _column(frame, col)
            if _is_categorical(series):
                found = _levels(series)
                if len(found) < 2:
                    raise DataError(
                        f"column '{col}': a categorical covariate needs at least two levels, found {found}; "
                        "drop the column from the covariates"
                    )
                levels[col] = found
        return cls(columns, levels)

    @property
    def names(self) -> tuple[str, ...]:
        """One name per design-matrix column: ``col`` for numeric, ``col=level`` for indicators."""
        out: list[str] = []
        for col in self.columns:
            if col in self.levels:
                out.extend(f"{col}={level}" for level in self.levels[col][1:])
            else:
                out.append(col)
        return tuple(out)

    def transform(self, frame: pd.DataFrame) -> np.ndarray:
        """Design matrix of ``frame``, shape ``(len(frame), len(names))``.

        Parameters
        ----------
        frame : pandas.DataFrame
            Holds every column of the encoding.

        Returns
        -------
        numpy.ndarray
            Float matrix, one column per entry of :attr:`names`.

        Examples
        --------
        >>> import pandas as pd
        >>> from clv.data.covariates import CovariateEncoding
        >>> enc = CovariateEncoding(("size",), {})
        >>> enc.transform(pd.DataFrame({"size": [1, 2]})).tolist()
        [[1.0], [2.0]]
        """
        blocks = [np.empty((len(frame), 0))]
        for col in self.columns:
            series = _column(frame, col)
            if col in self.levels:
                blocks.append(self._indicators(series, self.levels[col]))
            elif _is_categorical(series):
                raise DataError(
                    f"column '{col}': was numeric when the model was fitted but is not numeric now "
                    f"({series.dtype}) in {describe_row(frame, 0)}; pass the same column the model was fitted on"
                )
            else:
                values = series.to_numpy(dtype=float)
                bad = ~np.isfinite(values)
                if bad.any():
                    raise DataError(f"column '{col}': infinite covariate value in {describe_row(frame, int(np.argmax(bad)))}")
                blocks.append(values[:, None])
        return np.concatenate(blocks, axis=1)

    @staticmethod
    def _indicators(series: pd.Series, levels: Sequence[Any]) -> np.ndarray:
        values = series.astype(object) if isinstance(series.dtype, pd.CategoricalDtype) else series
        row_codes = pd.Index(list(levels), dtype=object).get_indexer(values.astype(object).map(_plain))
        unknown = row_codes < 0
        if unknown.any():
            row = int(np.argmax(unknown))
            raise DataError(
                f"column '{series.name}': level {_plain(series.iloc[row])!r} was not seen when the model was fitted "
                f"(levels {list(levels)}) in {describe_row(series.to_frame(), row)}"
            )
        return (row_codes[:, None] == np.arange(1, len(levels))[None, :]).astype(float)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (levels are strings, numbers or booleans).

        Returns
        -------
        dict
            ``columns`` and ``levels``.

        Examples
        --------
        >>> from clv.data.covariates import CovariateEncoding
        >>> CovariateEncoding(("a",), {}).to_dict()
        {'columns': ['a'], 'levels': {}}
        """
        return {"columns": list(self.columns), "levels": {k: list(v) for k, v in self.levels.items()}}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CovariateEncoding:
        """Inverse of :meth:`to_dict`.

        Parameters
        ----------
        data : dict
            Output of :meth:`to_dict`.

        Returns
        -------
        CovariateEncoding
            The same encoding.

        Examples
        --------
        >>> from clv.data.covariates import CovariateEncoding
        >>> enc = CovariateEncoding(("r",), {"r": ["a", "b"]})
        >>> CovariateEncoding.from_dict(enc.to_dict()) == enc
        True
        """
        return cls(tuple(data.get("columns", ())), {k: list(v) for k, v in data.get("levels", {}).items()})


def _column(frame: pd.DataFrame, col: str) -> pd.Series:
    if not isinstance(frame, pd.DataFrame):
        raise DataError(f"expected an RFM DataFrame with covariate column '{col}', got {type(frame).__name__}")
    if col not in frame.columns:
        raise DataError(
            f"column '{col}': covariate missing from the RFM frame; columns found: {list(frame.columns)}; "
            "add it with clv.attach_covariates(rfm, customers)"
        )
    series = frame[col]
    missing = series.isna().to_numpy()
    if missing.any():
        raise DataError(
            f"column '{col}': missing covariate value in {describe_row(frame, int(np.argmax(missing)))}; "
            "fill it (e.g. with an 'unknown' level) or drop the customer"
        )
    return series.infer_objects() if series.dtype == object else series


def attach_covariates(rfm: pd.DataFrame, customers: pd.DataFrame, *, columns: Sequence[str] | None = None,
                      on: str | None = None) -> pd.DataFrame:
    """Join a per-customer covariate table to an RFM frame, refusing customers without covariates.

    Parameters
    ----------
    rfm : pandas.DataFrame
        Output of :func:`clv.rfm_summary`, indexed by customer id.
    customers : pandas.DataFrame
        One row per customer: the id in column ``on`` (or in the index when
        ``on`` is None) and the covariate columns.
    columns : sequence of str, optional
        Covariate columns to attach (default: every column but ``on``).
    on : str, optional
        Customer-id column of ``customers``.

    Returns
    -------
    pandas.DataFrame
        ``rfm`` with the covariate columns appended, same index and row order.

    Raises
    ------
    clv.DataError
        A customer id repeated in ``customers``, a column already in ``rfm``, or
        an RFM customer without a covariate row (the first is named).

    Examples
    --------
    >>> import pandas as pd, clv
    >>> rfm = clv.rfm_summary(clv.datasets.load_cdnow(), observation_end="1997-09-30")
    >>> traits = pd.DataFrame({"customer_id": rfm.index, "vip": rfm.index % 2 == 0})
    >>> clv.attach_covariates(rfm, traits, on="customer_id").columns.tolist()
    ['frequency', 'recency', 'T', 'monetary_value', 'vip']
    """
    table = customers.set_index(on) if on is not None else customers
    if on is not None and on not in customers.columns:
        raise DataError(f"column '{on}': customer-id column missing from the covariate table; columns found: {list(customers.columns)}")
    columns = [c for c in table.columns] if columns is None else list(columns)
    for col in columns:
        if col not in table.columns:
            raise DataError(f"column '{col}': missing from the covariate table; columns found: {list(table.columns)}")
        if col in rfm.columns:
            raise DataError(f"column '{col}': already in the RFM frame; rename it in the covariate table")
    duplicated = table.index.duplicated()
    if duplicated.any():
        raise DataError(f"customer id {table.index[np.argmax(duplicated)]!r} appears twice in the covariate table; keep one row per customer")
    table = table[columns]
    if table.index.dtype != rfm.index.dtype:
        try:
            table.index = table.index.astype(rfm.index.dtype)
        except (TypeError, ValueError):
            pass
    absent = ~rfm.index.isin(table.index)
    if absent.any():
        raise DataError(
            f"column 'customer_id': {int(absent.sum())} customer(s) of the RFM frame (the transactions) have no covariate row, "
            f"e.g. customer id {_plain(rfm.index[np.argmax(absent)])!r}; add a row for each (an 'unknown' level for a categorical "
            "covariate) or drop them from the RFM frame"
        )
    return rfm.join(table, how="left")


def read_covariates(source: Any, *, customer: str = "customer_id", columns: Sequence[str] | None = None) -> pd.DataFrame:
    """Read and validate a per-customer covariate table (one row per customer).

    A column whose every value is a number is numeric; any other column is
    categorical (its levels are the texts, trimmed). A column where most
    values are numbers but some are not is refused as a typo rather than
    silently turned into a categorical one; write every value as text (for
    instance ``store_12``) to make a numeric-looking code categorical.

    Parameters
    ----------
    source : str, pathlib.Path or pandas.DataFrame
        A CSV file, a Parquet file (``.parquet``/``.pq``) or a DataFrame.
    customer : str
        Customer identifier column.
    columns : sequence of str, optional
        The covariate columns to read (default: every other column).

    Returns
    -------
    pandas.DataFrame
        Indexed by ``customer_id`` (integers when every id is one, as in
        :func:`clv.read_transactions`), one column per covariate: floats for
        numeric columns, text for categorical ones. Ready for
        :func:`attach_covariates`.

    Raises
    ------
    clv.DataError
        A missing or empty file, a missing column, an empty value, a customer
        listed twice, or a mostly numeric column with a text value; the
        message names the column and the row of the file.

    Examples
    --------
    >>> import pandas as pd, clv
    >>> raw = pd.DataFrame({"customer_id": ["1", "2"], "region": [" north", "south"], "first_order": ["12.5", "40"]})
    >>> table = clv.read_covariates(raw)
    >>> table
                region  first_order
    customer_id
    1            north         12.5
    2            south         40.0
    """
    frame = load_table(source, "covariates")
    require_columns(frame, {"customer": customer}, "covariates")
    wanted = [c for c in frame.columns if c != customer] if columns is None else list(dict.fromkeys(columns))
    for col in wanted:
        if col not in frame.columns:
            raise DataError(f"column '{col}': covariate missing from the covariate table; columns found: {list(frame.columns)}; "
                            f"{describe_row(frame, 0)}")
    for col in [customer, *wanted]:
        require_present(frame, col)
    ids = customer_ids(frame[customer])
    dup = ids.duplicated().to_numpy()
    if dup.any():
        raise DataError(f"column '{customer}': customer {_plain(ids.iloc[int(np.argmax(dup))])!r} is listed twice in the covariate "
                        f"table; keep one row per customer; {describe_row(frame, int(np.argmax(dup)))}")
    out = pd.DataFrame(index=pd.Index(ids.to_numpy(), name="customer_id"))
    for col in wanted:
        out[col] = _covariate_values(frame, col).to_numpy()
    return out


def _covariate_values(frame: pd.DataFrame, col: str) -> pd.Series:
    """One covariate column: numbers when every value is one, text otherwise; mostly numbers with some text is refused."""
    raw = frame[col]
    if pd.api.types.is_numeric_dtype(raw) or pd.api.types.is_bool_dtype(raw):
        return parse_numbers(frame, col) if not pd.api.types.is_bool_dtype(raw) else raw
    text = raw.astype(str).str.strip()
    numbers = pd.to_numeric(text, errors="coerce")
    parsed = numbers.notna().to_numpy()
    if parsed.all():
        return parse_numbers(frame.assign(**{col: text}), col)
    if parsed.mean() > 0.5:
        row = int(np.argmax(~parsed))
        raise DataError(f"column '{col}': not a number ({raw.iloc[row]!r}) in {describe_row(frame, row)}, while most values are "
                        "numbers; fix the value, or write every value as text to make the column categorical")
    return text


def typical_profile(frame: pd.DataFrame, columns: Sequence[str]) -> dict[str, Any]:
    """The typical customer of ``frame``: the most common level of each categorical covariate, the median of each numeric one.

    The channel report values a *new* customer of a channel as this profile
    of the channel's customers (ties between levels go to the first in sorted
    order).

    Parameters
    ----------
    frame : pandas.DataFrame
        Customers with the covariate columns (an RFM frame after :func:`attach_covariates`).
    columns : sequence of str
        Covariate columns.

    Returns
    -------
    dict
        ``{column: value}``, usable as ``covariates=`` of the prediction methods and ``for_profile``.

    Examples
    --------
    >>> import pandas as pd
    >>> typical_profile(pd.DataFrame({"region": ["north", "south", "south"], "first": [10.0, 20.0, 90.0]}), ["region", "first"])
    {'region': 'south', 'first': 20.0}
    """
    out: dict[str, Any] = {}
    for col in dict.fromkeys(columns):
        series = _column(frame, col)
        if _is_categorical(series):
            counts = series.astype(object).map(_plain).value_counts()
            out[col] = sorted(counts.index[counts == counts.max()])[0]
        else:
            out[col] = float(f"{float(series.median()):.6g}")
    return out

"""Bundled data sets: the CDNOW sample, the donations data (BG/BB) and the demo business."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import pandas as pd

from clv.data.transactions import read_transactions

__all__ = ["data_path", "load_cdnow", "load_donations"]


def data_path(name: str) -> Path:
    """Path of a bundled data file (``name`` relative to the project's ``data/`` folder).

    Installed wheels carry the files under ``clv/_data``; an editable
    checkout reads them from the repository's ``data/`` folder.

    Parameters
    ----------
    name : str
        For instance ``"cdnow_sample.csv"`` or ``"demo/acquisitions.csv"``.

    Returns
    -------
    pathlib.Path

    Raises
    ------
    FileNotFoundError
        No bundled file of that name.

    Examples
    --------
    >>> import clv
    >>> path = clv.datasets.data_path("demo/acquisitions.csv")
    >>> path.name, path.is_file()
    ('acquisitions.csv', True)
    """
    packaged = resources.files("clv").joinpath("_data", name)
    if packaged.is_file():
        return Path(str(packaged))
    local = Path(__file__).resolve().parents[2] / "data" / name
    if local.exists():
        return local
    raise FileNotFoundError(f"bundled data file '{name}' not found (looked in clv/_data and {local.parent})")


def load_cdnow() -> pd.DataFrame:
    """The CDNOW 1/10th sample (Fader & Hardie): 2,357 customers, 6,919 purchases, Jan 1997 - Jun 1998.

    Returns
    -------
    pandas.DataFrame
        The validated transaction log ``customer_id, date, amount`` (output
        of :func:`clv.read_transactions`).

    Examples
    --------
    >>> import clv
    >>> tx = clv.datasets.load_cdnow()
    >>> tx.shape, tx["customer_id"].nunique()
    ((6919, 3), 2357)
    >>> tx.head(2)
       customer_id       date  amount
    0            1 1997-01-01   29.33
    1            1 1997-01-18   29.73
    """
    return read_transactions(data_path("cdnow_sample.csv"))


def load_donations() -> pd.DataFrame:
    """The donations data of Fader, Hardie & Shang (2010): 11,104 first-time donors, 6 annual opportunities (1996-2001).

    Aggregated to one row per distinct history, in the layout lifetimes
    0.11.3 ships (``lifetimes/datasets/donations.csv``); fit it with
    ``clv.BetaGeoBetaBinom().fit(frame, weights="weights")``.

    Returns
    -------
    pandas.DataFrame
        22 rows: ``frequency, recency, n_periods, weights`` (integers).

    Examples
    --------
    >>> import clv
    >>> donations = clv.datasets.load_donations()
    >>> len(donations), int(donations["weights"].sum())
    (22, 11104)
    """
    frame = pd.read_csv(data_path("donations.csv"))
    return frame.rename(columns={"periods": "n_periods"})

"""Maximum-likelihood models: BG/NBD, MBG/NBD, Pareto/NBD, BG/BB, sBG and Gamma-Gamma."""

from __future__ import annotations

import json
from pathlib import Path

from clv.errors import DataError
from clv.models.base import FORMAT_VERSION, MLEModel
from clv.models.beta_geo import BetaGeo
from clv.models.beta_geo_beta_binom import BetaGeoBetaBinom
from clv.models.gamma_gamma import GammaGamma
from clv.models.modified_beta_geo import ModifiedBetaGeo
from clv.models.pareto_nbd import ParetoNBD
from clv.models.results import FitResult
from clv.models.shifted_beta_geo import ShiftedBetaGeo
from clv.models.transactions import TransactionModel

__all__ = [
    "MODELS",
    "TRANSACTION_MODELS",
    "BetaGeo",
    "BetaGeoBetaBinom",
    "FitResult",
    "GammaGamma",
    "MLEModel",
    "ModifiedBetaGeo",
    "ParetoNBD",
    "ShiftedBetaGeo",
    "TransactionModel",
    "load_model",
    "transaction_model_class",
]

# -- the one registry of model names ------------------------------------------------------------
TRANSACTION_MODELS: dict[str, type[TransactionModel]] = {"bgnbd": BetaGeo, "mbgnbd": ModifiedBetaGeo, "paretonbd": ParetoNBD}
"""Short names of the purchase models (the CLI's ``--transaction-model``, ``fit_channel_models(transaction_model=)``)."""

MODELS: dict[str, type[MLEModel]] = {m.__name__: m for m in (*TRANSACTION_MODELS.values(), GammaGamma, BetaGeoBetaBinom, ShiftedBetaGeo)}
"""Every maximum-likelihood model by class name (the ``model`` field of a saved model file)."""


def transaction_model_class(name: str) -> type[TransactionModel]:
    """The purchase model class registered under the short ``name`` (see :data:`TRANSACTION_MODELS`).

    Examples
    --------
    >>> transaction_model_class("paretonbd").__name__
    'ParetoNBD'
    """
    if name not in TRANSACTION_MODELS:
        raise DataError(f"transaction_model must be one of {sorted(TRANSACTION_MODELS)}, got {name!r}")
    return TRANSACTION_MODELS[name]


def load_model(path: str | Path) -> MLEModel:
    """Load a model written by ``model.save(path)``.

    The JSON file names the model class, its settings and the fitted
    parameters with their covariance; predictions of the loaded model equal
    those of the saved one exactly.

    Parameters
    ----------
    path : str or pathlib.Path
        A file written by :meth:`BetaGeo.save` (or the ``save`` of any
        maximum-likelihood model).

    Returns
    -------
    BetaGeo, ModifiedBetaGeo, ParetoNBD or GammaGamma
        The fitted model, of the class named in the file.

    Raises
    ------
    clv.DataError
        The file cannot be read or is not a ``clv`` model file of this format.

    Examples
    --------
    >>> import tempfile, pathlib, clv
    >>> rfm = clv.rfm_summary(clv.datasets.load_cdnow(), observation_end="1997-09-30")
    >>> bg = clv.BetaGeo().fit(rfm)
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     loaded = clv.load_model(bg.save(pathlib.Path(folder) / "bg.json"))
    >>> loaded
    BetaGeo(r=0.2426, alpha=4.414, a=0.7929, b=2.426)
    >>> bool((loaded.probability_alive(rfm) == bg.probability_alive(rfm)).all())
    True
    """
    path = Path(path)
    try:
        data = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise DataError(f"cannot read model file '{path}': {exc}") from None
    if not isinstance(data, dict) or data.get("clv_format") != FORMAT_VERSION or data.get("model") not in MODELS:
        raise DataError(f"'{path}' is not a clv model file (format {FORMAT_VERSION})")
    return MODELS[data["model"]].from_dict(data)

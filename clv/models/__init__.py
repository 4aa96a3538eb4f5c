"""Maximum-likelihood models: BG/NBD, MBG/NBD, Pareto/NBD and Gamma-Gamma."""

from __future__ import annotations

import json
from pathlib import Path

from clv.errors import DataError
from clv.models.base import FORMAT_VERSION, MLEModel
from clv.models.beta_geo import BetaGeo
from clv.models.gamma_gamma import GammaGamma
from clv.models.modified_beta_geo import ModifiedBetaGeo
from clv.models.pareto_nbd import ParetoNBD
from clv.models.results import FitResult
from clv.models.transactions import TransactionModel

__all__ = ["BetaGeo", "FitResult", "GammaGamma", "MLEModel", "ModifiedBetaGeo", "ParetoNBD", "TransactionModel", "load_model"]

_REGISTRY: dict[str, type[MLEModel]] = {m.__name__: m for m in (BetaGeo, ModifiedBetaGeo, ParetoNBD, GammaGamma)}


def load_model(path: str | Path) -> MLEModel:
    """Load a model written by ``model.save(path)``.

    The JSON file names the model class, its settings and the fitted
    parameters with their covariance; predictions of the loaded model equal
    those of the saved one exactly.
    """
    path = Path(path)
    try:
        data = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise DataError(f"cannot read model file '{path}': {exc}") from None
    if not isinstance(data, dict) or data.get("clv_format") != FORMAT_VERSION or data.get("model") not in _REGISTRY:
        raise DataError(f"'{path}' is not a clv model file (format {FORMAT_VERSION})")
    return _REGISTRY[data["model"]]._from_dict(data)

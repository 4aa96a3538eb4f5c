"""netCDF persistence of the Bayesian models (never pickle).

The file is ArviZ's netCDF form of the model's ``InferenceData``; the model
class, its settings, the group levels and sizes and the SHA-256 of the data
it was fitted on are stored as a JSON string in the ``clv_config`` attribute
of the posterior group.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from clv.output import atomic_file

__all__ = ["FORMAT_VERSION", "load", "save"]

FORMAT_VERSION = 2
# Version 2: HierarchicalGammaGamma samples log p, log mean spend, log(q - 1) (version-1 files sampled log p, log q, log v).
_READABLE = {"HierarchicalBetaGeo": (1, 2), "HierarchicalGammaGamma": (2,), "HierarchicalShiftedBetaGeo": (2,)}
_ATTR = "clv_config"


def save(model: Any, path: str | Path) -> Path:
    """Write a fitted Bayesian model to ``path`` as netCDF (see :func:`load`)."""
    path = Path(path)
    config = {
        "clv_format": FORMAT_VERSION,
        "model": type(model).__name__,
        "settings": model.get_params(),
        "state": model.fitted_state(),
    }
    idata = model.idata.copy()
    idata.posterior.attrs[_ATTR] = json.dumps(config)
    with atomic_file(path) as tmp:
        idata.to_netcdf(str(tmp))
    return path


def load(path: str | Path) -> Any:
    """Read a model written by ``model.save(path)``.

    Parameters
    ----------
    path : str or pathlib.Path
        A netCDF file written by ``HierarchicalBetaGeo.save`` or
        ``HierarchicalGammaGamma.save``.

    Returns
    -------
    HierarchicalBetaGeo or HierarchicalGammaGamma
        Fitted, with ``idata``, group levels and ``data_hash_`` restored.

    Raises
    ------
    ValueError
        The file is not a ``clv`` Bayesian model file of this format.

    Examples
    --------
    Saving needs a fitted model, and fitting samples with PyMC, which takes
    too long for a doctest, so these lines are not run:

    >>> import pathlib, tempfile, clv, clv.bayes
    >>> rfm = clv.rfm_summary(clv.datasets.load_cdnow(), observation_end="1997-09-30")
    >>> gg = clv.bayes.HierarchicalGammaGamma().fit(rfm, draws=500, chains=2, random_seed=1)  # doctest: +SKIP
    >>> path = gg.save(pathlib.Path(tempfile.mkdtemp()) / "gg.nc")  # doctest: +SKIP
    >>> clv.bayes.load(path)  # doctest: +SKIP
    HierarchicalGammaGamma(group=None, 1 group(s), fitted)
    """
    import arviz as az

    from clv.bayes.beta_geo import HierarchicalBetaGeo
    from clv.bayes.gamma_gamma import HierarchicalGammaGamma
    from clv.bayes.shifted_beta_geo import HierarchicalShiftedBetaGeo

    classes = {cls.__name__: cls for cls in (HierarchicalBetaGeo, HierarchicalGammaGamma, HierarchicalShiftedBetaGeo)}
    idata = az.from_netcdf(str(path))
    idata.load()
    raw = idata.posterior.attrs.get(_ATTR)
    if raw is None:
        raise ValueError(f"{path}: not a clv Bayesian model file (no {_ATTR} attribute)")
    config = json.loads(raw)
    if config.get("model") not in classes:
        raise ValueError(f"{path}: unknown model {config.get('model')!r}")
    if config.get("clv_format") not in _READABLE[config["model"]]:
        raise ValueError(f"{path}: unsupported clv format {config.get('clv_format')!r} for {config['model']} "
                         f"(this version reads {list(_READABLE[config['model']])}; refit and save again)")
    del idata.posterior.attrs[_ATTR]
    model = classes[config["model"]](**config["settings"])
    model.restore_state(idata, config["state"])
    return model

"""Covariate coefficients in words (clv.models.covariate_effects) and fits that do not depend on a numeric covariate's units."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.special import betaln

import clv
from clv.models.covariate_effects import DROPOUT_PURCHASES, coefficient_effects


@pytest.fixture(scope="module")
def rfm() -> pd.DataFrame:
    frame = clv.rfm_summary(clv.datasets.load_cdnow(), observation_end="1997-09-30")
    ids = frame.index.to_numpy()
    return frame.assign(region=np.array(["east", "north", "south"])[ids % 3],
                        order_cents=(1000 + 37 * (ids % 50)).astype(float))  # a numeric column in the thousands


def test_numeric_covariate_in_large_units_fits_like_small_units(rfm):
    """Coefficients scale with the column's units and the likelihood does not move (the optimiser sees sd units)."""
    small = clv.BetaGeo(purchase_covariates=["order_cents"]).fit(rfm.assign(order_cents=rfm["order_cents"] / 1000))
    large = clv.BetaGeo(purchase_covariates=["order_cents"]).fit(rfm)
    assert large.log_likelihood_ == pytest.approx(small.log_likelihood_, abs=1e-6)
    assert large.params_["purchase:order_cents"] * 1000 == pytest.approx(small.params_["purchase:order_cents"], rel=1e-5)
    assert large.result_.std_err["purchase:order_cents"] * 1000 == pytest.approx(small.result_.std_err["purchase:order_cents"], rel=1e-3)
    assert large.params_["r"] == pytest.approx(small.params_["r"], rel=1e-5)


def test_effects_of_each_link(rfm):
    bg = clv.BetaGeo(purchase_covariates=["region", "order_cents"], dropout_covariates=["region"]).fit(rfm)
    table = coefficient_effects(bg, level=0.9, steps={"order_cents": 100.0}).set_index("coefficient")
    z = 1.6448536269514722
    north = table.loc["purchase:region=north"]
    assert north["effect"] == pytest.approx(np.exp(north["estimate"]))
    assert north["effect_lower"] == pytest.approx(np.exp(north["estimate"] - z * north["std_err"]))
    assert north["meaning"].startswith("customers with region=north buy") and "region=east (the reference level)" in north["meaning"]
    cents = table.loc["purchase:order_cents"]
    assert cents["step"] == 100.0 and cents["effect"] == pytest.approx(np.exp(100 * cents["estimate"]))
    assert cents["meaning"].startswith("customers with +100 order_cents buy")
    # BG/NBD dropout: a and b scale together; the effect is on the share dropped out by the 5th repeat purchase
    drop = table.loc["dropout:region=south"]
    a, b, c = bg.params_["a"], bg.params_["b"], np.exp(drop["estimate"])
    share = lambda k: 1 - np.exp(betaln(a * k, b * k + DROPOUT_PURCHASES) - betaln(a * k, b * k))  # noqa: E731
    assert drop["effect"] == pytest.approx(share(c) / share(1.0))
    assert drop["effect_lower"] <= drop["effect"] <= drop["effect_upper"]


def test_effects_of_pareto_dropout_and_spend(rfm):
    pnbd = clv.ParetoNBD(dropout_covariates=["region"]).fit(rfm)
    row = coefficient_effects(pnbd).iloc[0]
    assert row["effect"] == pytest.approx(np.exp(row["estimate"])) and " drop out " in row["meaning"]
    gg = clv.GammaGamma(spend_covariates=["region"]).fit(rfm)
    row = coefficient_effects(gg).iloc[0]
    assert row["effect"] == pytest.approx(np.exp(row["estimate"])) and "spend " in row["meaning"]
    assert coefficient_effects(clv.GammaGamma().fit(rfm)).empty

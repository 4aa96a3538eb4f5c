"""for_profile models carry the covariance of their profile's parameters, so the new-customer intervals work for a profile.

The check of the covariance is exact: the maximum-likelihood fit is invariant
to recoding a 0/1 covariate as ``1 - z``, and the recoded fit's own parameters
are the original fit's parameters at ``z = 1``; so the covariance
``A cov A'`` of ``for_profile({"big": 1})`` must equal the recoded fit's
covariance of its parameters (CDNOW, calibration to 1997-09-30).
"""

import numpy as np
import pytest

import clv


@pytest.fixture(scope="module")
def rfm():
    rfm = clv.rfm_summary(clv.datasets.load_cdnow(), observation_end="1997-09-30")
    rfm["big"] = (rfm["monetary_value"] > 30).astype(int)
    rfm["small"] = 1 - rfm["big"]
    return rfm


@pytest.mark.parametrize("cls", [clv.BetaGeo, clv.ParetoNBD])
def test_profile_covariance_equals_the_recoded_fit(rfm, cls):
    fitted = cls(purchase_covariates=["big"], dropout_covariates=["big"]).fit(rfm)
    recoded = cls(purchase_covariates=["small"], dropout_covariates=["small"]).fit(rfm)
    k = len(cls.param_names)
    profile = fitted.for_profile({"big": 1})
    np.testing.assert_allclose(profile.result_.estimates, recoded.result_.estimates[:k], rtol=1e-6)
    np.testing.assert_allclose(profile.result_.cov_log, recoded.result_.cov_log[:k, :k], rtol=2e-3, atol=1e-9)
    # at the reference profile it is the fit's own block
    np.testing.assert_allclose(fitted.for_profile({"big": 0}).result_.cov_log, fitted.result_.cov_log[:k, :k], rtol=1e-12)


def test_new_customer_value_and_max_cac_of_a_profile_have_intervals(rfm):
    bg = clv.BetaGeo(purchase_covariates=["big"], dropout_covariates=["big"]).fit(rfm)
    gg = clv.GammaGamma(spend_covariates=["big"]).fit(rfm)
    tm, sm = bg.for_profile({"big": 1}), gg.for_profile({"big": 1})
    assert np.isfinite(tm.summary()["std_err"]).all() and np.isfinite(sm.summary()["std_err"]).all()
    value = clv.new_customer_value(tm, sm, horizon=52, discount_rate=0.1, interval=0.9, n_draws=50, seed=1)
    assert (value["ltv_lower"] < value["ltv"]).all() and (value["ltv"] < value["ltv_upper"]).all()
    cac = clv.max_cac(tm, sm, discount_rate=0.1, target_ratio=3, horizon=52, payback=26, interval=0.9, n_draws=50, seed=1)
    assert (cac["max_cac_lower"] < cac["max_cac"]).all() and (cac["max_cac"] < cac["max_cac_upper"]).all()

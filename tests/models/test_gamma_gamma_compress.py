"""Gamma-Gamma fits on distinct (x, m) pairs with counts: the same terms in the same order as per customer."""

import numpy as np
import pandas as pd

import clv


def _rfm() -> pd.DataFrame:
    return clv.rfm_summary(clv.datasets.load_cdnow(), observation_end="1997-09-30")


def test_counted_pairs_in_first_customer_order_give_the_per_customer_fit_exactly() -> None:
    rfm = _rfm()
    per_customer = clv.GammaGamma().fit(rfm)
    pairs = (rfm.reset_index().groupby(["frequency", "monetary_value"], sort=False)
             .agg(count=("customer_id", "size"), first=("customer_id", "min")).sort_values("first").reset_index())
    assert len(pairs) < len(rfm)
    counted = clv.GammaGamma().fit(pairs, weights="count")
    assert (counted.params_.to_numpy() == per_customer.params_.to_numpy()).all()
    assert counted.log_likelihood_ == per_customer.log_likelihood_
    assert counted.exclusions_ == per_customer.exclusions_
    # The fit holds one row per distinct usable pair, not one per repeat buyer.
    usable = rfm[(rfm["frequency"] > 0) & (rfm["monetary_value"] > 0)]
    assert per_customer.result_.n_unique == len(usable[["frequency", "monetary_value"]].drop_duplicates())
    np.testing.assert_allclose(per_customer.params_.to_numpy(), [6.24958, 3.74422, 15.44351], rtol=1e-4)  # tests/reference/cdnow.py

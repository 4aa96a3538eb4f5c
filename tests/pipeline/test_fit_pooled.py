"""clv.fit_pooled: the pooled fit behind ``clv fit`` and ``clv score``, as a library call (issue 12)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import clv
from clv.errors import DataError
from clv.pipeline import PooledFit, fit_pooled


@pytest.fixture(scope="module")
def log(tmp_path_factory: pytest.TempPathFactory) -> Path:
    sim = clv.simulate(400, seed=5, start="2024-01-01", end="2024-12-31")
    path = tmp_path_factory.mktemp("pooled") / "tx.csv"
    sim.transactions.to_csv(path, index=False)
    return path


def test_fits_the_purchase_and_spend_models_of_the_summary(log: Path) -> None:
    messages: list[str] = []
    fit = fit_pooled(str(log), observation_end="2024-12-31", progress=messages.append)
    assert isinstance(fit, PooledFit)
    rfm, tm, sm = fit
    expected = clv.rfm_summary(clv.read_transactions(log), observation_end="2024-12-31")
    pd.testing.assert_frame_equal(rfm, expected)
    np.testing.assert_array_equal(tm.params_, clv.BetaGeo().fit(expected).params_)
    np.testing.assert_array_equal(sm.params_, clv.GammaGamma().fit(expected).params_)
    assert messages[-1] == "fitting BetaGeo and GammaGamma"


def test_transaction_model_by_registry_name(log: Path) -> None:
    assert type(fit_pooled(str(log), transaction_model="mbgnbd").transaction_model).__name__ == "ModifiedBetaGeo"


def test_a_log_without_amounts_gets_no_spend_model(log: Path, tmp_path: Path) -> None:
    path = tmp_path / "no_amounts.csv"
    pd.read_csv(log).drop(columns="amount").to_csv(path, index=False)
    rfm, tm, sm = fit_pooled(str(path))
    assert sm is None and type(tm).__name__ == "BetaGeo" and "monetary_value" not in rfm


def test_renamed_columns(log: Path, tmp_path: Path) -> None:
    path = tmp_path / "renamed.csv"
    pd.read_csv(log).rename(columns={"customer_id": "user", "date": "day", "amount": "revenue"}).to_csv(path, index=False)
    renamed = fit_pooled(str(path), columns={"customer": "user", "date": "day", "amount": "revenue"})
    np.testing.assert_array_equal(renamed.spend_model.params_, fit_pooled(str(log)).spend_model.params_)


def test_duckdb_engine_fits_the_same_models(log: Path) -> None:
    pytest.importorskip("duckdb")
    duck = fit_pooled(str(log), engine="duckdb", observation_end="2024-12-31")
    pandas = fit_pooled(str(log), observation_end="2024-12-31")
    assert duck.rfm.customers == len(pandas.rfm)
    np.testing.assert_allclose(duck.transaction_model.params_, pandas.transaction_model.params_, rtol=1e-6)
    np.testing.assert_allclose(duck.spend_model.params_, pandas.spend_model.params_, rtol=1e-6)


@pytest.mark.parametrize(("settings", "message"), [
    ({"model_kind": "bayes", "transaction_model": "paretonbd"}, "fits the BG/NBD only"),
    ({"model_kind": "bayes", "bayes_draws": 10}, "--bayes-draws must be at least 50"),
    ({"model_kind": "bayes", "engine": "duckdb"}, "reads files with the pandas engine"),
    ({"engine": "duckdb", "columns": {"date_format": "%d/%m/%Y"}}, "--date-format is not supported"),
    ({"query": "SELECT 1", "url": "sqlite://"}, "not both"),
])
def test_bad_settings_raise_data_error_before_any_fit(log: Path, settings: dict, message: str) -> None:
    with pytest.raises(DataError, match=message):
        fit_pooled(str(log), **settings)

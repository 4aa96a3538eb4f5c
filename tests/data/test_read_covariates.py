"""clv.read_covariates: numeric or categorical columns, bad files refused naming the column and the row; typical_profile."""

from __future__ import annotations

import pandas as pd
import pytest

import clv
from clv.data.covariates import typical_profile


def test_numeric_and_text_columns(tmp_path):
    path = tmp_path / "c.csv"
    path.write_text("customer_id,region,value,store\n1, north,12.5,s1\n2,south,40,s2\n3,north,7,s1\n")
    table = clv.read_covariates(path)
    assert table.index.tolist() == [1, 2, 3] and table.index.name == "customer_id"
    assert table["region"].tolist() == ["north", "south", "north"]
    assert table["value"].dtype == float and table["value"].tolist() == [12.5, 40.0, 7.0]
    assert clv.read_covariates(path, columns=["value"]).columns.tolist() == ["value"]


@pytest.mark.parametrize(("text", "message"), [
    ("customer_id,value\n1,12\n2,x\n3,4\n", "column 'value': not a number ('x') in row 2"),
    ("customer_id,value\n1,12\n2,\n", "column 'value': empty value in row 2"),
    ("customer_id,value\n1,12\n1,13\n", "column 'customer_id': customer 1 is listed twice"),
    ("id,value\n1,12\n", "column 'customer_id': missing from the covariates table"),
])
def test_bad_files(tmp_path, text, message):
    path = tmp_path / "c.csv"
    path.write_text(text)
    with pytest.raises(clv.DataError, match=message.replace("(", r"\(").replace(")", r"\)")):
        clv.read_covariates(path)


def test_missing_column_and_typical_profile(tmp_path):
    frame = pd.DataFrame({"customer_id": [1, 2, 3], "region": ["b", "a", "a"], "value": [1.0, 2.0, 10.0]})
    with pytest.raises(clv.DataError, match="column 'size': covariate missing"):
        clv.read_covariates(frame, columns=["size"])
    assert typical_profile(frame, ["region", "value"]) == {"region": "a", "value": 2.0}
    assert typical_profile(frame.assign(region=["b", "a", "c"]), ["region"]) == {"region": "a"}  # ties: first in sorted order

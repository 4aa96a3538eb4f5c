"""clv.read_transactions: canonical output and one-line errors naming the column and a row."""

import pandas as pd
import pytest

import clv


def write(tmp_path, text, name="tx.csv"):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_reads_csv_with_custom_names(tmp_path):
    path = write(tmp_path, "cust,when,value\na,2024-01-01,10\na,2024-01-03,5.5\nb,2024-02-01,-3\n")
    tx = clv.read_transactions(path, customer="cust", date="when", amount="value")
    assert list(tx.columns) == ["customer_id", "date", "amount"]
    assert tx["amount"].tolist() == [10.0, 5.5, -3.0]  # refunds are kept
    assert str(tx["date"].dtype) == "datetime64[ns]"


def test_reads_gzipped_csv(tmp_path):
    import gzip

    path = tmp_path / "tx.csv.gz"
    with gzip.open(path, "wt") as handle:
        handle.write("customer_id,date,amount\n1,2024-01-01,3\n")
    assert clv.read_transactions(path)["amount"].tolist() == [3.0]


def test_reads_parquet(tmp_path):
    frame = pd.DataFrame({"customer_id": [1, 2], "date": pd.to_datetime(["2024-01-01", "2024-01-02"]), "amount": [1.0, 2.0]})
    frame.to_parquet(tmp_path / "tx.parquet")
    tx = clv.read_transactions(tmp_path / "tx.parquet")
    assert tx["customer_id"].tolist() == [1, 2]


def test_single_offset_timezone_is_read_as_local_time():
    raw = pd.DataFrame({"customer_id": [1, 1], "date": ["2024-01-01T23:30:00+05:00", "2024-01-02T01:00:00+05:00"], "amount": [1, 2]})
    tx = clv.read_transactions(raw)
    assert tx["date"].dt.day.tolist() == [1, 2]


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("", "is empty"),
        ("customer_id,date,amount\n", "no data rows"),
        ("customer_id,date,amount,amount\n1,2024-01-01,1,2\n", "column 'amount': appears twice"),
        ("customer_id,day,amount\n1,2024-01-01,1\n", "column 'date': missing"),
        ("customer_id,date,amount\n1,2024-01-01,1\n2,not a date,3\n", "column 'date': cannot parse 'not a date'"),
        ("customer_id,date,amount\n1,2024-01-01,ten\n", "column 'amount': not a number ('ten')"),
        ("customer_id,date,amount\n1,2024-01-01,\n", "column 'amount': empty value in row 1"),
        ("customer_id,date,amount\n1,2024-01-01,inf\n", "column 'amount': infinite value"),
        ("customer_id,date,amount\n,2024-01-01,1\n", "column 'customer_id': empty value"),
        ("customer_id,date,amount\n1,2024-01-01T00:00+01:00,1\n2,2024-01-01T00:00+02:00,1\n", "column 'date': mixed time zones"),
        ("customer_id,date,amount\n1,2024-01-01T00:00+01:00,1\n2,2024-01-01,1\n", "column 'date': mixed time zones"),
        ("customer_id,date,amount\n1,,1\n", "column 'date': empty value"),
    ],
)
def test_bad_input_gives_one_line_error(tmp_path, text, fragment):
    path = write(tmp_path, text)
    with pytest.raises(clv.DataError) as info:
        clv.read_transactions(path)
    message = str(info.value)
    assert fragment in message
    assert "\n" not in message


def test_error_shows_the_offending_row(tmp_path):
    path = write(tmp_path, "customer_id,date,amount\n1,2024-01-01,1\n7,2024-01-02,oops\n")
    with pytest.raises(clv.DataError, match=r"row 2: \{'customer_id': '7', 'date': '2024-01-02', 'amount': 'oops'\}"):
        clv.read_transactions(path)


def test_missing_file(tmp_path):
    with pytest.raises(clv.DataError, match="does not exist"):
        clv.read_transactions(tmp_path / "nope.csv")


def test_data_error_is_a_value_error():
    assert issubclass(clv.DataError, ValueError)

"""Dates are read one way per column, or refused (issue 11, item 3)."""

from __future__ import annotations

import itertools

import pandas as pd
import pytest

import clv
from clv.data import data_path


def _read(dates: list[str], **kwargs) -> pd.Series:
    log = pd.DataFrame({"customer_id": range(len(dates)), "date": dates})
    return clv.read_transactions(log, amount=None, **kwargs)["date"]


AMBIGUOUS = [(d, m) for d, m in itertools.product(range(1, 13), range(1, 13)) if d != m]


@pytest.mark.parametrize("month", range(1, 13))
def test_every_ambiguous_pair_reads_with_the_column_convention(month: int) -> None:
    # For each month, every day 1-12 (all of them ambiguous written as numbers) is read day-first in a
    # column that also holds one day-first-only value, and month-first in a column with one month-first-only value.
    pairs = [(d, month) for d in range(1, 13)]
    day_first = [f"{d:02d}/{m:02d}/2025" for d, m in pairs] + ["25/12/2025"]
    month_first = [f"{m:02d}/{d:02d}/2025" for d, m in pairs] + ["12/25/2025"]
    expected = [pd.Timestamp(2025, m, d) for d, m in pairs] + [pd.Timestamp(2025, 12, 25)]
    assert _read(day_first).tolist() == expected
    assert _read(month_first).tolist() == expected


def test_all_132_ambiguous_day_month_pairs_in_one_column() -> None:
    texts = [f"{d}/{m}/2024" for d, m in AMBIGUOUS]
    with pytest.raises(clv.DataError, match="cannot tell whether the dates are day-first or month-first"):
        _read(texts)
    assert _read([*texts, "31/1/2024"]).tolist()[:-1] == [pd.Timestamp(2024, m, d) for d, m in AMBIGUOUS]
    assert _read([*texts, "1/31/2024"]).tolist()[:-1] == [pd.Timestamp(2024, d, m) for d, m in AMBIGUOUS]


def test_ambiguous_column_is_refused_naming_column_two_values_and_the_fix() -> None:
    with pytest.raises(clv.DataError) as info:
        _read(["05/06/2025", "03/04/2025", "05/06/2025"])
    message = str(info.value)
    assert message.startswith("column 'date':")
    assert "'05/06/2025'" in message and "'03/04/2025'" in message
    assert "date_format='%d/%m/%Y'" in message and "date_format='%m/%d/%Y'" in message
    assert _read(["05/06/2025", "03/04/2025"], date_format="%d/%m/%Y").tolist() == [pd.Timestamp(2025, 6, 5), pd.Timestamp(2025, 4, 3)]


def test_contradictory_column_is_refused() -> None:
    with pytest.raises(clv.DataError, match=r"contradict each other: '30/10/2025' \(row 1\).*'10/30/2025' \(row 3\)"):
        _read(["30/10/2025", "01/02/2025", "10/30/2025"])


def test_demo_transactions_written_day_first_read_exactly(tmp_path) -> None:
    # The file the issue found 36% misread (35.6% on main before this change): the demo log written with %d/%m/%Y.
    tx = clv.read_transactions(data_path("demo/transactions.csv"))
    tx.to_csv(tmp_path / "dmy.csv", index=False, date_format="%d/%m/%Y")
    ambiguous = (tx["date"].dt.day <= 12) & (tx["date"].dt.day != tx["date"].dt.month)
    assert ambiguous.mean() > 0.3  # the rows that reading each value on its own got wrong
    assert (clv.read_transactions(tmp_path / "dmy.csv")["date"] == tx["date"].dt.normalize()).all()
    tx.to_csv(tmp_path / "mdy.csv", index=False, date_format="%m/%d/%Y")
    assert (clv.read_transactions(tmp_path / "mdy.csv")["date"] == tx["date"].dt.normalize()).all()


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (["2024-03-05", "2024-03-06 14:30"], ["2024-03-05", "2024-03-06 14:30"]),
        (["2024-03-05T10:00:00+02:00", "2024-03-06T23:00:00+02:00"], ["2024-03-05 10:00", "2024-03-06 23:00"]),
        (["05.03.24", "13.03.24 08:15"], ["2024-03-05", "2024-03-13 08:15"]),
        (["2024/03/05", "2024/12/01"], ["2024-03-05", "2024-12-01"]),
        (["6/5/2025 2:30:00 PM", "6/13/2025 9:05:00 AM"], ["2025-06-05 14:30", "2025-06-13 09:05"]),
        (["2024-3-5", "2024-03-06"], ["2024-03-05", "2024-03-06"]),
        (["5 March 2024", "Mar 6, 2024"], ["2024-03-05", "2024-03-06"]),
    ],
)
def test_unambiguous_styles(values, expected) -> None:
    assert _read(values).tolist() == [pd.Timestamp(v) for v in expected]


@pytest.mark.parametrize(
    ("values", "kwargs", "message"),
    [
        (["2024-01-05", "05/06/2024"], {}, "mixes date styles"),
        (["2024-01-05T00:00+01:00", "2024-01-05"], {}, "mixed time zones"),
        (["31/02/2024", "13/01/2024"], {}, "not a valid date"),
        (["2024-01-05"], {"date_format": "%d/%m/%Y"}, "does not match date_format='%d/%m/%Y'"),
        (["soon"], {}, "cannot parse 'soon' as a date"),
    ],
)
def test_refused(values, kwargs, message) -> None:
    with pytest.raises(clv.DataError, match=message):
        _read(values, **kwargs)


def test_acquisition_dates_and_spend_periods_share_the_rules() -> None:
    acq = pd.DataFrame({"customer_id": [1, 2, 3], "channel": "email", "acquired_at": ["05/06/2024", "30/06/2024", "01/02/2024"]})
    assert clv.read_acquisitions(acq)["acquired_at"].tolist() == [pd.Timestamp(2024, 6, 5), pd.Timestamp(2024, 6, 30),
                                                                  pd.Timestamp(2024, 2, 1)]
    with pytest.raises(clv.DataError, match="column 'acquired_at': cannot tell"):
        clv.read_acquisitions(acq.iloc[[0, 2]])
    spend = pd.DataFrame({"channel": "email", "period": ["01/03/2024", "04/02/2024/17/02/2024"], "spend": [1.0, 2.0]})
    read = clv.read_channel_spend(spend)
    assert read[["start", "end"]].astype(str).values.tolist() == [["2024-03-01", "2024-03-31"], ["2024-02-04", "2024-02-17"]]
    with pytest.raises(clv.DataError, match="column 'period': cannot tell"):
        clv.read_channel_spend(spend.iloc[[0]])
    assert clv.read_channel_spend(spend.iloc[[0]], date_format="%d/%m/%Y")["start"].iloc[0] == pd.Timestamp(2024, 3, 1)
    with pytest.raises(clv.DataError, match="a single day other than the first of a month"):
        clv.read_channel_spend(spend.iloc[[0]], date_format="%m/%d/%Y")  # 3 January

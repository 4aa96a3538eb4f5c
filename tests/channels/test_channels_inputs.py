"""Malformed acquisition, spend and channel-report inputs: each gives a one-line clv.DataError.

The table in docs/cli_and_inputs.md lists these cases with their messages
(regenerate it with ``python tests/channels/test_channels_inputs.py``).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import clv

GOOD_ACQ = "customer_id,channel,acquired_at,cost\n1,email,2024-01-03,4.5\n2,referral,2024-02-10,\n"
GOOD_SPEND = "channel,period,spend\nemail,2024-01,100\nemail,2024-02-01/2024-02-14,40.5\n"

# (case id, reader, file text, expected message fragment)
CASES = [
    ("acq: missing column", "acq", "customer_id,acquired_at\n1,2024-01-03\n", "column 'channel': missing from the acquisitions table"),
    ("acq: duplicate header", "acq", "customer_id,channel,channel,acquired_at\n1,a,b,2024-01-01\n", "column 'channel': appears twice"),
    ("acq: empty customer id", "acq", "customer_id,channel,acquired_at\n1,email,2024-01-03\n,email,2024-01-04\n",
     "column 'customer_id': empty value in row 2"),
    ("acq: blank channel", "acq", "customer_id,channel,acquired_at\n1,   ,2024-01-03\n", "column 'channel': blank channel name in row 1"),
    ("acq: empty channel", "acq", "customer_id,channel,acquired_at\n1,,2024-01-03\n", "column 'channel': empty value in row 1"),
    ("acq: customer twice", "acq", "customer_id,channel,acquired_at\n7,email,2024-01-03\n8,email,2024-01-03\n7,seo,2024-02-01\n",
     "column 'customer_id': customer 7 is listed twice (rows 1 and 3)"),
    ("acq: unparseable date", "acq", "customer_id,channel,acquired_at\n1,email,yesterday\n",
     "column 'acquired_at': cannot parse 'yesterday' as a date in row 1"),
    ("acq: mixed time zones", "acq",
     "customer_id,channel,acquired_at\n1,email,2024-01-03T10:00:00+01:00\n2,email,2024-01-03T10:00:00Z\n",
     "column 'acquired_at': mixed time zones"),
    ("acq: text cost", "acq", "customer_id,channel,acquired_at,cost\n1,email,2024-01-03,4\n2,email,2024-01-03,free\n",
     "column 'cost': not a number ('free') in row 2"),
    ("acq: negative cost", "acq", "customer_id,channel,acquired_at,cost\n1,email,2024-01-03,\n2,email,2024-01-03,-3\n",
     "column 'cost': negative value in row 2"),
    ("acq: infinite cost", "acq", "customer_id,channel,acquired_at,cost\n1,email,2024-01-03,inf\n", "column 'cost': infinite value in row 1"),
    ("acq: header only", "acq", "customer_id,channel,acquired_at\n", "the acquisitions table has no data rows"),
    ("acq: empty file", "acq", "", "is empty: expected a header row"),
    ("spend: missing column", "spend", "channel,period,amount\nemail,2024-01,100\n", "column 'spend': missing from the channel spend table"),
    ("spend: unreadable period", "spend", "channel,period,spend\nemail,Q1 2024,100\n", "column 'period': cannot parse 'Q1 2024' as a period"),
    ("spend: mid-month single date", "spend", "channel,period,spend\nemail,2024-03-15,100\n",
     "column 'period': cannot read '2024-03-15' as a period"),
    ("spend: reversed range", "spend", "channel,period,spend\nemail,2024-03-20/2024-03-01,100\n",
     "column 'period': range '2024-03-20/2024-03-01' ends before it starts in row 1"),
    ("spend: overlapping periods", "spend", "channel,period,spend\nemail,2024-03,100\nseo,2024-03,5\nemail,2024-03-10/2024-04-10,50\n",
     "periods '2024-03' (row 1) and '2024-03-10/2024-04-10' of channel 'email' overlap"),
    ("spend: negative spend", "spend", "channel,period,spend\nemail,2024-01,-100\n", "column 'spend': negative value in row 1"),
    ("spend: thousands separator", "spend", 'channel,period,spend\nemail,2024-01,"1,000"\n', "column 'spend': not a number ('1,000') in row 1"),
    ("spend: empty spend", "spend", "channel,period,spend\nemail,2024-01,\n", "column 'spend': empty value in row 1"),
]


def _read(kind: str, path: Path) -> pd.DataFrame:
    return clv.read_acquisitions(path) if kind == "acq" else clv.read_channel_spend(path)


@pytest.mark.parametrize(("case", "kind", "text", "message"), CASES, ids=[c[0] for c in CASES])
def test_malformed_file_gives_one_line_data_error(tmp_path: Path, case: str, kind: str, text: str, message: str) -> None:
    path = tmp_path / "input.csv"
    path.write_text(text)
    with pytest.raises(clv.DataError) as info:
        _read(kind, path)
    text_out = str(info.value)
    assert message in text_out
    assert "\n" not in text_out


def test_missing_file_names_the_table(tmp_path: Path) -> None:
    with pytest.raises(clv.DataError, match=r"acquisitions file '.*nope\.csv' does not exist"):
        clv.read_acquisitions(tmp_path / "nope.csv")
    with pytest.raises(clv.DataError, match=r"channel spend file '.*nope\.csv' does not exist"):
        clv.read_channel_spend(tmp_path / "nope.csv")


def _scores() -> pd.DataFrame:
    return pd.DataFrame({"clv": [1.0, 2.0]}, index=pd.Index([1, 2], name="customer_id"))


def _acq() -> pd.DataFrame:
    return clv.read_acquisitions(pd.DataFrame({"customer_id": [1, 2], "channel": ["a", "b"],
                                               "acquired_at": ["2024-01-01", "2024-01-02"]}))


def _tx() -> pd.DataFrame:
    return clv.read_transactions(pd.DataFrame({"customer_id": [1, 2], "date": ["2024-01-01", "2024-01-02"], "amount": [1, 2]}))


REPORT_CASES = [
    ("scores without clv", lambda: clv.channel_report(_scores().rename(columns={"clv": "value"}), _acq(), transactions=_tx()),
     "column 'clv': missing from scores"),
    ("scores with NaN clv", lambda: clv.channel_report(_scores().assign(clv=[1.0, float("nan")]), _acq(), transactions=_tx()),
     "column 'clv': missing or non-finite value for customer 2"),
    ("no realized revenue source", lambda: clv.channel_report(_scores(), _acq()), "needs transactions="),
    ("margin above 1", lambda: clv.channel_report(_scores(), _acq(), transactions=_tx(), margin=30),
     "margin must lie between 0 and 1"),
    ("raw acquisitions frame", lambda: clv.channel_report(_scores(), pd.DataFrame({"id": [1]}), transactions=_tx()),
     "acquisitions must be the output of clv.read_acquisitions"),
]


@pytest.mark.parametrize(("case", "call", "message"), REPORT_CASES, ids=[c[0] for c in REPORT_CASES])
def test_channel_report_rejects_bad_arguments(case: str, call, message: str) -> None:
    with pytest.raises(clv.DataError) as info:
        call()
    assert message in str(info.value)
    assert "\n" not in str(info.value)


def test_good_inputs_read(tmp_path: Path) -> None:
    (tmp_path / "a.csv").write_text(GOOD_ACQ)
    (tmp_path / "s.csv").write_text(GOOD_SPEND)
    acq = clv.read_acquisitions(tmp_path / "a.csv")
    assert acq["cost"].isna().tolist() == [False, True]
    spend = clv.read_channel_spend(tmp_path / "s.csv")
    assert spend["end"].dt.strftime("%Y-%m-%d").tolist() == ["2024-01-31", "2024-02-14"]


def test_first_of_month_date_means_the_month() -> None:
    spend = clv.read_channel_spend(pd.DataFrame({"channel": ["x"], "period": ["2024-02-01"], "spend": [1.0]}))
    assert str(spend["end"].iloc[0].date()) == "2024-02-29"


if __name__ == "__main__":  # print the Markdown table of docs/cli_and_inputs.md
    import tempfile

    print("| # | input | problem | message |\n|---|---|---|---|")
    with tempfile.TemporaryDirectory() as d:
        for i, (case, kind, text, _) in enumerate(CASES, 1):
            p = Path(d) / "input.csv"
            p.write_text(text)
            try:
                _read(kind, p)
            except clv.DataError as exc:
                msg = str(exc).replace(d, "...").replace("|", "\\|")
                what, problem = case.split(": ", 1)
                print(f"| {i} | {'acquisitions' if what == 'acq' else 'channel spend'} | {problem} | `{msg}` |")
    for j, (case, call, _) in enumerate(REPORT_CASES, len(CASES) + 1):
        try:
            call()
        except clv.DataError as exc:
            print(f"| {j} | channel_report | {case} | `{exc}` |")


def test_disjoint_customer_ids_are_a_clear_error():
    """String ids on one side and integers on the other would otherwise fall back to the pooled model silently."""
    sim = clv.simulate(400, seed=1)
    rfm = clv.rfm_summary(sim.transactions)
    acq = sim.acquisitions.assign(customer_id=lambda d: "c" + d["customer_id"].astype(str))
    with pytest.raises(clv.DataError, match="no customer of the transactions appears in the acquisitions"):
        clv.fit_channel_models(rfm, acq)

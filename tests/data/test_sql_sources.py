"""SQL sources through SQLAlchemy: SQLite (no server) and a real PostgreSQL server (CLV_TEST_POSTGRES_URL).

The same simulated business is written to the database and to files; a report from the SQL
queries (pandas and DuckDB engines) must equal the report from the files, and no password may
appear in any output, message or report file.
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

import clv
from clv.cli import main
from clv.data.sql import read_sql, safe_url

sqlalchemy = pytest.importorskip("sqlalchemy")
POSTGRES = os.environ.get("CLV_TEST_POSTGRES_URL")
END = "2025-03-31"
TX_SQL = "SELECT customer_id, order_date AS date, revenue AS amount FROM orders"


@pytest.fixture(scope="module")
def business(tmp_path_factory) -> dict[str, object]:
    d = tmp_path_factory.mktemp("sql")
    sim = clv.simulate(600, seed=8, start="2024-01-01", end=END, channels={
        "search": {"share": 0.6}, "referral": {"share": 0.4, "params": {"r": 0.8, "alpha": 8.0, "a": 0.6, "b": 4.0}}})
    tx = sim.transactions.assign(date=sim.transactions["date"].dt.normalize(), amount=sim.transactions["amount"].round(2))
    tx.to_csv(d / "tx.csv", index=False)
    sim.acquisitions.to_csv(d / "acq.csv", index=False)
    spend = pd.DataFrame({"channel": ["search", "referral"], "period": ["2024-01-01/2025-03-31"] * 2, "spend": [9000.0, 4000.0]})
    spend.to_csv(d / "spend.csv", index=False)
    return {"dir": d, "tx": tx, "acq": sim.acquisitions, "spend": spend}


def _load(url: str, business: dict[str, object]) -> None:
    engine = sqlalchemy.create_engine(url)
    orders = business["tx"].rename(columns={"date": "order_date", "amount": "revenue"})
    with engine.begin() as conn:
        for name in ("orders", "acquisitions", "spend"):
            conn.execute(sqlalchemy.text(f"DROP TABLE IF EXISTS {name}"))
        orders.to_sql("orders", conn, index=False, dtype={"order_date": sqlalchemy.Date(), "revenue": sqlalchemy.Numeric(12, 2)})
        business["acq"].to_sql("acquisitions", conn, index=False)
        business["spend"].to_sql("spend", conn, index=False)
    engine.dispose()


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database(request, business, tmp_path_factory) -> str:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'shop.db'}"
    else:
        if not POSTGRES:
            if os.environ.get("CLV_REQUIRE_POSTGRES"):
                pytest.fail("CLV_REQUIRE_POSTGRES is set but CLV_TEST_POSTGRES_URL is not: the PostgreSQL server did not start")
            pytest.skip("no PostgreSQL server (set CLV_TEST_POSTGRES_URL; .ci/postgres start runs one)")
        url = POSTGRES
    _load(url, business)
    return url


def _secrets() -> list[str]:
    return [s for s in (os.environ.get("PGPASSWORD"), "topsecret") if s]


def _report(args: list[str], out: Path) -> CliRunner:
    result = CliRunner().invoke(main, ["report", *args, "--out", str(out), "--observation-end", END, "--n-draws", "0"],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result


@pytest.fixture(scope="module")
def file_reports(business, tmp_path_factory) -> dict[str, Path]:
    """The report from the files, per engine, made once."""
    made: dict[str, Path] = {}

    def get(engine: str) -> Path:
        if engine not in made:
            d, out = business["dir"], tmp_path_factory.mktemp(f"files-{engine}")
            _report(["-t", str(d / "tx.csv"), "-a", str(d / "acq.csv"), "-s", str(d / "spend.csv"), "--engine", engine], out / "r")
            made[engine] = out / "r"
        return made[engine]

    return get


@pytest.mark.parametrize("engine", ["pandas", "duckdb"])
def test_report_from_sql_equals_report_from_files(database, file_reports, tmp_path, engine):
    if engine == "pandas" and database.startswith("sqlite"):
        pytest.skip("the pandas engine reads every database the same way; PostgreSQL covers it")
    files = file_reports(engine)
    result = _report(["--transactions-sql", TX_SQL, "--acquisitions-sql", "SELECT * FROM acquisitions",
                      "--spend-sql", "SELECT channel, period, spend FROM spend", "--database-url", database, "--engine", engine],
                     tmp_path / "sql")
    for name in ("channels.csv", "customers.csv", "cohorts.csv"):
        assert (tmp_path / "sql" / name).read_bytes() == (files / name).read_bytes(), name
    texts = [result.output] + [p.read_text(errors="replace") for p in (tmp_path / "sql").iterdir()]
    assert not any(s in t for s in _secrets() for t in texts)
    assert "SQL query on " in (tmp_path / "sql" / "summary.json").read_text()


def test_fit_from_sql_with_duckdb_equals_files(database, business):
    from clv import duckdb as duck

    con = duck.connect()
    source = duck.load_sql(con, TX_SQL, database, chunk_size=500)
    got = duck.rfm_summary(source, observation_end=END, con=con).to_pandas()
    expected = clv.rfm_summary(clv.read_transactions(business["dir"] / "tx.csv"), observation_end=END)
    pd.testing.assert_frame_equal(got, expected, check_exact=True)
    acq = clv.read_acquisitions(read_sql("SELECT * FROM acquisitions", database))
    assert len(acq) == len(business["acq"])


@pytest.mark.postgres
def test_password_in_url_never_shown(business, tmp_path):
    """The password in the URL (PGPASSWORD unset) appears in no output, report file or error message."""
    if not (POSTGRES and os.environ.get("PGPASSWORD")):
        pytest.skip("needs the PostgreSQL server (CLV_TEST_POSTGRES_URL and PGPASSWORD)")
    password = os.environ["PGPASSWORD"]
    url = sqlalchemy.engine.make_url(POSTGRES).set(password=password).render_as_string(hide_password=False)
    _load(url, business)
    runner = CliRunner(env={"PGPASSWORD": None})  # the URL is the only place the password is
    d = business["dir"]
    result = runner.invoke(main, ["report", "--transactions-sql", TX_SQL, "-a", str(d / "acq.csv"), "--database-url", url,
                                  "--engine", "duckdb", "--out", str(tmp_path / "r"), "--observation-end", END, "--n-draws", "0"],
                           catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert password not in result.output
    for path in (tmp_path / "r").iterdir():
        assert password not in path.read_text(errors="replace"), path.name
    bad = url.replace("/clv_test", "/no_such_database")
    result = runner.invoke(main, ["fit", "--transactions-sql", TX_SQL, "--database-url", bad, "--engine", "duckdb"])
    assert result.exit_code == 2 and "no_such_database" in result.output and password not in result.output


def test_failed_connection_hides_the_password():
    url = "postgresql+psycopg2://clv:topsecret@127.0.0.1:1/shop"
    assert safe_url(url) == "postgresql+psycopg2://clv:***@127.0.0.1:1/shop"
    result = CliRunner().invoke(main, ["fit", "--transactions-sql", "SELECT 1", "--database-url", url, "-q"])
    assert result.exit_code == 2 and result.output.startswith("clv: error: SQL source on postgresql+psycopg2://clv:***@")
    assert "topsecret" not in result.output and "Traceback" not in result.output


def test_source_rules():
    result = CliRunner().invoke(main, ["fit", "-q"])
    assert result.exit_code == 2 and "as a file (-t) or as a query (--transactions-sql)" in result.output
    result = CliRunner().invoke(main, ["fit", "--transactions-sql", "SELECT 1", "-q"], env={"CLV_DATABASE_URL": None})
    assert result.exit_code == 2 and "needs a database URL" in result.output

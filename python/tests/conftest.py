"""The plugin's tests run pytest in subprocesses (pytester) against real throwaway servers.

test/pytest_plugin.sh starts them and passes their addresses:
    UNORDER_ROWS_TEST_PRELOADED  libpq conninfo of a server with shared_preload_libraries = unorder_rows
    UNORDER_ROWS_TEST_PLAIN      libpq conninfo of a server with the extension installed, not loaded
"""
import os

import psycopg2
import pytest

pytest_plugins = ["pytester"]

ROWS = 20


def _server(variable):
    conninfo = os.environ.get(variable)
    if not conninfo:
        pytest.fail(f"{variable} is not set: run these tests through test/pytest_plugin.sh")
    conn = psycopg2.connect(conninfo)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute("DROP TABLE IF EXISTS plugin_rows")
        cur.execute(f"CREATE TABLE plugin_rows AS SELECT g AS id FROM generate_series(1, {ROWS}) g")
    conn.close()
    return psycopg2.extensions.parse_dsn(conninfo)


@pytest.fixture(scope="session")
def preloaded():
    return _server("UNORDER_ROWS_TEST_PRELOADED")


@pytest.fixture(scope="session")
def plain():
    return _server("UNORDER_ROWS_TEST_PLAIN")


def use_server(monkeypatch, params):
    """Point libpq's environment (inherited by pytester's subprocesses) at a server."""
    for key, variable in (("host", "PGHOST"), ("port", "PGPORT"), ("user", "PGUSER"), ("dbname", "PGDATABASE")):
        if key in params:
            monkeypatch.setenv(variable, str(params[key]))
        else:
            monkeypatch.delenv(variable, raising=False)
    monkeypatch.delenv("PGOPTIONS", raising=False)

"""The migrations build on PostgreSQL exactly the schema the models describe
(as tests/test_migrations.py checks for SQLite)."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect

import council.models  # noqa: F401  (registers the core tables, as migrations/env.py does)
import exercises.models  # noqa: F401  (and the exercises slice's)
from council.db import Base
from council.migrate import alembic_config, current_revision


def test_upgrade_head_on_an_empty_postgresql_database_matches_the_models(pg_url: str):
    # pg_url is a fresh database already upgraded to head by the fixture.
    engine = create_engine(pg_url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            differences = compare_metadata(context, Base.metadata)
            tables = set(inspect(conn).get_table_names())
            head = conn.exec_driver_sql("SELECT id, last_id, last_hash, count FROM audit_head").all()
    finally:
        engine.dispose()
    assert differences == []
    assert set(Base.metadata.tables) <= tables
    assert head == [(1, 0, "0" * 64, 0)]
    assert current_revision(pg_url) == ScriptDirectory.from_config(alembic_config(pg_url)).get_current_head()


def test_the_migrations_upgrade_a_postgresql_database_holding_people():
    """0011's backfill on PostgreSQL, from a database at 0010 holding people and organisations."""
    import secrets

    from council.migrate import upgrade
    from tests.scale.conftest import _admin_exec, database_url
    from tests.test_migrations import EXPECTED_ORGS, EXPECTED_USERS, fill_people_before_0011, people_after_0011

    name = f"council_test_{secrets.token_hex(6)}"
    _admin_exec(f'CREATE DATABASE "{name}"')
    try:
        url = database_url(name)
        upgrade(url, "0010")
        fill_people_before_0011(url)
        upgrade(url)
        assert people_after_0011(url) == (EXPECTED_USERS, EXPECTED_ORGS)
    finally:
        _admin_exec(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_the_council_migrations_upgrade_a_postgresql_database_holding_organisations_and_decisions():
    """0013–0015 on PostgreSQL, from a database at 0012 holding organisations, a room and a decision."""
    import secrets

    from council.migrate import upgrade
    from tests.scale.conftest import _admin_exec, database_url
    from tests.test_migrations import EXPECTED_COUNCIL, council_after_0013, fill_council_before_0013

    name = f"council_test_{secrets.token_hex(6)}"
    _admin_exec(f'CREATE DATABASE "{name}"')
    try:
        url = database_url(name)
        upgrade(url, "0012")
        fill_council_before_0013(url)
        upgrade(url)
        assert council_after_0013(url) == EXPECTED_COUNCIL
    finally:
        _admin_exec(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

"""The migrations build exactly the schema the models describe."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect

import council.models  # noqa: F401  (registers every table, as migrations/env.py does)
from council.db import Base
from council.migrate import alembic_config, current_revision, upgrade


def test_upgrade_head_on_an_empty_database_matches_the_models(tmp_path):
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    upgrade(url)
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True, "render_as_batch": True})
            differences = compare_metadata(context, Base.metadata)
            tables = set(inspect(conn).get_table_names())
    finally:
        engine.dispose()
    assert differences == []
    assert set(Base.metadata.tables) <= tables
    assert {"organizations", "users", "api_tokens", "login_throttles", "audit_log", "audit_head"} <= tables


def test_the_migration_history_is_one_line_ending_at_the_applied_head(tmp_path):
    url = f"sqlite:///{tmp_path / 'line.db'}"
    script = ScriptDirectory.from_config(alembic_config(url))
    assert len(script.get_heads()) == 1
    upgrade(url)
    assert current_revision(url) == script.get_current_head()


def test_the_audit_chain_starts_at_genesis_after_migrating(tmp_path):
    url = f"sqlite:///{tmp_path / 'genesis.db'}"
    upgrade(url)
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            rows = conn.exec_driver_sql("SELECT id, last_id, last_hash, count FROM audit_head").all()
    finally:
        engine.dispose()
    assert rows == [(1, 0, "0" * 64, 0)]


def test_existing_observations_are_filed_as_their_rating_suggests(tmp_path):
    """0006 adds the finding: observations recorded before it become strengths
    when rated P or S and areas for improvement when rated M or U."""
    url = f"sqlite:///{tmp_path / 'findings.db'}"
    upgrade(url, "0005")
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            for n, rating in enumerate("PSMU", start=1):
                conn.exec_driver_sql(
                    "INSERT INTO exercise_observations (id, exercise_id, evaluator_id, t_plus_s, objective_id, "
                    "capability, msel_id, rating, body, body_html, seq, created_at) "
                    "VALUES (?, 1, 1, 0, '', '', '', ?, 'seen', 'seen', 0, '2026-11-30 10:00:00')", (n, rating))
        upgrade(url, "0006")
        with engine.connect() as conn:
            rows = conn.exec_driver_sql("SELECT rating, finding FROM exercise_observations ORDER BY id").all()
    finally:
        engine.dispose()
    assert rows == [("P", "strength"), ("S", "strength"), ("M", "improvement"), ("U", "improvement")]


def fill_people_before_0011(url: str) -> None:
    """People and organisations as an older platform holds them, with names that
    collide once made into handles and a name in another script."""
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            for n, name in enumerate(("National CERT", "Ops", "Ops Centre"), start=1):
                conn.exec_driver_sql(
                    "INSERT INTO organizations (id, name, tier, created_at) VALUES "
                    f"({n}, '{name}', 'sectoral', '2026-11-30 10:00:00')")
            for n, (name, email) in enumerate((("Sana Qureshi", "sana@a.example"), ("Sana Qureshi", "sq@b.example"),
                                                ("عائشہ صدیقی", "ayesha@c.example"), ("Ops", "ops@d.example")),
                                               start=1):
                conn.exec_driver_sql(
                    "INSERT INTO users (id, email, name, org_id, role, active, password_hash, failed_logins, "
                    f"session_version, created_at) VALUES ({n}, '{email}', '{name}', 1, 'member', true, 'x', 0, 1, "
                    "'2026-11-30 10:00:00')")
    finally:
        engine.dispose()


def people_after_0011(url: str) -> tuple[list[tuple], list[tuple]]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            users = conn.exec_driver_sql("SELECT id, handle, org_admin FROM users ORDER BY id").all()
            orgs = conn.exec_driver_sql("SELECT id, short_name FROM organizations ORDER BY id").all()
    finally:
        engine.dispose()
    return [tuple(u) for u in users], [tuple(o) for o in orgs]


EXPECTED_USERS = [(1, "sana.qureshi", False), (2, "sana.qureshi-2", False), (3, "ayesha", False), (4, "ops", False)]
EXPECTED_ORGS = [(1, "national-cert"), (2, "ops"), (3, "ops-centre")]


def test_existing_people_get_handles_and_organisations_short_names(tmp_path):
    """0011 on a database holding people: every person gets a unique handle (from the
    name, or the e-mail for a name in another script) and every organisation a short name."""
    url = f"sqlite:///{tmp_path / 'people.db'}"
    upgrade(url, "0010")
    fill_people_before_0011(url)
    upgrade(url)
    assert people_after_0011(url) == (EXPECTED_USERS, EXPECTED_ORGS)


def fill_council_before_0013(url: str) -> None:
    """Organisations, a room and a decision as the platform held them before bodies that are
    not CERTs, meeting rooms and decision types."""
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            for n, (name, tier) in enumerate((("National CERT", "national"), ("Banking CERT", "sectoral"),
                                              ("Indus Bank CSIRT", "organizational")), start=1):
                conn.exec_driver_sql(
                    "INSERT INTO organizations (id, name, short_name, tier, created_at) VALUES "
                    f"({n}, '{name}', 'org-{n}', '{tier}', '2026-11-30 10:00:00')")
            conn.exec_driver_sql(
                "INSERT INTO users (id, email, handle, name, org_id, role, active, org_admin, password_hash, "
                "failed_logins, session_version, created_at) VALUES (1, 'a@b.example', 'a', 'A', 1, 'member', "
                "true, false, 'x', 0, 1, '2026-11-30 10:00:00')")
            conn.exec_driver_sql(
                "INSERT INTO rooms (id, kind, title, summary, summary_html, severity, status, tlp, created_by_id, "
                "created_at, updated_at, last_seq, decision_quorum_pct) VALUES (1, 'incident', 'R', '', '', "
                "'high', 'open', 'AMBER', 1, '2026-11-30 10:00:00', '2026-11-30 10:00:00', 0, 50)")
            conn.exec_driver_sql(
                "INSERT INTO decisions (id, room_id, title, background, background_html, options, rule, tlp, "
                "status, proposed_by_id, proposed_at, proposed_seq, rationale, rationale_html, tally) VALUES "
                "(1, 1, 'D', '', '', '[\"approve\",\"reject\"]', 'majority', 'AMBER', 'open', 1, "
                "'2026-11-30 10:00:00', 1, '', '', '{}')")
    finally:
        engine.dispose()


def council_after_0013(url: str) -> tuple[list[tuple], list[tuple], list[tuple], bool]:
    from sqlalchemy.exc import IntegrityError

    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            orgs = [tuple(r) for r in conn.exec_driver_sql("SELECT id, kind, tier FROM organizations ORDER BY id")]
            decisions = [tuple(r) for r in conn.exec_driver_sql("SELECT id, type, level FROM decisions")]
            levels = [tuple(r) for r in conn.exec_driver_sql(
                "SELECT level, name, requires_room, sitrep_cadence_min FROM crisis_levels ORDER BY level")]
        refused = False
        try:
            with engine.begin() as conn:  # a ministry with a tier breaks the kind_tier check
                conn.exec_driver_sql("INSERT INTO organizations (id, name, short_name, kind, tier, created_at) "
                                     "VALUES (9, 'MoD', 'mod', 'ministry', 'sectoral', '2026-11-30 10:00:00')")
        except IntegrityError:
            refused = True
    finally:
        engine.dispose()
    return orgs, decisions, levels, refused


EXPECTED_COUNCIL = (
    [(1, "cert", "national"), (2, "cert", "sectoral"), (3, "cert", "organizational")],
    [(1, "operational", None)],
    [(0, "Normal", False, None), (1, "Elevated", False, None), (2, "High", True, 720), (3, "Severe", True, 240),
     (4, "Critical", True, 120)],
    True,
)


def test_existing_organisations_become_certs_and_decisions_operational(tmp_path):
    """0013–0015 on a database holding organisations, a room and a decision."""
    url = f"sqlite:///{tmp_path / 'council.db'}"
    upgrade(url, "0012")
    fill_council_before_0013(url)
    upgrade(url)
    assert council_after_0013(url) == EXPECTED_COUNCIL

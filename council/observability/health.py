"""``/healthz`` (the process answers) and ``/readyz`` (it can do its work) for load balancers.

Neither needs a login or CSRF token, and neither says more than which check
failed and the kind of error: never a URL, host or password from the settings.
``/healthz`` touches nothing; ``/readyz`` costs one small query (the Alembic
version row, which proves the database answers *and* the schema is at head)
and, with COUNCIL_REDIS_URL set, one PING. The migration head is read from the
scripts once per process: it cannot change while the process runs.
"""

from __future__ import annotations

import contextlib
import threading
from typing import Any

from flask import Blueprint, Flask, current_app

bp = Blueprint("observability_health", __name__)
REDIS_TIMEOUT_S = 1.0
_head_lock = threading.Lock()


@bp.get("/healthz", endpoint="healthz")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@bp.get("/readyz", endpoint="readyz")
def readyz() -> tuple[dict[str, Any], int]:
    checks: dict[str, dict[str, Any]] = {"database": {}, "migrations": {}}
    _check_database(current_app, checks)
    if current_app.extensions["council_settings"].redis_url:
        checks["redis"] = _check_redis(current_app)
    ok = all(check.get("ok") for check in checks.values())
    return {"status": "ok" if ok else "fail", "checks": checks}, 200 if ok else 503


def script_heads(app: Flask) -> frozenset[str]:
    """The revisions the migration scripts end at (cached: fixed while the process runs)."""
    heads: frozenset[str] | None = app.extensions.get("council_migration_heads")
    if heads is None:
        with _head_lock:
            from alembic.script import ScriptDirectory

            from council.migrate import alembic_config

            config = alembic_config(app.extensions["council_settings"].database_url)
            heads = frozenset(ScriptDirectory.from_config(config).get_heads())
            app.extensions["council_migration_heads"] = heads
    return heads


def _check_database(app: Flask, checks: dict[str, dict[str, Any]]) -> None:
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    from council.extensions import database

    heads = script_heads(app)
    current: frozenset[str] = frozenset()
    try:
        with database(app).read_engine.connect() as conn:
            conn.execute(text("SELECT 1"))
            # Alembic's own table, read directly (its MigrationContext logs two lines per call).
            # Missing: the database answers but was never initialised.
            with contextlib.suppress(DBAPIError):
                current = frozenset(conn.execute(text("SELECT version_num FROM alembic_version")).scalars())
            conn.rollback()
    except Exception as exc:
        checks["database"] = {"ok": False, "error": f"unreachable ({type(exc).__name__})"}
        checks["migrations"] = {"ok": False, "error": "not checked: database unreachable"}
        return
    checks["database"] = {"ok": True}
    if current == heads:
        checks["migrations"] = {"ok": True, "revision": ",".join(sorted(current))}
    else:
        checks["migrations"] = {
            "ok": False, "error": "database not at the migrations' head (run: flask --app wsgi council init)",
            "revision": ",".join(sorted(current)) or None, "head": ",".join(sorted(heads)),
        }


def _check_redis(app: Flask) -> dict[str, Any]:
    import redis

    client = app.extensions.get("council_ready_redis")
    if client is None:
        conf = app.extensions["council_settings"]
        client = redis.Redis.from_url(conf.redis_url, socket_connect_timeout=REDIS_TIMEOUT_S,
                                      socket_timeout=REDIS_TIMEOUT_S)
        app.extensions["council_ready_redis"] = client
    try:
        client.ping()
    except Exception as exc:
        return {"ok": False, "error": f"unreachable ({type(exc).__name__})"}
    return {"ok": True}


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)

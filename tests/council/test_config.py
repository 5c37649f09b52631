"""Settings: the secret key, validation of risky values, and the SQLite defaults."""

from __future__ import annotations

import stat
import threading

import pytest
from sqlalchemy import text

from council.config import ConfigError, default_database_url, from_env
from council.db import SQLITE_BUSY_TIMEOUT_MS
from council.extensions import database


def test_secret_key_is_generated_once_with_mode_0600_and_reused(tmp_path):
    instance = tmp_path / "instance"
    first = from_env(instance, environ={})
    key_file = instance / "secret_key"
    assert key_file.exists()
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert len(first.secret_key) >= 64 and first.secret_key == key_file.read_text().strip()
    second = from_env(instance, environ={})
    assert second.secret_key == first.secret_key


def test_concurrent_first_starts_agree_on_one_non_empty_key(tmp_path):
    instance = tmp_path / "instance"
    keys: list[str] = []
    barrier = threading.Barrier(8)

    def start() -> None:
        barrier.wait()
        keys.append(from_env(instance, environ={}).secret_key)

    threads = [threading.Thread(target=start) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(keys) == 8
    assert len(set(keys)) == 1 and keys[0]
    assert [p.name for p in instance.iterdir()] == ["secret_key"]


def test_an_empty_secret_key_file_is_refused(tmp_path):
    instance = tmp_path / "instance"
    instance.mkdir()
    (instance / "secret_key").write_text("")
    with pytest.raises(ConfigError, match="secret_key"):
        from_env(instance, environ={})


def test_council_secret_key_wins_and_no_key_file_is_written(tmp_path):
    instance = tmp_path / "instance"
    settings = from_env(instance, environ={"COUNCIL_SECRET_KEY": "from-the-environment"})
    assert settings.secret_key == "from-the-environment"
    assert not (instance / "secret_key").exists()


def test_overrides_take_precedence_over_the_environment(tmp_path):
    settings = from_env(
        tmp_path, environ={"COUNCIL_SECRET_KEY": "env", "COUNCIL_TIMEZONE": "UTC"},
        overrides={"COUNCIL_SECRET_KEY": "override"},
    )
    assert settings.secret_key == "override"
    assert settings.timezone == "UTC"


def test_unknown_time_zone_is_refused(tmp_path):
    with pytest.raises(ConfigError, match=r"COUNCIL_TIMEZONE: unknown time zone 'Mars/Olympus_Mons'"):
        from_env(tmp_path, environ={"COUNCIL_SECRET_KEY": "k", "COUNCIL_TIMEZONE": "Mars/Olympus_Mons"})


@pytest.mark.parametrize("origins", ["*", "https://council.example, *"])
def test_wildcard_allowed_origin_is_refused(tmp_path, origins):
    with pytest.raises(ConfigError, match="COUNCIL_ALLOWED_ORIGINS"):
        from_env(tmp_path, environ={"COUNCIL_SECRET_KEY": "k", "COUNCIL_ALLOWED_ORIGINS": origins})


def test_allowed_origins_are_trimmed_exact_origins(tmp_path):
    settings = from_env(tmp_path, environ={
        "COUNCIL_SECRET_KEY": "k",
        "COUNCIL_ALLOWED_ORIGINS": " https://a.example/ ,https://b.example:8443,, ",
    })
    assert settings.allowed_origins == ("https://a.example", "https://b.example:8443")


def test_unknown_async_mode_is_refused(tmp_path):
    with pytest.raises(ConfigError, match="COUNCIL_ASYNC_MODE"):
        from_env(tmp_path, environ={"COUNCIL_SECRET_KEY": "k", "COUNCIL_ASYNC_MODE": "eventlet"})


def test_defaults_sqlite_under_instance_karachi_time_no_https(tmp_path):
    instance = tmp_path / "instance"
    settings = from_env(instance, environ={"COUNCIL_SECRET_KEY": "k"})
    assert settings.database_url == f"sqlite:///{instance / 'council.db'}"
    assert settings.database_url == default_database_url(instance)
    assert settings.timezone == "Asia/Karachi"
    assert settings.https is False
    assert settings.allowed_origins == ()
    assert settings.redis_url is None


def test_sqlite_connections_use_wal_busy_timeout_and_foreign_keys(app):
    for engine in (database(app).read_engine, database(app).write_engine):
        with engine.connect() as conn:
            assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
            assert conn.execute(text("PRAGMA busy_timeout")).scalar() == SQLITE_BUSY_TIMEOUT_MS
            assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
    assert SQLITE_BUSY_TIMEOUT_MS >= 5000


def test_child_process_environment_drops_flask_run_from_cli():
    from council.config import child_environment

    env = child_environment({"FLASK_RUN_FROM_CLI": "true", "COUNCIL_TIMEZONE": "UTC", "PATH": "/bin"})
    assert env == {"COUNCIL_TIMEZONE": "UTC", "PATH": "/bin"}

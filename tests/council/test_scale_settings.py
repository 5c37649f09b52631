"""Settings of running at scale, and the 503 answer when the database cannot be reached
(in-process; tests/scale/ covers the same against real PostgreSQL processes)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from council import create_app
from council.config import ConfigError, from_env
from council.extensions import database
from tests.conftest import login
from tests.factories import Factory


def test_scale_settings_have_defaults_and_are_checked(tmp_path: Path):
    base = {"COUNCIL_SECRET_KEY": "k"}
    settings = from_env(tmp_path, environ=base)
    assert (settings.redis_prefix, settings.presence_ttl_s, settings.presence_coalesce_s) == ("council", 30.0, 0.25)
    custom = from_env(tmp_path, environ={**base, "COUNCIL_REDIS_PREFIX": "ncert-prod", "COUNCIL_PRESENCE_TTL_S": "12",
                                         "COUNCIL_PRESENCE_COALESCE_S": "0"})
    assert (custom.redis_prefix, custom.presence_ttl_s, custom.presence_coalesce_s) == ("ncert-prod", 12.0, 0.0)
    for name, value in (("COUNCIL_PRESENCE_TTL_S", "soon"), ("COUNCIL_PRESENCE_TTL_S", "0.5"),
                        ("COUNCIL_PRESENCE_COALESCE_S", "9"), ("COUNCIL_PRESENCE_COALESCE_S", "x")):
        with pytest.raises(ConfigError, match=name):
            from_env(tmp_path, environ={**base, name: value})


@pytest.fixture
def breakable(tmp_path: Path, template_db: Path):
    """An app on a SQLite file whose directory can be moved away (every new
    connection then fails) and back."""
    home = tmp_path / "db"
    home.mkdir()
    shutil.copy(template_db, home / "council.db")
    app = create_app({"COUNCIL_DATABASE_URL": f"sqlite:///{home / 'council.db'}", "COUNCIL_SECRET_KEY": "k",
                      "COUNCIL_ASYNC_MODE": "threading", "COUNCIL_PRESENCE_COALESCE_S": "0",
                      "INSTANCE_PATH": str(tmp_path / "instance"), "TESTING": True})

    def cut() -> None:
        database(app).dispose()
        home.rename(tmp_path / "away")

    def restore() -> None:
        (tmp_path / "away").rename(home)

    yield app, cut, restore
    database(app).dispose()


def test_requests_answer_503_while_the_database_is_unreachable_and_recover(breakable):
    app, cut, restore = breakable
    make = Factory(app)
    user = make.user()
    _token, text = make.api_token(user)
    client = app.test_client()
    assert login(client, user.email).status_code == 302
    assert client.get("/rooms/").status_code == 200
    cut()
    try:
        api = client.get("/api/v1/rooms", headers={"Authorization": f"Bearer {text}"})
        assert api.status_code == 503
        assert api.is_json and "database cannot be reached" in api.get_json()["error"]
        assert api.headers["Retry-After"] == "5"
        page = client.get("/rooms/")
        assert page.status_code == 503 and "text/html" in page.content_type
        assert "database cannot be reached" in page.get_data(as_text=True)
    finally:
        restore()
    assert client.get("/rooms/").status_code == 200
    assert client.get("/api/v1/rooms", headers={"Authorization": f"Bearer {text}"}).status_code == 200

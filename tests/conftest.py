"""Shared fixtures: an app on a fresh SQLite database made by the migrations."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from council import create_app
from council.extensions import database
from council.migrate import upgrade
from tests.factories import Factory, totp_code

CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf-token" content="([^"]+)"')


@pytest.fixture(scope="session")
def template_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One database migrated to head; each test gets a copy (fast, and every
    test runs on a schema the migrations made, not on create_all)."""
    path = tmp_path_factory.mktemp("template") / "council.db"
    upgrade(f"sqlite:///{path}")
    return path


def make_app(tmp_path: Path, template_db: Path, **extra: object) -> Flask:
    db_path = tmp_path / "council.db"
    if not db_path.exists():
        shutil.copy(template_db, db_path)
    config = {
        "COUNCIL_DATABASE_URL": f"sqlite:///{db_path}",
        "COUNCIL_SECRET_KEY": "test-secret-key-not-for-production",
        "COUNCIL_ASYNC_MODE": "threading",
        # The test client reads what was emitted right after each call: no coalescing delay.
        "COUNCIL_PRESENCE_COALESCE_S": "0",
        "INSTANCE_PATH": str(tmp_path / "instance"),
        "TESTING": True,
        **extra,
    }
    return create_app(config)


@pytest.fixture
def app(tmp_path: Path, template_db: Path) -> Iterator[Flask]:
    application = make_app(tmp_path, template_db)
    yield application
    database(application).dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def make(app: Flask) -> Factory:
    return Factory(app)


def csrf_from(html: str) -> str:
    match = CSRF_RE.search(html)
    assert match, "no CSRF token in page"
    return match.group(1) or match.group(2)


def login(client: FlaskClient, email: str, password: str = "correct horse battery",  # type: ignore[no-untyped-def]
          code: bool = True, **extra: str):
    """Sign in through the page; for an account with a second factor (the factory's
    admins), also through the code step with a code of the factory's secret
    (``code=False`` stops at the code step)."""
    page = client.get("/login")
    token = csrf_from(page.get_data(as_text=True))
    answer = client.post("/login", data={"email": email, "password": password, "csrf_token": token, **extra})
    if code and answer.status_code == 302 and answer.headers["Location"].endswith("/login/code"):
        return submit_code(client, totp_code(client.application, email))
    return answer


def submit_code(client: FlaskClient, code: str, path: str = "/login/code"):  # type: ignore[no-untyped-def]
    token = csrf_from(client.get(path).get_data(as_text=True))
    return client.post(path, data={"code": code, "csrf_token": token})


def csrf(client: FlaskClient, path: str = "/account") -> str:
    return csrf_from(client.get(path).get_data(as_text=True))


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Groups for `make test`'s two workers (pytest-xdist, --dist loadgroup): a file's tests
    run together in one process (module-level checks, such as the contract fuzzing's
    closing "nothing half-written", see the whole file), and the browser and scale tests —
    real servers, clusters and timing — one after another on one worker, never beside each
    other. Before xdist's own hook, which reads the groups."""
    for item in items:
        path = Path(str(item.fspath))
        heavy = {"browser", "scale"} & set(path.parts)
        item.add_marker(pytest.mark.xdist_group("heavy" if heavy else path.stem))

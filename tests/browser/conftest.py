"""A real server and a real browser.

``live_server`` (session scope) copies the migrated template database, starts
``python -m council.server`` on a free port in gevent mode exactly as an
operator would, waits for /healthz, and stops it at the end. Tests create
the people they need with ``live_server.create_user(...)``, which writes to
the same SQLite file through the services. ``page`` is a fresh Chromium page
(Debian's /usr/bin/chromium driven by Playwright) that records console
errors, page errors and CSP violations in ``page.problems``.
"""

from __future__ import annotations

import itertools
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from council.extensions import database
from tests.conftest import make_app
from tests.factories import PASSWORD, Factory, totp_code

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run",
]
START_TIMEOUT_S = 60  # a loaded CI machine (two test workers) starts a seeded server slowly
SECRET = "browser-tests-secret-key"
_seq = itertools.count(1)

# Collects what the page reports about Content-Security-Policy violations
# (they also show as console errors; this names the blocked directive).
CSP_LISTENER = """
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', (e) => {
  window.__cspViolations.push(e.violatedDirective + ' blocked ' + (e.blockedURI || 'inline'));
});
"""


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if Path(str(item.fspath)).is_relative_to(Path(__file__).parent):
            item.add_marker(pytest.mark.browser)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class LiveServer:
    base_url: str
    app: Flask  # an in-process app on the same database, for seeding
    log: Path
    process: subprocess.Popen[bytes]
    orgs: dict[str, Any] = field(default_factory=dict)

    def url(self, path: str = "/") -> str:
        return self.base_url + path

    def org(self, name: str, tier: str = "sectoral", sector: str | None = None) -> Any:
        if name not in self.orgs:
            self.orgs[name] = Factory(self.app).org(name, tier=tier, sector=sector)
        return self.orgs[name]

    def create_user(self, email: str | None = None, *, name: str | None = None, org: str = "Browser Test CERT",
                    role: str = "member", password: str = PASSWORD) -> Any:
        """A user the server can sign in at once (unique email unless given)."""
        n = next(_seq)
        return Factory(self.app).user(email or f"browser{n}@example.org", org=self.org(org), role=role,
                                      name=name or f"Browser User {n}", password=password)

    def server_log(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""


def _wait_until_healthy(server: LiveServer) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"the server exited with {server.process.returncode}:\n{server.server_log()}")
        try:
            with urllib.request.urlopen(server.url("/healthz"), timeout=1) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.1)  # polling a process we do not control: no event to await
    raise RuntimeError(f"the server did not answer /healthz within {START_TIMEOUT_S:.0f} s:\n{server.server_log()}")


@contextmanager
def serve(base: Path, template_db: Path, prepare: Any = None) -> Iterator[LiveServer]:
    """A server process on a copy of the migrated template database in ``base``;
    ``prepare(app)`` fills the database first (e.g. the demo)."""
    if not CHROMIUM.exists():
        pytest.skip(f"browser tests need Debian's chromium at {CHROMIUM} (apt-get install chromium)")
    shutil.copy(template_db, base / "council.db")
    files = str(base / "files")  # evidence files of the server and the seeding app: one store, in the test's folder
    seed_app = make_app(base, template_db, COUNCIL_SECRET_KEY=SECRET, COUNCIL_FILES_DIR=files)
    if prepare is not None:
        prepare(seed_app)
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("COUNCIL_", "FLASK_"))}
    env.update({
        "COUNCIL_DATABASE_URL": f"sqlite:///{base / 'council.db'}",
        "COUNCIL_SECRET_KEY": SECRET,
        "COUNCIL_ASYNC_MODE": "gevent",
        "COUNCIL_FILES_DIR": files,
        "PYTHONUNBUFFERED": "1",
    })
    log = base / "server.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "council.server", "--host", "127.0.0.1", "--port", str(port)],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
        )
    server = LiveServer(f"http://127.0.0.1:{port}", seed_app, log, process)
    try:
        _wait_until_healthy(server)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        database(seed_app).dispose()


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory, template_db: Path) -> Iterator[LiveServer]:
    with serve(tmp_path_factory.mktemp("live"), template_db) as server:
        yield server


@pytest.fixture(scope="session")
def browser(live_server: LiveServer) -> Iterator[Any]:
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context()
    context.set_default_timeout(10_000)
    context.add_init_script(CSP_LISTENER)
    new_page = context.new_page()
    problems: list[str] = []
    new_page.on("console", lambda msg: problems.append(f"console {msg.type}: {msg.text}")
                if msg.type == "error" else None)
    new_page.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
    new_page.problems = problems
    yield new_page
    context.close()


def csp_violations(page: Any) -> list[str]:
    return list(page.evaluate("window.__cspViolations || []"))


def sign_in(page: Any, live_server: LiveServer, email: str, password: str = PASSWORD) -> None:
    """Sign in through the login form, as a person would."""
    page.goto(live_server.url("/login"))
    page.fill("#email", email)
    page.fill("#password", password)
    with page.expect_navigation():
        page.click("button[type=submit]")
    if page.url.endswith("/login/code"):  # an enrolled person (the factory's admins): the code step
        page.fill("#code", totp_code(live_server.app, email))
        with page.expect_navigation():
            page.click("button[type=submit]")


def open_page(browser: Any, live_server: LiveServer, email: str, path: str | None = None,
              ready: str | None = "[data-conn].conn-live", viewport: dict[str, int] | None = None,
              password: str = PASSWORD, locale: str | None = None) -> Any:
    """A fresh context signed in as ``email`` and at ``path`` (waiting for ``ready``);
    page errors, console errors and dialogs are recorded in ``page.problems``."""
    context = browser.new_context(viewport=viewport or {"width": 1440, "height": 900},
                                  **({"locale": locale} if locale else {}))
    context.set_default_timeout(10_000)
    context.add_init_script(CSP_LISTENER)
    page = context.new_page()
    page.problems = []
    page.on("pageerror", lambda exc: page.problems.append(f"page error: {exc}"))
    page.on("console", lambda msg: page.problems.append(f"console {msg.type}: {msg.text}")
            if msg.type == "error" else None)
    sign_in(page, live_server, email, password)
    if path:
        page.goto(live_server.url(path))
        if ready:
            page.wait_for_selector(ready)
    return page

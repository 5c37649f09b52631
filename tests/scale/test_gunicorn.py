"""The documented gunicorn command serves the platform on PostgreSQL + Redis:
health and readiness, a browser sign-in whose socket receives a posted event,
the scheduler releasing due work in the worker, metrics across the worker's
files, JSON log lines, and a clean stop on SIGTERM."""

from __future__ import annotations

import http.cookiejar
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.scale.conftest import (
    PASSWORD,
    REDIS_URL,
    ROOT,
    SECRET,
    Client,
    Server,
    World,
    free_port,
)
from tests.scale.test_cluster_scheduler import OFFSETS, make_exercise, released, start

pytestmark = pytest.mark.scale
# Flask-Login's strong session protection ties the session to the browser's User-Agent.
BROWSER = "Mozilla/5.0 (gunicorn test)"
CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def gunicorn(tmp_path: Path, pg_url: str, prefix: str) -> Server:
    """``gunicorn -c python:council.gunicorn_conf -b 127.0.0.1:PORT wsgi:app``, as README says."""
    prom = tmp_path / "prom"
    prom.mkdir()
    (prom / "stale_counter_1.db").write_bytes(b"")  # from an earlier run: wiped at start
    env = {k: v for k, v in os.environ.items() if not k.startswith(("COUNCIL_", "FLASK_", "PROMETHEUS_"))}
    env.update({"COUNCIL_DATABASE_URL": pg_url, "COUNCIL_SECRET_KEY": SECRET, "COUNCIL_REDIS_URL": REDIS_URL,
                "COUNCIL_REDIS_PREFIX": prefix, "PROMETHEUS_MULTIPROC_DIR": str(prom), "PYTHONUNBUFFERED": "1"})
    server = Server(free_port(), env, tmp_path / "gunicorn.log")
    with server.log.open("ab") as out:
        server.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "python:council.gunicorn_conf",
             "-b", f"127.0.0.1:{server.port}", "wsgi:app"],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    server.wait_healthy()
    return server


def browser_login(base: str, email: str) -> str:
    """Sign in through the login form as a browser would; the session cookie header."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    opener.addheaders = [("User-Agent", BROWSER)]
    page = opener.open(base + "/login", timeout=10).read().decode()
    match = CSRF_RE.search(page)
    assert match, page[:500]
    form = urllib.parse.urlencode({"email": email, "password": PASSWORD, "csrf_token": match.group(1)})
    answer = opener.open(base + "/login", data=form.encode(), timeout=10)
    assert answer.status == 200 and not answer.url.endswith("/login"), answer.url  # redirected home
    return "; ".join(f"{c.name}={c.value}" for c in jar)


class CookieSocket:
    """A socket.io client signed in by the browser's session cookie (not a token)."""

    def __init__(self, url: str, cookie: str) -> None:
        import socketio

        self.sio = socketio.Client(reconnection=False)
        self.got = threading.Event()
        self.events: list[dict[str, Any]] = []
        self.sio.on("event", self._on_event)
        self.sio.connect(url, headers={"Cookie": cookie, "User-Agent": BROWSER}, transports=["websocket"],
                         wait_timeout=10)

    def _on_event(self, ev: dict[str, Any]) -> None:
        self.events.append(ev)
        self.got.set()


def metric_samples(base: str) -> dict[str, float]:
    with urllib.request.urlopen(base + "/metrics", timeout=10) as answer:
        body = answer.read().decode()
    out: dict[str, float] = {}
    for family in text_string_to_metric_families(body):
        for sample in family.samples:
            key = sample.name + json.dumps(sample.labels, sort_keys=True)
            out[key] = sample.value
    return out


def total(samples: dict[str, float], name: str) -> float:
    return sum(v for k, v in samples.items() if k.startswith(name + "{"))


def test_gunicorn_serves_health_sign_in_sockets_scheduler_and_metrics_then_stops_cleanly(
        tmp_path: Path, pg_url: str, prefix: str, world: World, clients: list[Client]):
    lead = world.person()
    room_id = world.room(lead, title="Gunicorn room")
    ex_id, _ex_room, director = make_exercise(world, speed=60)
    server = gunicorn(tmp_path, pg_url, prefix)
    try:
        assert not (tmp_path / "prom" / "stale_counter_1.db").exists()
        with urllib.request.urlopen(server.url + "/readyz", timeout=10) as answer:
            ready = json.loads(answer.read())
        assert ready == {"status": "ok", "checks": {
            "database": {"ok": True}, "migrations": {"ok": True, "revision": ready["checks"]["migrations"]["revision"]},
            "redis": {"ok": True}}}

        browser = CookieSocket(server.url, browser_login(server.url, lead.email))
        try:
            assert browser.sio.call("join", {"room": room_id}, timeout=10)["ok"] is True
            lead_socket = Client(server.url, lead.token)
            clients.append(lead_socket)
            assert lead_socket.post(room_id, "posted through gunicorn")["ok"] is True
            assert browser.got.wait(10), "the signed-in browser socket received nothing"
            assert browser.events[0]["body"] == "posted through gunicorn"
            live = total(metric_samples(server.url), "council_sockets_live")
            assert live == 2  # the browser's and the lead's: read from the worker's files
        finally:
            browser.sio.disconnect()

        start(world, ex_id, director)  # injects fall due: the worker's scheduler releases them
        deadline = time.monotonic() + 30
        while len(released(world, ex_id)) < len(OFFSETS) and time.monotonic() < deadline:
            time.sleep(0.2)  # the scheduler works on its own clock in another process
        assert len(released(world, ex_id)) == len(OFFSETS)

        samples = metric_samples(server.url)
        assert total(samples, "council_room_post_duration_seconds_count") >= 1
        assert total(samples, "council_socket_events_received_total") >= 2
        assert total(samples, "council_http_requests_total") >= 3
        assert total(samples, "council_mail_outbox_backlog") == 0
    finally:
        for client in clients:
            client.close()
        assert server.process is not None
        server.process.send_signal(signal.SIGTERM)
        code = server.process.wait(timeout=30)
    log = server.output()
    assert code == 0, log[-3000:]
    assert "Shutting down: Master" in log and "Traceback" not in log, log[-3000:]
    lines = [json.loads(line) for line in log.splitlines() if line.startswith("{")]
    assert any(line["logger"] == "council.scheduler" and "scheduler started" in line["message"] for line in lines)
    # One line per request (the master's and the worker's set-up replace, never stack, handlers).
    assert [line["route"] for line in lines if line["logger"] == "council.request"].count("/readyz") == 1
    socket_posts = [line for line in lines if line["logger"] == "council.socket" and line.get("event") == "post"]
    assert {line["user_id"] for line in socket_posts} >= {lead.id}
    assert "posted through gunicorn" not in log and lead.token not in log

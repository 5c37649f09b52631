"""Health and readiness, structured logs without secrets, Prometheus metrics and who may scrape them."""

from __future__ import annotations

import io
import json
import logging
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import text

from council import scheduler
from council.config import ConfigError, from_env
from council.extensions import database
from council.notifications.models import MailOutbox
from council.observability import health, logformat
from tests.conftest import login, make_app
from tests.factories import PASSWORD

ROOT = Path(__file__).resolve().parents[2]
MARKER = "zebra-marker-4f1c9e"


@pytest.fixture
def captured():
    """The JSON log lines the serving process would write, kept in memory."""
    root = logging.getLogger()
    level = root.level
    stream = io.StringIO()
    handler = logformat.configure("json", stream=stream)
    yield stream
    root.removeHandler(handler)
    root.setLevel(level)


def json_lines(stream: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]


def scrape(client, **kwargs) -> dict[str, dict[tuple, float]]:
    """/metrics parsed: sample name -> {sorted label items: value}."""
    response = client.get("/metrics", **kwargs)
    assert response.status_code == 200, response.status_code
    out: dict[str, dict[tuple, float]] = {}
    for family in text_string_to_metric_families(response.get_data(as_text=True)):
        for sample in family.samples:
            out.setdefault(sample.name, {})[tuple(sorted(sample.labels.items()))] = sample.value
    return out


def value(samples: dict, name: str, **labels: str) -> float:
    return samples.get(name, {}).get(tuple(sorted(labels.items())), 0.0)


# --- health and readiness ------------------------------------------------------------------

def test_healthz_and_readyz_answer_without_a_login(client):
    assert client.get("/healthz").get_json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    body = ready.get_json()
    assert body["status"] == "ok"
    assert body["checks"]["database"] == {"ok": True}
    assert body["checks"]["migrations"]["ok"] is True
    assert body["checks"]["migrations"]["revision"] in health.script_heads(client.application)
    assert "redis" not in body["checks"]  # not configured, not checked


def test_readyz_is_503_naming_migrations_behind_head(app, client):
    with database(app).transaction() as s:
        s.execute(text("UPDATE alembic_version SET version_num = '0001'"))
    ready = client.get("/readyz")
    assert ready.status_code == 503
    body = ready.get_json()
    assert body["status"] == "fail"
    assert body["checks"]["database"] == {"ok": True}
    assert body["checks"]["migrations"]["ok"] is False
    assert body["checks"]["migrations"]["revision"] == "0001"


def test_readyz_names_an_unreachable_database_without_its_url_while_healthz_stays_up(tmp_path, template_db):
    url = "postgresql+psycopg://council:hunter2-secret@127.0.0.1:1/council"
    app = make_app(tmp_path, template_db, COUNCIL_DATABASE_URL=url)
    client = app.test_client()
    assert client.get("/healthz").status_code == 200  # the process is up; no database needed
    ready = client.get("/readyz")
    assert ready.status_code == 503
    body = ready.get_data(as_text=True)
    assert "hunter2" not in body and "127.0.0.1" not in body and "council:" not in body
    checks = ready.get_json()["checks"]
    assert checks["database"]["ok"] is False and checks["database"]["error"].startswith("unreachable")
    assert checks["migrations"]["ok"] is False


def test_redis_check_reports_failure_without_the_url():
    app = SimpleNamespace(extensions={"council_settings": SimpleNamespace(
        redis_url="redis://:s3cret-pass@127.0.0.1:1/0")})
    check = health._check_redis(app)  # type: ignore[arg-type]
    assert check["ok"] is False and "s3cret" not in json.dumps(check)


# --- logs ----------------------------------------------------------------------------------

def test_request_ids_are_echoed_when_sane_and_made_otherwise(client):
    kept = client.get("/healthz", headers={"X-Request-Id": "lb-4a7f-0001"})
    assert kept.headers["X-Request-Id"] == "lb-4a7f-0001"
    for bad in ("has spaces in it", "<script>alert(1)</script>", "x" * 300, "short"):
        made = client.get("/healthz", headers={"X-Request-Id": bad}).headers["X-Request-Id"]
        assert made != bad and len(made) == 32
    assert client.get("/healthz").headers["X-Request-Id"] != client.get("/healthz").headers["X-Request-Id"]


def test_logs_are_json_lines_with_who_and_what_and_never_secrets(app, client, make, connect, captured):
    org = make.org("Log CERT")
    user = make.user("logger@example.org", org=org)
    room = make.room(user, tlp="GREEN")
    _row, token = make.api_token(user, "logs")

    assert login(client, user.email, PASSWORD).status_code == 302
    sock = connect(user)
    assert sock.join(room.id)["ok"] is True
    assert sock.post(room.id, body=f"socket {MARKER}")["ok"] is True
    posted = client.post(f"/api/v1/rooms/{room.id}/events", headers={"Authorization": f"Bearer {token}"},
                         json={"kind": "message", "body": f"rest {MARKER}", "client_id": "log-1"})
    assert posted.status_code == 201
    listed = client.get(f"/api/v1/rooms/{room.id}/events?token={token}&q={MARKER}",
                        headers={"Authorization": f"Bearer {token}", "X-Request-Id": "trace-0000-1111"})
    assert listed.status_code == 422  # unknown query names are refused; the line is still written
    assert client.get(f"/rooms/{room.id}").status_code == 200
    assert login(app.test_client(), user.email, f"{PASSWORD}-{MARKER}").status_code == 401  # refused

    out = captured.getvalue()
    assert out
    for secret in (MARKER, PASSWORD, token, token[8:]):
        assert secret not in out
    lines = json_lines(captured)  # every line is one JSON object
    requests = [line for line in lines if line["logger"] == "council.request"]
    for line in requests:
        assert {"time", "level", "request_id", "user_id", "org_id", "route", "method", "status",
                "duration_ms"} <= set(line)
    api = [line for line in requests if line["route"] == "/api/v1/rooms/<int:room_id>/events"]
    assert {(line["method"], line["status"]) for line in api} == {("POST", 201), ("GET", 422)}
    assert [(line["user_id"], line["org_id"]) for line in api] == [(user.id, org.id)] * 2
    assert any(line["request_id"] == "trace-0000-1111" for line in api)
    assert [line["status"] for line in requests if line["route"] == "/login" and line["method"] == "POST"] \
        == [302, 401]
    page = [line for line in requests if line["route"] == "/rooms/<int:room_id>"]
    assert page and page[0]["user_id"] == user.id and page[0]["org_id"] == org.id
    events = {line["event"]: line for line in lines if line["logger"] == "council.socket"}
    assert {"connect", "join", "post"} <= set(events)
    post = events["post"]
    assert post["user_id"] == user.id and post["org_id"] == org.id and post["ok"] is True
    assert post["duration_ms"] >= 0 and len(post["request_id"]) == 32


def test_text_format_is_for_a_terminal(client):
    stream = io.StringIO()
    handler = logformat.configure("text", stream=stream)
    try:
        client.get("/healthz", headers={"X-Request-Id": "term-0000-0001"})
    finally:
        logging.getLogger().removeHandler(handler)
    line = stream.getvalue().strip().splitlines()[-1]
    assert "council.request: GET /healthz 200 [term-0000-0001]" in line


def test_log_format_and_metrics_settings_are_validated(tmp_path):
    instance = tmp_path / "instance"
    base = {"COUNCIL_SECRET_KEY": "k"}
    assert from_env(instance, environ=base).log_format == "json"
    assert from_env(instance, environ={**base, "COUNCIL_LOG_FORMAT": "TEXT"}).log_format == "text"
    bad = [
        ({"COUNCIL_LOG_FORMAT": "xml"}, "COUNCIL_LOG_FORMAT"),
        ({"COUNCIL_METRICS": "public"}, "COUNCIL_METRICS must be"),
        ({"COUNCIL_METRICS": "token"}, "needs COUNCIL_METRICS_TOKEN"),
        ({"COUNCIL_METRICS_TOKEN": "short"}, "at least 16"),
        ({"PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "absent")}, "PROMETHEUS_MULTIPROC_DIR"),
    ]
    for extra, message in bad:
        with pytest.raises(ConfigError, match=message):
            from_env(instance, environ={**base, **extra})
    settings = from_env(instance, environ={**base, "COUNCIL_METRICS_TOKEN": "t" * 20})
    assert "t" * 20 not in repr(settings)


# --- metrics -------------------------------------------------------------------------------

def test_metrics_move_with_requests_posts_sockets_and_jobs(app, client, make, connect):
    user = make.user()
    room = make.room(user, tlp="GREEN")
    with database(app).transaction() as s:
        s.add(MailOutbox(user_id=user.id, status="pending"))
        s.add(MailOutbox(user_id=user.id, status="failed"))
    before = scrape(client)
    client.get("/healthz")
    client.get("/healthz")
    client.get("/no/such/page/123")
    sock = connect(user)
    sock.join(room.id)
    assert sock.post(room.id, body="hello")["ok"] is True
    during = scrape(client)
    scheduler.run_due(app, now=1_000.0)
    scheduler.run_due(app, now=2_000.0)  # every job is due again, ~1000 s late
    after = scrape(client)

    def moved(name: str, samples=after, **labels: str) -> float:
        return value(samples, name, **labels) - value(before, name, **labels)

    assert moved("council_http_requests_total", route="/healthz", method="GET", status="200") == 2
    assert moved("council_http_requests_total", route="<unmatched>", method="GET", status="302") == 1
    assert moved("council_http_request_duration_seconds_count", route="/healthz", method="GET") == 2
    assert moved("council_sockets_live", samples=during) == 1
    assert moved("council_socket_events_received_total", event="post") == 1
    assert moved("council_socket_events_sent_total", event="event") >= 1
    assert moved("council_socket_event_duration_seconds_count", event="join") == 1
    assert moved("council_room_post_duration_seconds_count") == 1
    assert moved("council_groupcommit_batch_size_count") >= 1
    assert moved("council_audit_append_duration_seconds_count") >= 1
    assert moved("council_scheduler_lag_seconds_count", job="decision deadlines") == 1
    assert moved("council_scheduler_lag_seconds_sum", job="decision deadlines") >= 900
    assert value(after, "council_mail_outbox_backlog", status="pending") == 1
    assert value(after, "council_mail_outbox_backlog", status="failed") == 1
    assert value(after, "council_mail_outbox_backlog", status="sending") == 0


def test_metrics_are_404_to_anyone_config_does_not_allow(tmp_path, template_db, client):
    far = {"environ_base": {"REMOTE_ADDR": "203.0.113.9"}}
    assert client.get("/metrics").status_code == 200  # default: this host
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "::1"}).status_code == 200
    assert client.get("/metrics", **far).status_code == 404
    # Through a proxy on this host the app was not told about: the peer is not the client.
    assert client.get("/metrics", headers={"X-Forwarded-For": "203.0.113.9"}).status_code == 404

    secret = "metrics-token-0123456789"
    token_app = make_app(tmp_path, template_db, COUNCIL_METRICS="token", COUNCIL_METRICS_TOKEN=secret)
    c = token_app.test_client()
    assert c.get("/metrics").status_code == 404  # local is not enough in token mode
    assert c.get("/metrics", headers={"Authorization": "Bearer wrong-token-0123456789"}).status_code == 404
    assert c.get("/metrics", headers={"Authorization": f"Bearer {secret}"}, **far).status_code == 200
    database(token_app).dispose()

    (tmp_path / "off").mkdir()
    off = make_app(tmp_path / "off", template_db, COUNCIL_METRICS="off", COUNCIL_METRICS_TOKEN=secret)
    c = off.test_client()
    assert c.get("/metrics").status_code == 404
    assert c.get("/metrics", headers={"Authorization": f"Bearer {secret}"}).status_code == 404
    database(off).dispose()


WRITER = """
import sys
from council.observability import instruments
instruments.HTTP_REQUESTS.labels("/multi", "GET", "200").inc(int(sys.argv[1]))
instruments.SOCKETS_LIVE.inc()
"""


def test_multiprocess_values_of_several_processes_are_summed_at_scrape(tmp_path, template_db, monkeypatch):
    shared = tmp_path / "prom"
    shared.mkdir()
    env = {"PATH": "/usr/bin:/bin", "PROMETHEUS_MULTIPROC_DIR": str(shared)}
    for n in (2, 3):
        subprocess.run([sys.executable, "-c", WRITER, str(n)], cwd=ROOT, env=env, check=True, timeout=60)
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(shared))
    app = make_app(tmp_path, template_db)
    samples = scrape(app.test_client())
    assert value(samples, "council_http_requests_total", route="/multi", method="GET", status="200") == 5
    assert "council_mail_outbox_backlog" in samples  # the scrape-time collector rides along
    database(app).dispose()

"""PostgreSQL goes away under a running process: requests answer 503 with a
clear message (JSON under /api/, a page otherwise, an error ack on sockets),
nothing half-written remains, and service resumes by itself when it returns."""

from __future__ import annotations

import requests
from sqlalchemy import text

from council.audit.services import verify
from tests.scale.conftest import Client, Cluster, World, _admin_exec
from tests.scale.test_cluster_realtime import sign_in


def cut(pg_url: str) -> None:
    name = pg_url.rsplit("/", 1)[1]
    _admin_exec(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
    _admin_exec(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'")


def restore(pg_url: str) -> None:
    _admin_exec(f'ALTER DATABASE "{pg_url.rsplit("/", 1)[1]}" ALLOW_CONNECTIONS true')


def test_database_outage_gives_503_writes_nothing_and_service_resumes(
        cluster: Cluster, world: World, pg_url: str, clients):
    (server,) = cluster.start(1)
    lead = world.person()
    room = world.room(lead)
    api = requests.Session()
    api.headers["Authorization"] = f"Bearer {lead.token}"
    events_url = f"{server.url}/api/v1/rooms/{room}/events"
    web = sign_in(server.url, lead.email)
    listener = Client(server.url, lead.token)
    clients.append(listener)
    assert listener.join(room)["ok"]
    first = api.post(events_url, json={"kind": "message", "body": "before", "client_id": "m1"}, timeout=10)
    assert first.status_code == 201
    seq = first.json()["seq"]

    cut(pg_url)
    try:
        down = api.post(events_url, json={"kind": "message", "body": "during", "client_id": "m2"}, timeout=10)
        assert down.status_code == 503, down.text
        assert down.headers["Content-Type"].startswith("application/json")
        assert "database cannot be reached" in down.json()["error"]
        assert down.headers["Retry-After"] == "5"
        page = web.get(f"{server.url}/rooms/{room}", timeout=10)
        assert page.status_code == 503
        assert "text/html" in page.headers["Content-Type"] and "database cannot be reached" in page.text
        ack = listener.post(room, "during, by socket", client_id="s1")
        assert ack["ok"] is False and "database cannot be reached" in ack["error"]
        assert not listener.disconnected.is_set()
    finally:
        restore(pg_url)

    again = api.post(events_url, json={"kind": "message", "body": "after", "client_id": "m3"}, timeout=10)
    assert again.status_code == 201, again.text
    assert again.json()["seq"] == seq + 1  # nothing half-written took a seq
    assert web.get(f"{server.url}/rooms/{room}", timeout=10).status_code == 200
    ack = listener.post(room, "after, by socket", client_id="s2")
    assert ack["ok"] and ack["seq"] == seq + 2
    assert listener.wait_for(lambda c: {seq + 1, seq + 2} <= set(c.seqs(room)))
    with world.session() as s:
        bodies = s.execute(text("SELECT body FROM room_events WHERE room_id = :r AND kind = 'message' ORDER BY seq"),
                           {"r": room}).scalars().all()
        assert bodies == ["before", "after", "after, by socket"]
        assert verify(s).ok

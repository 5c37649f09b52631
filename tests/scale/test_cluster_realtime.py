"""Two app processes on one PostgreSQL database and one Redis: events,
seqs, the audit chain, presence and revocations cross process boundaries."""

from __future__ import annotations

import re
import threading

import requests
from sqlalchemy import text

from council.audit.services import verify
from tests.scale.conftest import PASSWORD, Client, Cluster, World

CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf-token" content="([^"]+)"')


def _csrf(html: str) -> str:
    match = CSRF.search(html)
    assert match, "no CSRF token"
    return match.group(1) or match.group(2)


def sign_in(base: str, email: str) -> requests.Session:
    web = requests.Session()
    token = _csrf(web.get(base + "/login", timeout=10).text)
    answer = web.post(base + "/login", data={"email": email, "password": PASSWORD, "csrf_token": token},
                      timeout=10, allow_redirects=False)
    assert answer.status_code == 302, answer.text[:500]
    return web


def test_a_client_on_process_a_receives_an_event_posted_on_process_b(cluster: Cluster, world: World, clients):
    a, b = cluster.start(2)
    lead = world.person()
    room = world.room(lead)
    listener = Client(a.url, lead.token)
    clients.append(listener)
    assert listener.join(room)["ok"]
    # Posted through REST on B: a different process, a different socket server.
    answer = requests.post(f"{b.url}/api/v1/rooms/{room}/events", timeout=10,
                           headers={"Authorization": f"Bearer {lead.token}"},
                           json={"kind": "message", "body": "from **B**", "client_id": "b-1"})
    assert answer.status_code == 201, answer.text
    seq = answer.json()["seq"]
    assert listener.wait_for(lambda c: seq in c.seqs(room)), cluster.logs()
    event = next(e for e in listener.events if e["seq"] == seq)
    assert event["body"] == "from **B**" and "<strong>B</strong>" in event["body_html"]


def test_concurrent_posts_from_both_processes_get_unique_gapless_seqs_and_a_linear_audit_chain(
        cluster: Cluster, world: World, clients):
    a, b = cluster.start(2)
    lead = world.person()
    room = world.room(lead)
    people = [world.person() for _ in range(6)]
    posters = [Client((a, b)[i % 2].url, p.token) for i, p in enumerate(people)]
    clients.extend(posters)
    with world.session() as s:
        start_seq = s.execute(text("SELECT last_seq FROM rooms WHERE id=:r"),
                              {"r": room}).scalar_one()
    for c in posters:
        assert c.join(room)["ok"]
    per_client = 25
    acks: list[list[dict]] = [[] for _ in posters]

    def run(i: int) -> None:
        for n in range(per_client):
            acks[i].append(posters[i].post(room, f"client {i} message {n}", client_id=f"c{i}-{n}"))

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(posters))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    flat = [ack for group in acks for ack in group]
    assert all(ack["ok"] for ack in flat), [a for a in flat if not a["ok"]][:3]
    total = per_client * len(posters)
    seqs = sorted(ack["seq"] for ack in flat)
    assert seqs == list(range(start_seq + 1, start_seq + total + 1))  # unique and gapless
    # Every client, on either process, received every event exactly once.
    expected = set(seqs)
    for c in posters:
        assert c.wait_for(lambda c: expected <= set(c.seqs(room)), timeout=20), cluster.logs()
        got = [s for s in c.seqs(room) if s in expected]
        assert len(got) == len(set(got)) == total
    # The audit record: one row per event, one unbroken chain.
    with world.session() as s:
        result = verify(s)
        rows = s.execute(text("SELECT count(*) FROM audit_log WHERE room_id=:r AND action='room.event.message'"),
                         {"r": room}).scalar_one()
    assert result.ok, result
    assert rows == total


def test_presence_spans_processes_and_drops_a_killed_process_s_sockets(cluster: Cluster, world: World, clients):
    a, b = cluster.start(2)
    x, y = world.person(), world.person()
    room = world.room(x)
    cx, cy = Client(a.url, x.token), Client(b.url, y.token)
    clients.extend([cx, cy])
    assert cx.join(room)["ok"]
    assert cy.join(room)["ok"]

    def members(c: Client) -> set[int]:
        return {m["id"] for m in c.presence[-1]["members"]} if c.presence else set()

    assert cx.wait_for(lambda c: members(c) == {x.id, y.id}), cx.presence
    assert cy.wait_for(lambda c: members(c) == {x.id, y.id}), cy.presence
    cx.sio.disconnect()  # a clean leave is seen at once on the other process
    assert cy.wait_for(lambda c: members(c) == {y.id}), cy.presence
    cx.connect(a.url)
    assert cx.join(room)["ok"]
    assert cy.wait_for(lambda c: members(c) == {x.id, y.id}), cy.presence
    # Process A dies without a word: its sockets leave presence once its heartbeat expires (3 s here).
    a.kill9()
    assert cy.wait_for(lambda c: members(c) == {y.id}, timeout=15), (cy.presence[-1:], cluster.logs())


def test_revocations_on_one_process_disconnect_sockets_on_the_other(cluster: Cluster, world: World, clients):
    a, b = cluster.start(2)
    x, y = world.person(), world.person()
    room = world.room(x)
    by_token = Client(a.url, x.token)
    bystander = Client(a.url, y.token)
    clients.extend([by_token, bystander])
    assert by_token.join(room)["ok"] and bystander.join(room)["ok"]
    # x revokes the token on process B (account page): the socket on A using it goes.
    web = sign_in(b.url, x.email)
    csrf = _csrf(web.get(b.url + "/account", timeout=10).text)
    answer = web.post(f"{b.url}/account/tokens/{x.token_id}/revoke", data={"csrf_token": csrf}, timeout=10)
    assert answer.status_code == 200
    assert by_token.disconnected.wait(10), cluster.logs()
    assert not bystander.disconnected.is_set()
    # y signs out everywhere (logout on B ends every session of theirs): y's socket on A goes too.
    web_y = sign_in(b.url, y.email)
    csrf = _csrf(web_y.get(b.url + "/account", timeout=10).text)
    assert web_y.post(b.url + "/logout", data={"csrf_token": csrf}, timeout=10).status_code in (200, 302)
    assert bystander.disconnected.wait(10), cluster.logs()

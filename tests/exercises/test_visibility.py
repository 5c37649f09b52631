"""Controller-only fields (expected action, notes, controller) never reach players or
observers: not over REST, not over Socket.IO, not in the room page's HTML. An inject for
one team is a stub for everyone else outside the staff."""

from __future__ import annotations

import json

import pytest

from council.extensions import socketio
from tests.conftest import login
from tests.exercises.helpers import (
    BANK,
    CONTROLLER_A,
    EXPECTED_A,
    EXPECTED_ALL,
    NOTES_A,
    NOTES_ALL,
    token_of,
)

MARKERS = (EXPECTED_A, NOTES_A, CONTROLLER_A, EXPECTED_ALL, NOTES_ALL)
HIDDEN_KEYS = ("expected_action", "notes", "controller")


def release(api, people, run, *msel_ids):
    """STARTEX and release the given injects as the controller, over REST; their seqs."""
    started = api.post(people.controller, f"/exercises/{run.id}/start")
    assert started.status_code == 200, started.get_json()
    seqs = {}
    for msel_id in msel_ids:
        response = api.post(people.controller, f"/exercises/{run.id}/injects/{msel_id}/release")
        assert response.status_code == 200, response.get_json()
        seqs[msel_id] = response.get_json()["released_seq"]
    return seqs


def events_as(api, user, run):
    response = api.get(user, f"/rooms/{run.room_id}/events", since=0, limit=500)
    assert response.status_code == 200, response.get_json()
    return {e["seq"]: e for e in response.get_json()["events"]}


def assert_no_markers(payload):
    dumped = json.dumps(payload, ensure_ascii=False)
    leaked = [m for m in MARKERS if m in dumped]
    assert leaked == [], f"controller-only text reached a player or observer: {leaked}"


# --- REST ---------------------------------------------------------------------------------

def test_rest_events_show_each_viewer_only_their_form(api, people, run):
    seqs = release(api, people, run, "1", "2")
    team_only, for_all = seqs["2"], seqs["1"]

    a = events_as(api, people.player_a, run)
    assert (a[team_only]["kind"], a[team_only]["msel_id"], a[team_only]["title"], a[team_only]["to"]) == (
        "inject", "2", "Bank: customers cannot pay", BANK)
    assert a[team_only]["body"] == "Message of inject 2" and a[team_only]["exercise"] is True
    assert a[team_only]["partial"] is True
    assert [k for k in HIDDEN_KEYS if k in a[team_only]] == []
    assert_no_markers(list(a.values()))

    b = events_as(api, people.player_b, run)
    assert b[team_only]["kind"] == "restricted" and b[team_only]["seq"] == team_only
    assert "title" not in b[team_only] and "msel_id" not in b[team_only] and b[team_only]["body"] == ""
    assert_no_markers(list(b.values()))

    observer = events_as(api, people.observer, run)
    assert (observer[team_only]["kind"], observer[team_only]["author"], observer[team_only]["partial"]) == (
        "restricted", None, True)
    assert_no_markers(list(observer.values()))

    for staff in (people.controller, people.director, people.evaluator):
        full = events_as(api, staff, run)
        assert (full[team_only]["expected_action"], full[team_only]["notes"], full[team_only]["controller"]) == (
            EXPECTED_A, NOTES_A, CONTROLLER_A)
        assert "partial" not in full[team_only]
        assert (full[for_all]["expected_action"], full[for_all]["notes"]) == (EXPECTED_ALL, NOTES_ALL)

    # The inject "to all": players and the observer see it, redacted.
    for viewer in (a, b, observer):
        shown = viewer[for_all]
        assert (shown["kind"], shown["title"], shown["partial"]) == ("inject", "Ransom note on the payment switch",
                                                                     True)
        assert [k for k in HIDDEN_KEYS if k in shown] == []
    # Every event of the exercise room says so, whatever its form.
    assert all(e["exercise"] is True for viewer in (a, b, observer) for e in viewer.values())


def test_the_exercise_itself_over_rest_has_no_msel_for_players_and_observers(api, people, run):
    release(api, people, run, "1")
    for who in (people.player_a, people.observer):
        response = api.get(who, f"/exercises/{run.id}")
        assert response.status_code == 200
        assert "injects" not in response.get_json() and response.get_json()["exercise"] is True
        assert_no_markers(response.get_json())
    staff = api.get(people.evaluator, f"/exercises/{run.id}").get_json()
    assert {i["msel_id"]: i["expected_action"] for i in staff["injects"]}["2"] == EXPECTED_A
    assert api.get(people.outsider, f"/exercises/{run.id}").status_code == 404
    assert api.get(people.outsider, f"/rooms/{run.room_id}/events").status_code == 404


def test_a_posted_ack_returns_only_what_the_player_may_see(api, people, run):
    seqs = release(api, people, run, "2")
    posted = api.post(people.player_a, f"/rooms/{run.room_id}/events", json={"kind": "ack", "inject_seq": seqs["2"]})
    assert posted.status_code == 201, posted.get_json()
    assert (posted.get_json()["kind"], posted.get_json()["msel_id"]) == ("ack", "2")
    assert_no_markers(posted.get_json())
    # Team B sees that something happened at that seq, not what.
    assert events_as(api, people.player_b, run)[posted.get_json()["seq"]]["kind"] == "restricted"


# --- Socket.IO --------------------------------------------------------------------------------

@pytest.fixture
def joined(app, make, run):
    """joined(user) -> a Socket.IO test client signed in by token and joined to the exercise room."""
    opened = []

    def _join(user):
        sock = socketio(app).test_client(app, auth={"token": token_of(make, user)})
        assert sock.is_connected()
        opened.append(sock)
        ack = sock.emit("join", {"room": run.room_id}, callback=True)
        assert ack["ok"] is True, ack
        if user.email.startswith(("player", "observer")):
            assert_no_markers(ack)
        sock.get_received()  # presence
        return sock

    yield _join
    for sock in opened:
        if sock.is_connected():
            sock.disconnect()


def received_events(sock):
    return [m["args"][0] for m in sock.get_received() if m["name"] == "event"]


def test_socket_broadcasts_follow_the_same_rule(api, people, run, joined):
    socks = {name: joined(getattr(people, name))
             for name in ("player_a", "player_b", "observer", "controller", "evaluator")}
    seqs = release(api, people, run, "1", "2")
    got = {name: received_events(sock) for name, sock in socks.items()}

    for name in ("player_a", "player_b", "observer"):
        assert got[name], f"{name} received nothing"
        assert_no_markers(got[name])
    for name in ("controller", "evaluator"):
        dumped = json.dumps(got[name])
        assert all(marker in dumped for marker in (EXPECTED_A, NOTES_A, CONTROLLER_A, EXPECTED_ALL, NOTES_ALL))

    def forms(name, seq):
        return {(e["kind"], bool(e.get("partial"))) for e in got[name] if e["seq"] == seq}

    # Team A gets the inject (redacted) and the room's stub; team B and the observer only the stub.
    assert forms("player_a", seqs["2"]) == {("inject", True), ("restricted", True)}
    assert forms("player_b", seqs["2"]) == {("restricted", True)}
    assert forms("observer", seqs["2"]) == {("restricted", True)}
    assert ("inject", False) in forms("controller", seqs["2"])
    # "To all": everyone in the room gets the redacted form; staff the full one as well.
    for name in ("player_a", "player_b", "observer"):
        assert forms(name, seqs["1"]) == {("inject", True)}
    assert forms("controller", seqs["1"]) == {("inject", True), ("inject", False)}
    # Every event of an exercise room is marked as such.
    assert all(e["exercise"] is True for events in got.values() for e in events)


def test_socket_join_history_follows_the_same_rule(api, people, run, joined):
    seqs = release(api, people, run, "1", "2")
    for name in ("player_a", "player_b", "observer", "controller"):
        sock = socketio(api.client.application).test_client(
            api.client.application, auth={"token": token_of(api.make, getattr(people, name))})
        try:
            ack = sock.emit("join", {"room": run.room_id, "since": 0}, callback=True)
            assert ack["ok"] is True
            by_seq = {e["seq"]: e for e in ack["events"]}
            if name == "controller":
                assert by_seq[seqs["2"]]["expected_action"] == EXPECTED_A
            else:
                assert_no_markers(ack)
                assert by_seq[seqs["2"]]["kind"] == ("inject" if name == "player_a" else "restricted")
        finally:
            sock.disconnect()


# --- the room page --------------------------------------------------------------------------------

def page_as(app, user, run):
    client = app.test_client()
    signed_in = login(client, user.email)
    assert signed_in.status_code == 302
    response = client.get(f"/rooms/{run.room_id}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_room_page_html_hides_controller_text_from_players_and_observers(app, api, people, run):
    seqs = release(api, people, run, "1", "2")
    api.post(people.player_a, f"/rooms/{run.room_id}/events", json={"kind": "ack", "inject_seq": seqs["2"]})
    for who in (people.player_a, people.player_b, people.observer):
        html = page_as(app, who, run)
        assert "room-boot" in html and "EXERCISE EXERCISE EXERCISE" in html
        leaked = [m for m in MARKERS if m in html]
        assert leaked == [], f"{who.email} page leaks {leaked}"
    player_a_page = page_as(app, people.player_a, run)
    assert "Bank: customers cannot pay" in player_a_page  # the inject itself is there
    assert "Bank: customers cannot pay" not in page_as(app, people.player_b, run)
    controller_page = page_as(app, people.controller, run)
    assert all(m in controller_page for m in MARKERS)


def test_room_page_before_any_release_shows_the_msel_to_staff_only(app, people, run):
    assert EXPECTED_A in page_as(app, people.controller, run)
    assert EXPECTED_A in page_as(app, people.evaluator, run)
    for who in (people.player_a, people.observer):
        html = page_as(app, who, run)
        assert [m for m in MARKERS if m in html] == []
        assert "Bank: customers cannot pay" not in html  # not released: not even the title


def test_non_participants_get_404_for_the_exercise_room_page(app, people, run):
    client = app.test_client()
    login(client, people.outsider.email)
    assert client.get(f"/rooms/{run.room_id}").status_code == 404
    assert client.get(f"/exercises/{run.id}").status_code == 404

"""Exercise runs through the services: creation, roles, the schedule, release exactly once,
hold/edit/ad hoc, a restart on the same database, acknowledgements, responses, observations."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import select

from council.actors import SYSTEM
from council.auth.services import set_active
from council.db import utcnow
from council.decisions import services as decisions
from council.errors import Conflict, Forbidden, Invalid, NotFound
from council.extensions import database
from council.rooms import stream
from council.rooms.models import Room
from council.rooms.services import create_room, list_rooms
from council.rooms.visibility import load_visible
from exercises.models import Exercise, ExerciseInject, Observation, Participant, TeamResponse
from exercises.runs import figures
from exercises.runs import services as runs
from exercises.scenarios import services as scenarios
from exercises.setup import room_boot
from tests.conftest import make_app
from tests.exercises.helpers import (
    BANK,
    TELCO,
    count,
    inject,
    inject_events,
    make_run,
    make_scenario,
    read,
    released_counts,
)


def injects_of(app, ex):
    def _read(session):
        rows = session.scalars(select(ExerciseInject).where(ExerciseInject.exercise_id == ex.id))
        return {i.msel_id: i for i in rows}
    return read(app, _read)


def start(make, people, ex, now):
    return make.run(runs.clock_op, actor=people.director, exercise_id=ex.id, op="start", now=now)


def due(make, now):
    return make.run(runs.release_due, now=now)


# --- creation -------------------------------------------------------------------------

def test_a_run_copies_the_scenario_and_names_everyone_in_its_room(app, make, people, scenario, run):
    assert (run.state, run.speed, run.scenario_version) == ("planned", 60.0, 1)
    roles = read(app, lambda s: {p.user_id: (p.role, p.team_id) for p in s.get(Exercise, run.id).people})
    teams = read(app, lambda s: {t.name: t.id for t in s.get(Exercise, run.id).teams})
    assert set(teams) == {BANK, TELCO}
    assert roles == {
        people.director.id: ("director", None), people.controller.id: ("controller", None),
        people.evaluator.id: ("evaluator", None), people.observer.id: ("observer", None),
        people.player_a.id: ("player", teams[BANK]), people.player_b.id: ("player", teams[TELCO]),
    }
    room = read(app, lambda s: s.get(Room, run.room_id))
    assert room.kind == "exercise" and room.title == "Cohort A drill"
    members = read(app, lambda s: {m.user_id: m.role for m in s.get(Room, run.room_id).members})
    assert members == {people.director.id: "lead", people.controller.id: "member", people.evaluator.id: "observer",
                       people.observer.id: "observer", people.player_a.id: "member", people.player_b.id: "member"}
    copied = injects_of(app, run)
    assert {k: (i.status, json.loads(i.team_ids)) for k, i in copied.items()} == {
        "1": ("pending", [teams[BANK], teams[TELCO]]), "2": ("pending", [teams[BANK]]),
        "3": ("pending", [teams[BANK], teams[TELCO]]), "4": ("pending", [teams[TELCO]])}


def create(make, people, scenario, **changes):
    options = {"scenario_id": scenario.id, "title": "Drill", "org_ids": [people.bank.id, people.telco.id],
               "controllers": [people.controller.email], "speed": 1}
    options.update(changes)
    return make.run(runs.create_exercise, actor=people.director, **options)


@pytest.mark.parametrize(("changes", "field"), [
    ({"scenario_id": 9999}, "scenario_id"),
    ({"scenario_id": "1"}, "scenario_id"),
    ({"speed": 0}, "speed"),
    ({"speed": 61}, "speed"),
    ({"speed": True}, "speed"),
    ({"title": "  "}, "title"),
    ({"org_ids": []}, "orgs"),
    ({"org_ids": [9999]}, "orgs"),
    ({"tlp": "PINK"}, "tlp"),
    ({"controllers": ["nobody@example.org"]}, "controllers"),
    ({"players": ["player.a@bank.example"]}, "players"),
])
def test_create_exercise_refuses_bad_input_and_creates_nothing(app, make, people, scenario, changes, field):
    rooms_before = count(app, Room)
    with pytest.raises(Invalid) as caught:
        create(make, people, scenario, **changes)
    assert field in caught.value.fields
    assert count(app, Exercise) == 0 and count(app, Room) == rooms_before


def test_speed_1_and_60_are_the_bounds(make, people, scenario):
    assert create(make, people, scenario, speed=1).speed == 1.0
    assert create(make, people, scenario, speed=60, controllers=[]).speed == 60.0


@pytest.mark.parametrize("changes", [
    {"controllers": ["controller@bank.example"], "evaluators": ["controller@bank.example"]},
    {"controllers": ["director@bank.example"]},
    {"players": {BANK: ["player.a@bank.example"], TELCO: ["player.a@bank.example"]}},
    {"observers": ["controller@bank.example"]},
])
def test_a_person_with_two_roles_is_refused(app, make, people, scenario, changes):
    with pytest.raises(Invalid) as caught:
        create(make, people, scenario, **changes)
    assert "has two roles" in caught.value.fields["people"]
    assert count(app, Exercise) == 0


def test_an_msel_addressing_an_unknown_name_is_refused_naming_it(app, make, people):
    scenario = make_scenario(make, people.director, rows=(
        inject("1", "T+00:00", to=BANK), inject("2", "T+00:05", to=f"{TELCO};Water Board ISAC"),
        inject("3", "T+00:10", to="Ministry of Finance")))
    rooms_before = count(app, Room)
    with pytest.raises(Invalid) as caught:
        make_run(make, people, scenario)
    message = caught.value.fields["teams"]
    assert "neither a team nor a participating organisation" in message
    assert "ministry of finance" in message.lower() and "water board isac" in message.lower()
    assert count(app, Exercise) == 0 and count(app, ExerciseInject) == 0 and count(app, Room) == rooms_before


def test_to_may_name_a_participating_organisation_when_teams_are_the_orgs(app, make, people):
    scenario = make_scenario(make, people.director, rows=(inject("1", "T+00:00", to=TELCO.upper()),))
    ex = create(make, people, scenario)  # no players: one team per organisation
    teams = read(app, lambda s: {t.name: t.id for t in s.get(Exercise, ex.id).teams})
    assert json.loads(injects_of(app, ex)["1"].team_ids) == [teams[TELCO]]


def roles_of(app, ex):
    """{email: (role, team name or None)} of everyone in a run."""
    def _read(session):
        run = session.get(Exercise, ex.id)
        teams = {t.id: t.name for t in run.teams}
        return {p.user.email: (p.role, teams.get(p.team_id)) for p in run.people}
    return read(app, _read)


def test_without_named_players_each_organisation_is_a_team_of_its_active_members(app, make, people, scenario):
    gone = make.user("gone@bank.example", org=people.bank, name="Gone Bank")
    make.run(set_active, actor=SYSTEM, user_id=gone.id, active=False)
    ex = create(make, people, scenario, players={}, evaluators=[people.evaluator.email],
                observers=[people.observer.email])
    assert roles_of(app, ex) == {
        people.director.email: ("director", None), people.controller.email: ("controller", None),
        people.evaluator.email: ("evaluator", None), people.observer.email: ("observer", None),
        people.player_a.email: ("player", BANK), people.outsider.email: ("player", BANK),
        people.player_b.email: ("player", TELCO)}
    members = read(app, lambda s: {m.user_id: m.role for m in s.get(Room, ex.room_id).members})
    assert members[people.outsider.id] == members[people.player_b.id] == "member"
    assert gone.id not in members


def test_a_team_without_players_is_refused_naming_it_and_nothing_is_written(app, make, people, scenario):
    rooms_before = count(app, Room)
    with pytest.raises(Invalid) as per_org:  # every Telecom CERT member has another role
        create(make, people, scenario, controllers=[people.player_b.email], evaluators=[people.evaluator.email],
               observers=[people.observer.email])
    assert per_org.value.fields == {
        "players": f"Team '{TELCO}' has no players: name some, or leave that organisation out."}
    with pytest.raises(Invalid) as named:
        create(make, people, scenario, players={BANK: [people.player_a.email], "Red Team": []})
    assert named.value.fields == {"players": "Team 'Red Team' has no players: name some, or leave that team out."}
    assert count(app, Exercise) == 0 and count(app, Participant) == 0 and count(app, Room) == rooms_before


def test_the_plan_proposes_the_teams_creation_makes_and_writes_nothing(app, make, people, scenario):
    options = {"scenario_id": scenario.id, "title": "Drill", "org_ids": [people.telco.id, people.bank.id],
               "controllers": [people.controller.email], "evaluators": [people.evaluator.email]}
    plan = make.run(lambda s: runs.plan_exercise(s, actor=s.merge(people.director), **options))
    assert [(t.name, [u.email for u in t.players]) for t in plan.teams] == [
        (TELCO, [people.observer.email, people.player_b.email]),
        (BANK, [people.outsider.email, people.player_a.email])]
    assert count(app, Exercise) == 0 and count(app, Room) == 0
    ex = make.run(runs.create_exercise, actor=people.director, **options)
    assert read(app, lambda s: [t.name for t in s.get(Exercise, ex.id).teams]) == [TELCO, BANK]
    assert make.run(lambda s: runs.plan_exercise(s, actor=s.merge(people.director), **options).teams_key) \
        == plan.teams_key


def test_the_run_is_a_snapshot_of_the_scenario(app, make, people, scenario, run):
    before = {k: (i.title, i.message, i.offset_s, i.expected_action) for k, i in injects_of(app, run).items()}
    first = next(i for i in scenario.injects if i.msel_id == "1")
    make.run(scenarios.save_inject, actor=people.director, scenario_id=scenario.id, inject_id=first.id,
             row=inject("1", "T+00:45", "Changed title", to="all", expected_action="changed"))
    make.run(scenarios.save_inject, actor=people.director, scenario_id=scenario.id,
             row=inject("9", "T+00:50", "Added later"))
    fourth = next(i for i in scenario.injects if i.msel_id == "4")
    make.run(scenarios.delete_inject, actor=people.director, scenario_id=scenario.id, inject_id=fourth.id)
    edited = read(app, lambda s: {i.msel_id: i.title for i in scenarios.get_scenario(s, scenario.id).injects})
    assert edited == {"1": "Changed title", "2": "Bank: customers cannot pay", "3": "Journalist calls",
                      "9": "Added later"}
    after = {k: (i.title, i.message, i.offset_s, i.expected_action) for k, i in injects_of(app, run).items()}
    assert after == before and set(after) == {"1", "2", "3", "4"}


# --- roles ---------------------------------------------------------------------------------

def test_players_can_neither_drive_the_clock_nor_release(app, make, people, run):
    for op in ("start", "stop"):
        with pytest.raises(Forbidden):
            make.run(runs.clock_op, actor=people.player_a, exercise_id=run.id, op=op)
    start(make, people, run, utcnow())
    for fn, kwargs in ((runs.clock_op, {"op": "pause"}), (runs.release_now, {"msel_id": "3"}),
                       (runs.set_held, {"msel_id": "3", "held": True}),
                       (runs.edit_inject, {"msel_id": "3", "fields": {"title": "x"}}),
                       (runs.adhoc_inject, {"fields": {"title": "x"}})):
        with pytest.raises(Forbidden):
            make.run(fn, actor=people.player_a, exercise_id=run.id, **kwargs)
    with pytest.raises(Forbidden):  # nor through the room stream
        make.run(stream.post, actor=people.player_a, room_id=run.room_id, kind="inject", payload={"title": "x"})
    assert injects_of(app, run)["3"].status == "pending"
    assert read(app, lambda s: s.get(Exercise, run.id).state) == "running"


def test_evaluators_cannot_start_and_only_the_director_stops(app, make, people, run):
    with pytest.raises(Forbidden):
        make.run(runs.clock_op, actor=people.evaluator, exercise_id=run.id, op="start")
    with pytest.raises(Forbidden):
        make.run(runs.release_now, actor=people.evaluator, exercise_id=run.id, msel_id="3")
    assert make.run(runs.clock_op, actor=people.controller, exercise_id=run.id, op="start").state == "running"
    assert make.run(runs.clock_op, actor=people.controller, exercise_id=run.id, op="pause").state == "paused"
    for who in (people.controller, people.evaluator, people.player_b, people.observer):
        with pytest.raises(Forbidden, match="director"):
            make.run(runs.clock_op, actor=who, exercise_id=run.id, op="stop", reason="fire alarm")
    stopped = make.run(runs.clock_op, actor=people.director, exercise_id=run.id, op="stop", reason="Fire alarm")
    assert (stopped.state, stopped.stop_reason) == ("stopped", "Fire alarm")
    with pytest.raises(Conflict):
        make.run(runs.clock_op, actor=people.director, exercise_id=run.id, op="resume")


def test_non_participants_get_not_found(make, people, run):
    start(make, people, run, utcnow())
    for fn, kwargs in ((runs.clock_op, {"op": "pause"}), (runs.release_now, {"msel_id": "3"}),
                       (runs.set_held, {"msel_id": "3", "held": True}),
                       (runs.adhoc_inject, {"fields": {"title": "x"}})):
        with pytest.raises(NotFound):
            make.run(fn, actor=people.outsider, exercise_id=run.id, **kwargs)
    with pytest.raises(NotFound):
        make.run(runs.load_exercise, actor=people.outsider, exercise_id=run.id)
    with pytest.raises(NotFound):
        make.run(runs.clock_op, actor=people.director, exercise_id=run.id + 100, op="pause")


def test_clock_events_record_each_change(app, make, people, run):
    t0 = utcnow()
    start(make, people, run, t0)
    make.run(runs.clock_op, actor=people.controller, exercise_id=run.id, op="pause", now=t0 + timedelta(seconds=3))
    make.run(runs.clock_op, actor=people.controller, exercise_id=run.id, op="resume", now=t0 + timedelta(seconds=9))
    make.run(runs.clock_op, actor=people.controller, exercise_id=run.id, op="end", now=t0 + timedelta(seconds=10))

    def clocks(session):
        events, _ = stream.list_events(session, session.get(Room, run.room_id), since=0, limit=500)
        return [(json.loads(e.data)["op"], json.loads(e.data)["state"], json.loads(e.data)["t_plus_s"])
                for e in events if e.kind == "clock"]
    assert read(app, clocks) == [("start", "running", 0.0), ("pause", "paused", 180.0),
                                 ("resume", "running", 180.0), ("end", "ended", 240.0)]


# --- the schedule ------------------------------------------------------------------------------

def test_release_due_follows_t_plus_and_releases_once(app, make, people, run):
    t0 = utcnow()
    assert due(make, t0 + timedelta(hours=1)) == []  # planned: nothing runs yet
    start(make, people, run, t0)
    assert due(make, t0) == [(run.id, "1")]
    assert due(make, t0) == []
    assert due(make, t0 + timedelta(seconds=9.9)) == []  # T+00:09:54 < T+00:10
    assert due(make, t0 + timedelta(seconds=10)) == [(run.id, "2")]
    for _ in range(3):
        assert due(make, t0 + timedelta(seconds=10)) == []
    # Much later: "4" is due; "3" is manual and waits for a controller.
    assert due(make, t0 + timedelta(hours=2)) == [(run.id, "4")]
    assert due(make, t0 + timedelta(hours=3)) == []
    state = injects_of(app, run)
    assert {k: i.status for k, i in state.items()} == {"1": "released", "2": "released", "3": "pending",
                                                       "4": "released"}
    assert state["2"].released_t_s == pytest.approx(600.0) and state["2"].released_by_id is None
    assert released_counts(app, run.room_id) == {"1": 1, "2": 1, "4": 1}
    events = {e["msel_id"]: e for e in inject_events(app, run.room_id)}
    assert events["2"]["title"] == "Bank: customers cannot pay" and events["2"]["seq"] == state["2"].released_seq
    assert events["2"]["body"] == "Message of inject 2"


def test_an_inject_waits_for_its_dependency(app, make, people):
    scenario = make_scenario(make, people.director, rows=(
        inject("M", "T+00:00", "Manual first", release="manual"),
        inject("B", "T+00:00", "After the manual one", depends_on="M"),
        inject("C", "T+00:05", "After B", depends_on="B")))
    ex = make_run(make, people, scenario)
    t0 = utcnow()
    start(make, people, ex, t0)
    assert due(make, t0 + timedelta(hours=5)) == []
    make.run(runs.release_now, actor=people.controller, exercise_id=ex.id, msel_id="M", now=t0 + timedelta(hours=5))
    # B is due and, released in the same pass, lets C go too (its T+ has passed).
    assert due(make, t0 + timedelta(hours=5)) == [(ex.id, "B"), (ex.id, "C")]
    assert released_counts(app, ex.room_id) == {"M": 1, "B": 1, "C": 1}


def test_a_pause_shifts_the_schedule(app, make, people):
    scenario = make_scenario(make, people.director, rows=(inject("X", "T+00:10", "Ten minutes in"),))
    ex = make_run(make, people, scenario)  # speed 60: T+00:10 is 10 s of wall time
    t0 = utcnow()
    start(make, people, ex, t0)
    make.run(runs.clock_op, actor=people.controller, exercise_id=ex.id, op="pause", now=t0 + timedelta(seconds=5))
    assert due(make, t0 + timedelta(hours=10)) == []  # paused at T+00:05: nothing, however long
    resumed_at = t0 + timedelta(seconds=100)
    make.run(runs.clock_op, actor=people.controller, exercise_id=ex.id, op="resume", now=resumed_at)
    assert runs.t_plus(read(app, lambda s: s.get(Exercise, ex.id)), resumed_at) == pytest.approx(300.0)
    assert due(make, resumed_at + timedelta(seconds=4.9)) == []  # T+00:09:54
    assert due(make, resumed_at + timedelta(seconds=5)) == [(ex.id, "X")]
    assert injects_of(app, ex)["X"].released_t_s == pytest.approx(600.0)
    assert released_counts(app, ex.room_id) == {"X": 1}


def test_release_now_during_a_pause_releases_at_once_and_only_once(app, make, people, run):
    t0 = utcnow()
    start(make, people, run, t0)
    make.run(runs.clock_op, actor=people.controller, exercise_id=run.id, op="pause", now=t0 + timedelta(seconds=1))
    released = make.run(runs.release_now, actor=people.controller, exercise_id=run.id, msel_id="4",
                        now=t0 + timedelta(seconds=50))
    assert (released.status, released.released_by_id) == ("released", people.controller.id)
    assert released.released_t_s == pytest.approx(60.0)  # the paused T+
    with pytest.raises(Conflict, match="already released"):
        make.run(runs.release_now, actor=people.director, exercise_id=run.id, msel_id="4")
    make.run(runs.clock_op, actor=people.controller, exercise_id=run.id, op="resume", now=t0 + timedelta(seconds=60))
    assert (run.id, "4") not in due(make, t0 + timedelta(hours=1))
    assert released_counts(app, run.room_id)["4"] == 1
    with pytest.raises(NotFound):
        make.run(runs.release_now, actor=people.controller, exercise_id=run.id, msel_id="nope")


def test_release_now_needs_a_started_unfinished_exercise(make, people, run):
    with pytest.raises(Conflict, match="between STARTEX and ENDEX"):
        make.run(runs.release_now, actor=people.controller, exercise_id=run.id, msel_id="1")
    start(make, people, run, utcnow())
    make.run(runs.clock_op, actor=people.controller, exercise_id=run.id, op="end")
    with pytest.raises(Conflict, match="between STARTEX and ENDEX"):
        make.run(runs.release_now, actor=people.controller, exercise_id=run.id, msel_id="3")


def test_held_injects_wait_for_release_now(app, make, people, run):
    held = make.run(runs.set_held, actor=people.controller, exercise_id=run.id, msel_id="1", held=True)
    assert held.status == "held"
    t0 = utcnow()
    start(make, people, run, t0)
    assert due(make, t0 + timedelta(hours=1)) == [(run.id, "4")]  # 1 held; 2 waits for 1; 3 manual
    assert injects_of(app, run)["1"].status == "held"
    make.run(runs.release_now, actor=people.controller, exercise_id=run.id, msel_id="1", now=t0 + timedelta(hours=1))
    assert due(make, t0 + timedelta(hours=1)) == [(run.id, "2")]
    with pytest.raises(Conflict):
        make.run(runs.set_held, actor=people.controller, exercise_id=run.id, msel_id="1", held=False)
    assert released_counts(app, run.room_id) == {"1": 1, "2": 1, "4": 1}


def test_unholding_puts_an_inject_back_on_the_schedule(app, make, people, run):
    make.run(runs.set_held, actor=people.controller, exercise_id=run.id, msel_id="1", held=True)
    make.run(runs.set_held, actor=people.controller, exercise_id=run.id, msel_id="1", held=False)
    t0 = utcnow()
    start(make, people, run, t0)
    assert due(make, t0) == [(run.id, "1")]


def test_an_edit_before_release_changes_the_event_and_after_release_is_refused(app, make, people, run):
    t0 = utcnow()
    start(make, people, run, t0)
    edited = make.run(runs.edit_inject, actor=people.controller, exercise_id=run.id, msel_id="4", fields={
        "title": "Telco: SMS gateway down", "message": "All **SMS** traffic stopped", "to": "all",
        "expected_action": "Tell the regulator", "offset": "T+00:15", "msel_id": "ignored"})
    assert (edited.title, edited.offset_s, edited.edited, edited.msel_id) == (
        "Telco: SMS gateway down", 900, True, "4")
    assert len(json.loads(edited.team_ids)) == 2
    with pytest.raises(Invalid) as caught:
        make.run(runs.edit_inject, actor=people.controller, exercise_id=run.id, msel_id="4",
                 fields={"offset": "whenever", "to": "Nobody"})
    assert "offset" in caught.value.fields
    assert due(make, t0 + timedelta(seconds=14.9)) == [(run.id, "1"), (run.id, "2")]  # 4 is now at T+00:15
    assert due(make, t0 + timedelta(seconds=15)) == [(run.id, "4")]
    [event] = [e for e in inject_events(app, run.room_id) if e["msel_id"] == "4"]
    assert (event["title"], event["body"], event["expected_action"], event["to"]) == (
        "Telco: SMS gateway down", "All **SMS** traffic stopped", "Tell the regulator", "all")
    with pytest.raises(Conflict, match="cannot be edited"):
        make.run(runs.edit_inject, actor=people.controller, exercise_id=run.id, msel_id="4",
                 fields={"title": "Rewriting history"})
    assert injects_of(app, run)["4"].title == "Telco: SMS gateway down"


def test_adhoc_injects_are_released_at_once_with_their_own_ids(app, make, people, run):
    with pytest.raises(Conflict):
        make.run(runs.adhoc_inject, actor=people.controller, exercise_id=run.id, fields={"title": "Too early"})
    t0 = utcnow()
    start(make, people, run, t0)
    first = make.run(runs.adhoc_inject, actor=people.controller, exercise_id=run.id, now=t0 + timedelta(seconds=7),
                     fields={"title": "Regulator calls", "message": "Wants a statement", "to": BANK,
                             "delivery": "phone", "msel_id": "X9"})
    assert (first.msel_id, first.status, first.adhoc, first.release, first.offset_s) == (
        "AH-1", "released", True, "manual", 420)
    second = make.run(runs.adhoc_inject, actor=people.director, exercise_id=run.id, fields={"title": "Second"})
    assert second.msel_id == "AH-2"
    with pytest.raises(Invalid):
        make.run(runs.adhoc_inject, actor=people.controller, exercise_id=run.id, fields={"title": "x", "to": "Nope"})
    events = {e["msel_id"]: e for e in inject_events(app, run.room_id)}
    assert (events["AH-1"]["title"], events["AH-1"]["body"], events["AH-1"]["delivery"], events["AH-1"]["adhoc"]) == (
        "Regulator calls", "Wants a statement", "phone", True)
    assert released_counts(app, run.room_id) == {"AH-1": 1, "AH-2": 1}


def test_two_apps_on_one_database_release_each_inject_exactly_once(app, make, people, run, tmp_path, template_db):
    """A restart (or a second process) on the same database file: overdue injects go out once."""
    other = make_app(tmp_path, template_db)  # the same tmp_path: the same council.db
    try:
        assert str(database(other).write_engine.url) == str(database(app).write_engine.url)
        t0 = utcnow() - timedelta(hours=1)
        start(make, people, run, t0)
        with database(other).transaction() as session:
            assert runs.release_due(session, now=t0 + timedelta(seconds=15)) == [(run.id, "1"), (run.id, "2")]
        assert due(make, t0 + timedelta(seconds=15)) == []
        late = t0 + timedelta(minutes=30)
        results = []
        for target in (app, other, app, other):
            with database(target).transaction() as session:
                results.append(runs.release_due(session, now=late))
        assert results == [[(run.id, "4")], [], [], []]
        make.run(runs.release_now, actor=people.controller, exercise_id=run.id, msel_id="3")
        with database(other).transaction() as session, pytest.raises(Conflict):
            runs.release_now(session, actor=session.merge(people.director), exercise_id=run.id, msel_id="3")
        assert released_counts(app, run.room_id) == {"1": 1, "2": 1, "3": 1, "4": 1}
    finally:
        database(other).dispose()


def test_a_failed_release_transaction_leaves_the_inject_pending(app, make, people, run):
    t0 = utcnow()
    start(make, people, run, t0)

    def release_then_fail(session):
        runs.release_due(session, now=t0)
        raise RuntimeError("crash before commit")
    with pytest.raises(RuntimeError):
        make.run(release_then_fail)
    assert injects_of(app, run)["1"].status == "pending" and released_counts(app, run.room_id) == {}
    assert due(make, t0) == [(run.id, "1")]


def test_next_due_is_the_wall_time_of_the_next_automatic_release(make, people, run):
    t0 = utcnow()
    assert make.run(runs.next_due, now=t0) is None
    start(make, people, run, t0)
    assert make.run(runs.next_due, now=t0) == t0
    due(make, t0)
    assert make.run(runs.next_due, now=t0) == t0 + timedelta(seconds=10)


# --- players: acknowledgements and responses ----------------------------------------------------------

def released_seq(app, ex, msel_id):
    return injects_of(app, ex)[msel_id].released_seq


def post(make, who, ex, kind, **payload):
    event, _created = make.run(stream.post, actor=who, room_id=ex.room_id, kind=kind, payload=payload)
    return event


def test_acknowledgements_and_responses_by_the_addressed_team(app, make, people, run):
    t0 = utcnow()
    start(make, people, run, t0 - timedelta(seconds=40))
    make.run(runs.release_now, actor=people.controller, exercise_id=run.id, msel_id="1", now=t0 - timedelta(seconds=30))
    make.run(runs.release_now, actor=people.controller, exercise_id=run.id, msel_id="2", now=t0 - timedelta(seconds=30))
    seq2 = released_seq(app, run, "2")

    with pytest.raises(Forbidden, match="not addressed to your team"):
        post(make, people.player_b, run, "ack", inject_seq=seq2)
    for who in (people.controller, people.evaluator, people.observer):
        with pytest.raises(Forbidden, match="Only players"):
            post(make, who, run, "ack", inject_seq=seq2)
    with pytest.raises(Invalid):
        post(make, people.player_a, run, "ack", inject_seq=1)  # a seq that is not an inject

    ack = post(make, people.player_a, run, "ack", inject_seq=seq2)
    data = json.loads(ack.data)
    assert (data["msel_id"], data["team"], data["inject_seq"]) == ("2", BANK, seq2)
    with pytest.raises(Conflict, match="already acknowledged"):
        post(make, people.player_a, run, "ack", inject_seq=seq2)

    with pytest.raises(Invalid):
        post(make, people.player_a, run, "response", inject_seq=seq2, body="  ")
    response = post(make, people.player_a, run, "response", inject_seq=seq2, body="Switch **isolated**")
    assert json.loads(response.data)["first"] is True and "<strong>isolated</strong>" in response.body_html
    post(make, people.player_a, run, "response", inject_seq=seq2, body="Customers informed")

    team_a = read(app, lambda s: s.get(Exercise, run.id).teams[0].id)
    inject_id = injects_of(app, run)["2"].id
    row = read(app, lambda s: s.get(TeamResponse, (inject_id, team_a)))
    assert row.responded_at is not None and row.acked_at is not None
    assert (row.ack_seq, row.response_seq, row.responses, row.responded_by_id) == (
        ack.seq, response.seq, 2, people.player_a.id)

    # Telco answers inject 1 without acknowledging first: answering acknowledges.
    post(make, people.player_b, run, "response", inject_seq=released_seq(app, run, "1"), body="Seen")

    by_team = {f.team: f for f in read(app, lambda s: figures.team_figures(s, s.get(Exercise, run.id)))}
    bank, telco = by_team[BANK], by_team[TELCO]
    assert (bank.addressed, bank.acked, bank.responded, bank.missed) == (2, 1, 1, 1)  # inject 1 never answered
    assert (telco.addressed, telco.acked, telco.responded, telco.missed) == (1, 1, 1, 0)
    assert 30 <= bank.ack_median_s < 90 and 30 <= bank.response_median_s < 90
    assert bank.ack_median_s <= bank.response_median_s
    [per2] = [p for p in bank.per_inject if p["msel_id"] == "2"]
    assert per2["ack_s"] == bank.ack_max_s and per2["response_s"] == bank.response_max_s
    [per1] = [p for p in bank.per_inject if p["msel_id"] == "1"]
    assert per1["ack_s"] is None and per1["response_s"] is None
    headline = read(app, lambda s: figures.headline(s, s.get(Exercise, run.id)))
    assert (headline["released"], headline["total"], headline["missed"], headline["teams"]) == (2, 4, 1, 2)


def test_players_answer_only_while_the_exercise_runs(app, make, people, run):
    t0 = utcnow()
    start(make, people, run, t0)
    due(make, t0)
    make.run(runs.clock_op, actor=people.director, exercise_id=run.id, op="end")
    with pytest.raises(Forbidden, match="not running"):
        post(make, people.player_a, run, "ack", inject_seq=released_seq(app, run, "1"))


# --- evaluators ---------------------------------------------------------------------------------------

def test_observations_by_evaluators_only_and_rated_psmu(app, make, people, run):
    t0 = utcnow()
    start(make, people, run, t0)
    due(make, t0)
    team_a = read(app, lambda s: s.get(Exercise, run.id).teams[0].id)
    event = post(make, people.evaluator, run, "observation", rating="S", body="Slow to escalate",
                 msel_id="1", team_id=team_a, capability="coordination")
    obs = read(app, lambda s: s.scalars(select(Observation)).one())
    assert (obs.rating, obs.body, obs.msel_id, obs.team_id, obs.seq, obs.evaluator_id) == (
        "S", "Slow to escalate", "1", team_a, event.seq, people.evaluator.id)
    for who in (people.player_a, people.controller, people.observer):
        with pytest.raises(Forbidden):
            post(make, who, run, "observation", rating="P", body="x")
    for bad in ({"rating": "X", "body": "x"}, {"rating": "p", "body": "x"}, {"rating": "P", "body": ""},
                {"rating": "P", "body": "x", "msel_id": "99"}, {"rating": "P", "body": "x", "team_id": 999},
                {"rating": "P", "body": "x", "capability": "telepathy"}):
        with pytest.raises(Invalid):
            post(make, people.evaluator, run, "observation", **bad)
    assert count(app, Observation) == 1


def test_an_observation_is_a_strength_or_an_area_for_improvement_whatever_its_rating(app, make, people, run):
    start(make, people, run, utcnow())
    criticism = post(make, people.evaluator, run, "observation", rating="S", finding="improvement",
                     body="The team did not brief the council")
    praise = post(make, people.evaluator, run, "observation", rating="M", finding="strength",
                  body="Escalated at once despite the outage")
    unsaid = [post(make, people.evaluator, run, "observation", rating=r, body=f"Rated {r}") for r in "PSMU"]
    stored = read(app, lambda s: [(o.rating, o.finding)
                                  for o in s.scalars(select(Observation).order_by(Observation.id))])
    assert stored == [("S", "improvement"), ("M", "strength"), ("P", "strength"), ("S", "strength"),
                      ("M", "improvement"), ("U", "improvement")]  # none sent: the one the rating suggests
    assert [json.loads(e.data)["finding"] for e in (criticism, praise, *unsaid)] == [f for _r, f in stored]
    boot = make.run(lambda s: room_boot(s, s.merge(people.evaluator), s.get(Room, run.room_id), "observer"))
    assert [o["finding"] for o in boot["observations"]] == [f for _r, f in stored]
    for bad in ("weakness", "Strength", 1, ["strength"]):
        with pytest.raises(Invalid) as caught:
            post(make, people.evaluator, run, "observation", rating="P", body="x", finding=bad)
        assert set(caught.value.fields) == {"finding"}
    assert count(app, Observation) == 6


def test_an_observation_takes_a_capability_in_words_and_keeps_its_slug(app, make, people, run):
    start(make, people, run, utcnow())
    event = post(make, people.evaluator, run, "observation", rating="P", body="Clear statement",
                 capability=" Public Communication ")
    assert json.loads(event.data)["capability"] == "public-communication"
    assert read(app, lambda s: s.scalars(select(Observation.capability)).one()) == "public-communication"


# --- exercise rooms stay out of the real-incident views -----------------------------------------------

def test_exercise_rooms_are_invisible_to_non_participants_and_never_listed(app, make, people, run):
    room = make.run(lambda s: s.get(Room, run.room_id))
    assert room.tlp == "AMBER"
    # The outsider's organisation takes part, and the room is AMBER: still invisible (named people only).
    with pytest.raises(NotFound):
        make.run(load_visible, user=people.outsider, room_id=run.room_id)
    assert make.run(load_visible, user=people.player_a, room_id=run.room_id)[1] == "member"
    incident = make.run(create_room, actor=people.director, title="Real incident", severity="high", tlp="AMBER",
                        org_ids=[people.bank.id])
    for who in (people.director, people.player_a, people.outsider):
        listed = make.run(lambda s, who: [r.id for r in list_rooms(s, actor=who)], who=who)
        assert run.room_id not in listed and incident.id in listed
    assert make.run(lambda s: [r.id for r in list_rooms(s, actor=s.merge(people.director), kind="exercise")]) == [
        run.room_id]
    assert make.run(lambda s: [r.id for r in list_rooms(s, actor=s.merge(people.outsider), kind="exercise")]) == []


def test_exercise_decisions_stay_out_of_the_decision_register(app, make, people, run):
    decision = post(make, people.director, run, "decision", op="propose", title="Pay the ransom?")
    shown = read(app, lambda s: stream.serialize(decision, s.get(Room, run.room_id)))
    assert (shown["kind"], shown["exercise"]) == ("decision", True)
    register = make.run(lambda s: [d.title for d, _r in decisions.register(s, actor=s.merge(people.director))])
    assert "Pay the ransom?" not in register
    with_exercises = make.run(lambda s: [d.title for d, _r in decisions.register(
        s, actor=s.merge(people.director), include_exercises=True)])
    assert with_exercises == ["Pay the ransom?"]
    outsider = make.run(lambda s: decisions.register(s, actor=s.merge(people.outsider), include_exercises=True))
    assert outsider == []


def test_participants_see_only_their_own_exercises(make, people, run):
    assert [e.id for e, _p in make.run(runs.list_exercises, actor=people.player_b)] == [run.id]
    assert make.run(runs.list_exercises, actor=people.outsider) == []
    assert read(make.app, lambda s: s.get(Participant, (run.id, people.observer.id)).role) == "observer"

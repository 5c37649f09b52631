"""Each slice's triggers reach the right people through the notification service:
the reporting chain (review waits, revision, overdue, due soon), decisions (a
position asked, the deadline near) and exercises (an inject awaiting my team, a
sign-off asked of me, an overdue corrective action — marked EXERCISE)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from council.db import utcnow
from council.extensions import database
from council.notifications.models import Notification
from council.notifications.room_triggers import positions_owed
from council.reporting import notices, services
from tests.council import test_reporting
from tests.council.test_decisions import propose

file = test_reporting.file  # (the chain fixture is tests/council/conftest.py's)


BASE = "Council default (modelled on NIS2's cadence)"


def told(app, user, kind):
    with database(app).session(write=False) as s:
        return [(n.title, n.urgent, n.exercise, n.subject) for n in s.scalars(
            select(Notification).where(Notification.user_id == user.id, Notification.kind == kind)
            .order_by(Notification.id))]


def test_a_submitted_stage_asks_the_reviewer_and_a_revision_tells_the_reporter(app, make, chain):
    incident = file(make, chain.reporter, hours_ago=1, aware_hours_ago=1)
    make.run(services.submit_stage, actor=chain.reporter, incident_id=incident.id, key="early-warning",
             body="Early warning", regime_key="council-baseline")
    waits = told(app, chain.reviewer, "review_requested")
    assert waits == [(f"Review waits: {incident.ref} — Early warning ({BASE})", False, False,
                      f"incident:{incident.id}")]
    assert told(app, chain.reporter, "review_requested") == []  # the submitter's side is not asked
    make.run(services.review_stage, actor=chain.reviewer, incident_id=incident.id, key="early-warning",
             decision="revision", comment="Add the affected systems", regime_key="council-baseline")
    assert told(app, chain.colleague, "stage_due") == [
        (f"Returned for revision: {incident.ref} — Early warning ({BASE})", False, False, f"incident:{incident.id}")]
    assert told(app, chain.stranger, "stage_due") == []


def test_an_overdue_stage_is_urgent_for_the_reporter_and_told_once(app, make, chain):
    incident = file(make, chain.reporter, hours_ago=80, aware_hours_ago=80)
    make.run(services.sweep_overdue)
    make.run(services.sweep_overdue)
    titles = told(app, chain.colleague, "stage_overdue")
    assert titles and all(urgent for _t, urgent, _e, _s in titles)
    assert len(titles) == len({t for t, *_ in titles})  # each stage once
    assert told(app, chain.stranger, "stage_overdue") == []
    del incident


def test_a_stage_close_to_its_deadline_is_a_reminder_once(app, make, chain):
    incident = file(make, chain.reporter, hours_ago=23, aware_hours_ago=23)  # 24 h early warning: 1 h left
    make.run(notices.stages_due_soon)
    make.run(notices.stages_due_soon)
    reminders = [t for t, *_ in told(app, chain.colleague, "stage_due")]
    assert reminders and all(t.startswith("Due within 1 h: " + incident.ref) for t in reminders)
    assert len(reminders) == len(set(reminders))


def test_a_proposed_decision_asks_each_eligible_organisations_members(app, make):
    national = make.org("National CERT T", tier="national")
    bank = make.org("Banking CERT T", parent=national)
    chair = make.user("chair@t.example", org=national)
    peer = make.user("peer@t.example", org=national)
    banker = make.user("banker@t.example", org=bank)
    room = make.room(chair, tlp="AMBER", orgs=(bank,))
    deadline = (utcnow() + timedelta(hours=1)).isoformat()
    decision_id = propose(make, chair, room, title="Block the C2 domains", deadline=deadline)
    for who in (peer, banker):
        (title, *_rest), = told(app, who, "position_requested")
        assert title.startswith("Your organisation's position is asked: Block the C2 domains (by ")
    assert told(app, chair, "position_requested") == []
    # An hour before the deadline, organisations that have not taken a position hear again, once.
    make.run(positions_owed)
    make.run(positions_owed)
    assert [t for t, *_ in told(app, banker, "position_requested")][1:] == [
        "Deadline near, no position yet: Block the C2 domains"]
    del decision_id


def test_an_inject_tells_its_teams_players_and_is_marked_exercise(app, make):
    from exercises.runs import services as runs
    from tests.exercises.helpers import BANK, TELCO, inject, make_people, make_scenario

    people = make_people(make)
    scenario = make_scenario(make, people.director, rows=(inject("1", "T+00:00", "Ransom note", to=BANK),
                                                          inject("2", "T+00:10", "Telco hears", to=TELCO)))
    ex = make.run(runs.create_exercise, actor=people.director, scenario_id=scenario.id, title="Notice drill",
                  org_ids=[people.bank.id, people.telco.id],
                  players={BANK: [people.player_a.email], TELCO: [people.player_b.email]}, speed=60)
    t0 = utcnow().replace(microsecond=0)
    make.run(runs.clock_op, actor=people.director, exercise_id=ex.id, op="start", now=t0)
    make.run(runs.release_due, now=t0)
    [(title, urgent, exercise, subject)] = told(app, people.player_a, "inject_awaiting")
    assert (title, urgent, exercise) == ("Inject 1 awaits your team: Ransom note", False, True)
    assert subject.startswith("event:")  # asked again before mail: the player must still see that inject
    assert told(app, people.player_b, "inject_awaiting") == []
    assert told(app, people.outsider, "inject_awaiting") == []

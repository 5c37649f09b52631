"""An inject can start a test incident: the chain is rehearsed on the exercise clock.

The MSEL column ``incident`` ("yes" or a taxonomy class/type) makes each team an inject
reaches file a test incident for its first player. Its deadlines count in exercise
time (T+), so the drill's speed and pauses apply; it is marked EXERCISE, never counted
in statistics, and the after-action draft reports each team's stage times.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from council.db import utcnow
from council.extensions import database
from council.reporting import regimes, services, stats
from council.reporting.models import Incident
from council.reporting.serialize import incident_json
from council.reporting.visibility import sight_of
from exercises.runs import services as runs
from exercises.scenarios import msel
from tests.exercises.helpers import BANK, TELCO, inject, make_people, make_scenario, msel_text
from tests.exercises.report_helpers import section, start

DAY = 86400


@pytest.fixture
def drill(make):
    """A speed-60 run, started two days ago, whose first inject starts a test incident for the bank's team."""
    national = make.org("National CERT D", tier="national")
    people = make_people(make)
    make.run(regimes.save_version, actor=None, **regimes.BASELINE)
    scenario = make_scenario(make, people.director, rows=(
        inject("1", "T+00:00", "Ransom note on the payment switch", to=BANK, incident="malicious-code/infected-system"),
        inject("2", "T+00:10", "Telco hears of it", to=TELCO),
    ))
    ex = make.run(
        runs.create_exercise, actor=people.director, scenario_id=scenario.id, title="Reporting drill",
        org_ids=[people.bank.id, people.telco.id], players={BANK: [people.player_a.email],
                                                             TELCO: [people.player_b.email]}, speed=60)
    t0 = (utcnow() - timedelta(days=2)).replace(microsecond=0)
    make.run(runs.clock_op, actor=people.director, exercise_id=ex.id, op="start", now=t0)
    assert make.run(runs.release_due, now=t0) == [(ex.id, "1")]
    people.national = national
    return people, ex, t0


def incidents_of(app, room_id):
    with database(app).session(write=False) as s:
        rows = s.scalars(select(Incident).where(Incident.clock_room_id == room_id)).all()
        for i in rows:
            i.stages, i.reporter_org  # noqa: B018 - load before the session closes
        return rows


def shown(app, user, incident_id, at):
    with database(app).session(write=False) as s:
        incident, viewer = s.get(Incident, incident_id), s.merge(user)
        return incident_json(s, incident, sight_of(viewer, incident), at)


def test_an_inject_starts_one_test_incident_per_team_it_reaches(app, make, drill):
    people, ex, t0 = drill
    [incident] = incidents_of(app, ex.room_id)
    assert incident.type == "test" and incident.reporter_org_id == people.bank.id
    assert (incident.class_key, incident.type_key) == ("malicious-code", "infected-system")
    assert incident.reporter_user_id == people.player_a.id and incident.room_id == ex.room_id
    assert incident.detected_t == 0 and incident.reviewer_org_id == people.national.id
    # Wall deadlines stay empty: every stage counts in exercise time.
    assert {(s.key, s.due_t, s.due_at) for s in incident.stages} == {
        ("early-warning", DAY, None), ("notification", 3 * DAY, None), ("final-report", None, None)}
    # Releasing again (a retry of the schedule) starts nothing more; the team's player sees it as EXERCISE.
    make.run(runs.release_due, now=t0 + timedelta(seconds=10))
    assert len(incidents_of(app, ex.room_id)) == 1
    view = shown(app, people.player_a, incident.id, t0)
    assert view["exercise"] is True and view["relation"] == "reporter"


def test_drill_deadlines_follow_speed_and_pause(app, make, drill):
    people, ex, t0 = drill
    [incident] = incidents_of(app, ex.room_id)

    def early(at):
        return next(s for s in shown(app, people.player_a, incident.id, at)["stages"] if s["key"] == "early-warning")

    # Speed 60: 24 exercise hours are 24 wall minutes. 1000 s of wall time = T+16:40:00.
    green = early(t0 + timedelta(seconds=1000))
    assert green["colour"] == "green" and green["remaining_s"] == pytest.approx(DAY - 60_000)
    assert green["due_at"].startswith((t0 + timedelta(seconds=1440)).isoformat()[:19])
    assert early(t0 + timedelta(seconds=1100))["colour"] == "amber"  # 20,400 of 86,400 s left

    paused_at = t0 + timedelta(seconds=1100)
    make.run(runs.clock_op, actor=people.director, exercise_id=ex.id, op="pause", now=paused_at)
    ten_hours_later = paused_at + timedelta(hours=10)
    frozen = early(ten_hours_later)
    assert frozen["colour"] == "amber" and frozen["due_at"] is None and not frozen["overdue"]
    assert make.run(services.sweep_overdue, now=ten_hours_later) == []  # wall time passing changes nothing

    make.run(runs.clock_op, actor=people.director, exercise_id=ex.id, op="resume", now=ten_hours_later)
    after = ten_hours_later + timedelta(seconds=400)  # T+ = 66,000 + 24,000 = 90,000 > 86,400
    assert early(after)["overdue"] is True
    first = make.run(services.sweep_overdue, now=after)
    assert len(first) == 1 and make.run(services.sweep_overdue, now=after) == []

    stage = make.run(services.submit_stage, actor=people.player_a, incident_id=incident.id, key="early-warning",
                     body="Switch isolated; ransom note kept.", now=after)
    assert stage.late is True and stage.first_submitted_t == pytest.approx(90_000)


def test_test_incidents_are_never_counted(app, make, drill):
    people, ex, t0 = drill
    [incident] = incidents_of(app, ex.room_id)
    duty = make.user("duty@d.example", org=people.national)
    make.run(services.submit_stage, actor=people.player_a, incident_id=incident.id, key="early-warning",
             body="Early warning", now=t0 + timedelta(seconds=60))
    # The national CERT reviews this team (it has no sectoral parent): accepted, so forwarded and visible.
    make.run(services.review_stage, actor=duty, incident_id=incident.id, key="early-warning", decision="accepted")
    assert shown(app, duty, incident.id, utcnow())["relation"] == "reviewer"
    with database(app).session(write=False) as s:
        national = s.merge(duty)
        rows, _ = stats.statistics_rows(s, national)
        board = stats.board(s, national)
    assert rows == [] and board["incidents"] == 0 and board["by_stage"] == {}


def test_the_after_action_draft_reports_each_teams_stage_times(app, make, drill):
    people, ex, t0 = drill
    [incident] = incidents_of(app, ex.room_id)
    in_time = t0 + timedelta(seconds=600)  # T+10:00:00, inside the 24 h early warning
    make.run(services.submit_stage, actor=people.player_a, incident_id=incident.id, key="early-warning",
             body="Early warning", now=in_time)
    make.run(runs.clock_op, actor=people.director, exercise_id=ex.id, op="end", now=t0 + timedelta(seconds=3600))
    report = start(make, people.director, ex.room_id)
    metrics = section(report, "metrics").body
    assert "### Reporting up the tiers" in metrics
    assert (f"| {BANK} | {incident.ref} Ransom note on the payment switch | "
            "Council default (modelled on NIS2's cadence): Early warning (24 h) | T+24:00:00 | T+10:00:00 | "
            "on time | — |") in metrics
    assert "Incident notification (72 h) | T+72:00:00 | — | not submitted | — |" in metrics
    assert "**Stages in on time:** 1 of 3." in metrics


def test_msel_incident_column_is_checked():
    parsed = msel.parse_csv(msel_text(inject("1", "T+00:00", incident="malicious-code/no-such-type"),
                                      inject("2", "T+00:05", incident="Yes"),
                                      inject("3", "T+00:10", incident="no")))
    assert [(e.row, e.column) for e in parsed.errors] == [(2, "incident")]
    assert "malicious-code/infected-system" in parsed.errors[0].message
    assert [i["incident"] for i in parsed.injects[1:]] == ["yes", ""]


def test_a_test_incident_keeps_the_stricter_marking_of_inject_and_room(app, make):
    make.org("National CERT S", tier="national")
    people = make_people(make, "s-")
    make.run(regimes.save_version, actor=None, **regimes.BASELINE)
    scenario = make_scenario(make, people.director, rows=(
        inject("1", "T+00:00", "Named victim", to="all", incident="yes", tlp="RED"),))
    ex = make.run(runs.create_exercise, actor=people.director, scenario_id=scenario.id, title="Marked drill",
                  org_ids=[people.bank.id, people.telco.id], tlp="AMBER",
                  players={"s-" + BANK: [people.player_a.email], "s-" + TELCO: [people.player_b.email]})
    make.run(runs.clock_op, actor=people.director, exercise_id=ex.id, op="start")
    make.run(runs.release_due)
    found = incidents_of(app, ex.room_id)
    assert sorted(i.reporter_org_id for i in found) == sorted([people.bank.id, people.telco.id])
    assert {i.tlp for i in found} == {"RED"}

""""My work" from exercises (sign-offs waiting, injects waiting for my team, corrective
actions due) and the reviewers a report proposes: one per organisation that signs off."""

from __future__ import annotations

from council.extensions import database
from council.rooms.stream import post
from council.work import my_work
from exercises.reports import services as reports
from exercises.runs import services as runs
from tests.exercises.report_helpers import load, start


def work_of(app, user):
    with database(app).session(write=False) as s:
        return [(i.kind, i.title) for i in my_work(app, s, s.merge(user))]


def test_a_player_sees_the_injects_awaiting_the_teams_response_until_answered(app, make, people, run):
    make.run(runs.clock_op, actor=people.director, exercise_id=run.id, op="start")
    make.run(runs.release_now, actor=people.controller, exercise_id=run.id, msel_id="1")
    assert ("Inject", "Ransom note on the payment switch") in work_of(app, people.player_a)
    assert not [w for w in work_of(app, people.observer) if w[0] == "Inject"]
    seq = load_seq(app, run.room_id)
    make.run(post, actor=people.player_a, room_id=run.room_id, kind="response",
             payload={"inject_seq": seq, "body": "Isolated."})
    assert ("Inject", "Ransom note on the payment switch") not in work_of(app, people.player_a)
    assert ("Inject", "Ransom note on the payment switch") in work_of(app, people.player_b)  # the other team


def load_seq(app, room_id):
    from sqlalchemy import select

    from council.rooms.models import RoomEvent

    with database(app).session(write=False) as s:
        return s.scalar(select(RoomEvent.seq).where(RoomEvent.room_id == room_id, RoomEvent.kind == "inject"))


def test_a_report_proposes_a_reviewer_of_each_organisation_and_waits_for_their_signoff(app, make, people, run):
    make.run(runs.clock_op, actor=people.director, exercise_id=run.id, op="start")
    make.run(runs.clock_op, actor=people.director, exercise_id=run.id, op="end")
    report = start(make, people.director, run.room_id)
    with database(app).session(write=False) as s:
        proposed = reports.proposed_reviewers(s, load(app, report.id))
        orgs = {u.org_id for u in proposed}
    assert orgs == {people.bank.id, people.telco.id} and len(proposed) == 2
    make.run(reports.submit, actor=people.director, report_id=report.id,
             reviewer_emails=[u.email for u in proposed])
    title = load(app, report.id).title
    for reviewer in proposed:
        assert ("Sign-off", title) in work_of(app, reviewer)
    make.run(reports.review, actor=proposed[0], report_id=report.id, decision="approve", note="Fine.")
    assert ("Sign-off", title) not in work_of(app, proposed[0])
    assert ("Sign-off", title) in work_of(app, proposed[1])
    assert ("Sign-off", title) not in work_of(app, people.outsider)

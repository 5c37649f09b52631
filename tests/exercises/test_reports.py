"""After-action reports through the services: drafts generated from a seeded exercise
and a closed incident, who may start them, the edit/review/publish workflow and its
audit trail, immutability after publishing, revisions and their comparison."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from council.errors import Conflict, Forbidden, Invalid, NotFound
from council.rooms.stream import post
from exercises.reports import services as reports
from exercises.reports.models import CorrectiveAction, Report, ReportComment
from exercises.runs import services as runs
from tests.exercises.helpers import BANK, TELCO, count, make_people, read
from tests.exercises.report_helpers import (
    DECISION_TITLE,
    audit_actions,
    audit_rows,
    closed_incident,
    drafted,
    exercise_setup,
    load,
    play_exercise,
    publish_through_review,
    section,
    start,
    write,
)


def post_as(make, who, ex, kind, **payload):
    event, _created = make.run(post, actor=who, room_id=ex.room_id, kind=kind, payload=payload)
    return event


def table(markdown: str) -> list[list[str]]:
    """The cells of every markdown table row (header and separator included)."""
    return [[c.strip() for c in line.strip().strip("|").split("|")]
            for line in markdown.splitlines() if line.startswith("|")]


def actions_of(app, report_id):
    return read(app, lambda s: list(s.scalars(select(CorrectiveAction).where(
        CorrectiveAction.report_id == report_id).order_by(CorrectiveAction.id))))


@pytest.fixture
def world(make):
    return exercise_setup(make)


@pytest.fixture
def people(world):
    return world.people


@pytest.fixture
def draft(app, make, world):
    return load(app, start(make, world.people.director, world.ex.room_id).id)


# --- drafting an exercise report -----------------------------------------------------------------

def test_the_timeline_lists_every_released_inject_with_its_t_plus_and_the_answers(draft):
    rows = [tuple(r) for r in table(section(draft, "timeline").body)[2:]]
    injects = [r for r in rows if "released" in r[1]]
    assert injects == [
        ("T+00:00:00", f"Inject 1 released: Ransom note on the payment switch (to all) — acknowledged: {BANK} 60 s, "
                       f"{TELCO} 30 s; first responses: {BANK} 300 s"),
        ("T+00:10:00", f"Inject 2 released: Bank: customers cannot pay (to {BANK}) — acknowledged: {BANK} 180 s; "
                       f"first responses: {BANK} 500 s"),
        ("T+00:20:00", f"Inject 3 released: Journalist calls (to all) — acknowledged: {TELCO} 90 s; "
                       "first responses: none"),
        ("T+00:30:00", f"Inject 4 released: Telco: SMS gateway slow (to {TELCO}) — acknowledged: {TELCO} 150 s; "
                       f"first responses: {TELCO} 240 s"),
    ]
    assert ("T+00:00:00", "STARTEX") in rows and ("T+01:00:00", "ENDEX") in rows
    assert rows.index(("T+00:00:00", "STARTEX")) < rows.index(injects[0]) < rows.index(("T+01:00:00", "ENDEX"))
    events = [e for _t, e in rows]
    assert f"Decision proposed: {DECISION_TITLE}" in events and f"Decision adopted: {DECISION_TITLE}" in events
    # Every ack and first response is a point of the chart, at its own T+ (release + delay).
    chart = json.loads(draft.data)["timeline"]
    assert sorted(p["t"] for p in chart if p["kind"] == "inject") == [0.0, 600.0, 1200.0, 1800.0]
    assert sorted(p["t"] for p in chart if p["kind"] == "ack") == [30.0, 60.0, 780.0, 1290.0, 1950.0]
    assert sorted(p["t"] for p in chart if p["kind"] == "response") == [300.0, 1100.0, 2040.0]  # first ones only


def test_the_metrics_per_team_equal_what_was_seeded(draft):
    metrics = section(draft, "metrics").body
    rows = {r[0]: r[1:] for r in table(metrics)[2:] if r[0] in (BANK, TELCO)}
    # bank: acks 60/180 s, first responses 300/500 s, inject 3 missed;
    # telco: acks 30/90/150 s, one first response at 240 s.
    assert rows == {BANK: ["3", "2", "2", "1", "120 / 180", "400 / 500"],
                    TELCO: ["3", "3", "1", "0", "90 / 150", "240 / 240"]}
    assert "**Decisions taken:** 1 (1 adopted)" in metrics
    assert ["1", DECISION_TITLE, "Majority", "Adopted", "Both sectors support it."] in table(metrics)
    teams = {t["team"]: t for t in json.loads(draft.data)["teams"]}
    assert {k: (t["ack_median_s"], t["ack_max_s"], t["response_median_s"], t["response_max_s"], t["missed"])
            for k, t in teams.items()} == {BANK: (120.0, 180.0, 400.0, 500.0, 1), TELCO: (90.0, 150.0, 240.0, 240.0, 0)}
    assert [(p["msel_id"], p["ack_s"], p["response_s"]) for p in teams[BANK]["per_inject"]] == [
        ("1", 60.0, 300.0), ("2", 180.0, 500.0), ("3", None, None)]


def test_the_analysis_table_puts_each_rating_in_its_objective_and_capability_cell(draft):
    rows = table(section(draft, "analysis").body)
    assert rows[0] == ["Objective", "Detection", "Coordination"]
    cells = {r[0].split("**")[1]: r[1:] for r in rows[2:]}
    assert cells == {"O1": ["P, S", "M"], "O2": ["S", "U"]}
    assert rows[2][0] == "**O1** Detect the intrusion on the payment switch"


def test_areas_for_improvement_come_from_m_and_u_observations_and_each_suggests_an_action(app, draft, people):
    findings = section(draft, "findings").body
    o1, o2 = findings.split("### O2")
    o1_strengths, o1_areas = o1.split("**Areas for improvement**")
    o2_strengths, o2_areas = o2.split("**Areas for improvement**")
    assert "Bank spotted the ransom note within a minute" in o1_strengths  # P
    assert "Telco confirmed the intrusion but only from one log source" in o1_strengths  # S
    assert "**Observation:** Nobody owned the upstream contact list" in o1_areas  # M
    assert f"{TELCO}, rated M by Eve Evaluator" in o1_areas
    assert "**Observation:** The journalist call went unanswered by every team" in o2_areas  # U
    assert "Customer complaints were noticed late" in o2_strengths and "Customer complaints" not in o2_areas
    assert "Nobody owned" not in o1_strengths and "journalist" not in o2_strengths
    suggested = {(a.area, a.capability, a.responsible_org_id, a.status, a.number) for a in actions_of(app, draft.id)}
    assert suggested == {
        ("Nobody owned the upstream contact list", "coordination", people.telco.id, "open", None),
        ("The journalist call went unanswered by every team", "coordination", people.bank.id, "open", None)}


def test_the_draft_files_each_observation_by_its_finding_not_its_rating(app, make):
    world = exercise_setup(make, end=False)
    people, ex = world.people, world.ex
    for rating, finding, text in (("S", "improvement", "The bank did not brief the council"),
                                  ("M", "strength", "The telco escalated at once despite the outage")):
        post_as(make, people.evaluator, ex, "observation", rating=rating, finding=finding, body=text,
                objective_id="O1", capability="detection", team_id=ex.teams[BANK])
    make.run(runs.clock_op, actor=people.director, exercise_id=ex.id, op="end")
    report = load(app, start(make, people.director, ex.room_id).id)
    strengths, areas = section(report, "findings").body.split("### O2")[0].split("**Areas for improvement**")
    assert "**Observation:** The bank did not brief the council" in areas  # rated S, filed as improvement
    assert "did not brief" not in strengths
    assert "The telco escalated at once despite the outage" in strengths and "escalated" not in areas  # M
    assert "The bank did not brief the council" in {a.area for a in actions_of(app, report.id)}


def test_the_analysis_grid_shows_each_objective_whole(app, make, people):
    long = ("Within 45 minutes of receiving the IOC package, validate the indicators and send them to every "
            "member-bank CSIRT at TLP:AMBER, with a sanitised TLP:GREEN subset for the other sectoral CERTs.")
    report = drafted(app, make, people, objectives=[{"id": "O1", "text": long}], ratings=[("O1", "detection", "S")])
    rows = table(section(report, "analysis").body)
    assert rows[2] == [f"**O1** {long}", "S"] and "…" not in section(report, "analysis").body


def test_without_rated_observations_the_analysis_is_one_line_and_no_grid(app, make, people):
    report = drafted(app, make, people, objectives=[{"id": "O1", "text": "Detect"}], ratings=[("", "", "P")])
    analysis = section(report, "analysis").body
    assert analysis == "No observations were rated against objectives and capabilities."


def test_the_overview_carries_the_exercise_marking_and_the_tlp(draft, people):
    overview = section(draft, "overview").body
    assert overview.startswith("**EXERCISE EXERCISE EXERCISE**")
    assert "**Marking:** TLP:AMBER" in overview and "**Threat:** Ransomware" in overview
    assert "4 injects planned for 2 team(s)" in overview
    assert "**O2** Coordinate the council's public response" in overview
    assert (draft.kind, draft.tlp, draft.status, draft.version, draft.family_id) == (
        "exercise", "AMBER", "draft", 1, draft.id)
    assert draft.title == "After-action report: Cohort A drill"
    participants = {r[0]: r[2] for r in table(section(draft, "participants").body)[2:]}
    assert participants == {"Carl Controller": "Controller", "Dana Director": "Director",
                            "Eve Evaluator": "Evaluator", "Olga Observer": "Observer", "Paula Bank": "Player",
                            "Pete Telco": "Player"}
    assert section(draft, "executive_summary").body == "" and section(draft, "improvement_plan").body == ""
    assert [s.key for s in draft.sections] == ["overview", "executive_summary", "analysis", "findings", "timeline",
                                               "metrics", "improvement_plan", "participants"]


def test_an_incident_report_drafts_from_the_closed_room(app, make, people):
    room = closed_incident(make, people.director, orgs=(people.bank, people.telco), members=(people.player_a,),
                           assignee=people.telco)
    report = load(app, start(make, people.director, room.id).id)
    assert (report.kind, report.tlp, report.exercise_id) == ("incident", "GREEN", None)
    overview = section(report, "overview").body
    assert "EXERCISE" not in overview and "**Marking:** TLP:GREEN" in overview
    assert "Reflected DNS traffic took three ministry portals offline." in overview
    events = [r[1] for r in table(section(report, "timeline").body)[2:]]
    # In the order things happened, not as posted: the containment entry was written at
    # T+70 about T+70, after the decision of T+30..35 had been posted.
    assert events == ["Room opened", "[detection] Ministry portals unreachable; 80 Gbit/s of DNS responses",
                      "Decision proposed: Engage the national scrubbing centre",
                      "Decision adopted: Engage the national scrubbing centre",
                      "[containment] Portals back behind scrubbing", "status Open → Closed"]
    analysis = table(section(report, "analysis").body)
    assert any(r[1:4] == ["Engage the national scrubbing centre", "Majority", "Adopted"] for r in analysis)
    assert ["Block the reflector list at the IXP", TELCO, "—", "Done"] in analysis
    assert ["Publish an advisory on open resolvers", TELCO, "—", "Open"] in analysis
    findings = section(report, "findings").body.split("**Areas for improvement**")[1]
    assert ("1 action item(s) were still open when the room closed: Publish an advisory on open resolvers"
            in findings)
    assert "Block the reflector list" not in findings
    assert "**action items done:** 1 of 2" in section(report, "metrics").body
    assert [(a.area, a.capability, a.responsible_org_id) for a in actions_of(app, report.id)] == [
        ("Publish an advisory on open resolvers", "coordination", people.telco.id)]
    assert {r[0]: r[2] for r in table(section(report, "participants").body)[2:]} == {
        "Dana Director": "Lead", "Paula Bank": "Member"}


# --- who starts a report, and when ------------------------------------------------------------

def test_an_exercise_report_starts_after_endex_only(app, make):
    people = make_people(make)
    ex = play_exercise(make, people, end=False)
    with pytest.raises(Conflict, match="after ENDEX"):
        start(make, people.director, ex.room_id)
    assert count(app, Report) == 0 and count(app, CorrectiveAction) == 0
    assert make.run(lambda s: reports.eligible_rooms(s, s.merge(people.director))) == []
    make.run(runs.clock_op, actor=people.director, exercise_id=ex.id, op="end")
    assert [r.id for r in make.run(lambda s: reports.eligible_rooms(s, s.merge(people.director)))] == [ex.room_id]
    assert start(make, people.director, ex.room_id).status == "draft"


def test_an_incident_report_starts_once_the_room_is_closed(app, make, people):
    room = closed_incident(make, people.director, orgs=(people.bank,), close=False)
    with pytest.raises(Conflict, match="once its room is closed"):
        start(make, people.director, room.id)
    assert count(app, Report) == 0
    make.run(post, actor=people.director, room_id=room.id, kind="status", payload={"status": "closed"})
    assert start(make, people.director, room.id).kind == "incident"


def test_only_the_director_or_an_evaluator_starts_an_exercise_report_and_only_once(app, make, world, people):
    room_id = world.ex.room_id
    for who in (people.controller, people.player_a, people.observer):
        with pytest.raises(Forbidden, match="director or an evaluator"):
            start(make, who, room_id)
    with pytest.raises(NotFound):
        start(make, people.outsider, room_id)  # not in the exercise
    assert count(app, Report) == 0
    report = start(make, people.evaluator, room_id)
    assert report.created_by_id == people.evaluator.id
    with pytest.raises(Conflict, match=f"already has a report \\(#{report.id}\\)"):
        start(make, people.director, room_id)
    assert count(app, Report) == 1
    assert make.run(lambda s: reports.eligible_rooms(s, s.merge(people.director))) == []
    assert audit_actions(app, report.id) == ["report.start"]
    [row] = audit_rows(app, "report.start")
    assert row["actor_id"] == people.evaluator.id and row["details"] == {"kind": "exercise", "suggested_actions": 2}


def test_only_the_lead_starts_an_incident_report_and_only_once(app, make, people):
    room = closed_incident(make, people.director, orgs=(people.bank,), members=(people.player_a,))
    with pytest.raises(Forbidden, match="lead"):
        start(make, people.player_a, room.id)
    with pytest.raises(NotFound):
        make.run(reports.start_report, actor=people.director, room_id=str(room.id), timezone="UTC")
    report = start(make, people.director, room.id)
    with pytest.raises(Conflict, match="already has a report"):
        start(make, people.director, room.id)
    assert read(app, lambda s: list(s.scalars(select(Report.id)))) == [report.id]


# --- editing, review, publication --------------------------------------------------------------

def test_only_authors_edit_sections_and_corrective_actions(app, make, people, draft):
    make.run(reports.submit, actor=people.director, report_id=draft.id, reviewer_emails=[people.outsider.email])
    ca = actions_of(app, draft.id)[0]
    fields = {"area": "Contact list", "action": "Keep one", "responsible_org_id": people.bank.id}
    # A reviewer reads the draft but does not write it.
    with pytest.raises(Forbidden):
        make.run(reports.save_section, actor=people.outsider, report_id=draft.id, key="executive_summary",
                 body="Reviewer text", base_version=1)
    with pytest.raises(Forbidden):
        make.run(reports.save_action, actor=people.outsider, report_id=draft.id, fields=fields)
    with pytest.raises(Forbidden):
        make.run(reports.delete_action, actor=people.outsider, report_id=draft.id, action_id=ca.id)
    with pytest.raises(Forbidden):
        make.run(reports.set_title, actor=people.outsider, report_id=draft.id, title="Mine", tlp="AMBER")
    # Neither author nor reviewer: the draft does not exist for them.
    for who in (people.controller, people.player_b, people.observer):
        with pytest.raises(NotFound):
            make.run(reports.save_section, actor=who, report_id=draft.id, key="executive_summary", body="x",
                     base_version=1)
        with pytest.raises(NotFound):
            make.run(reports.save_action, actor=who, report_id=draft.id, fields=fields)
    assert section(load(app, draft.id), "executive_summary").body == ""
    assert len(actions_of(app, draft.id)) == 2
    # The director and the evaluators are authors, even of a report someone else started.
    saved = make.run(reports.save_section, actor=people.evaluator, report_id=draft.id, key="executive_summary",
                     body="Detection went well.", base_version=1)
    assert (saved.version, saved.updated_by_id, saved.body_html) == (2, people.evaluator.id,
                                                                    "<p>Detection went well.</p>")
    added = make.run(reports.save_action, actor=people.evaluator, report_id=draft.id, fields={
        **fields, "capability": "coordination", "element": "training", "due_date": "2031-01-31"})
    assert (added.area, added.element, added.responsible_org_id, str(added.due_date)) == (
        "Contact list", "training", people.bank.id, "2031-01-31")
    worded = make.run(reports.save_action, actor=people.evaluator, report_id=draft.id, action_id=added.id,
                      fields={**fields, "capability": "Information Sharing"})
    assert worded.capability == "information-sharing"
    with pytest.raises(Invalid) as caught:
        make.run(reports.save_action, actor=people.director, report_id=draft.id, fields={
            "area": "", "capability": "telepathy", "element": "luck", "responsible_org_id": 99999,
            "start_date": "2031-02-01", "due_date": "2031-01-01"})
    assert set(caught.value.fields) == {"area", "capability", "element", "responsible_org_id", "due_date"}
    with pytest.raises(NotFound):
        make.run(reports.save_section, actor=people.director, report_id=draft.id, key="appendix", body="x",
                 base_version=1)


def test_a_stale_save_raises_section_conflict_with_the_other_text_and_writes_nothing(app, make, people, draft):
    loaded = section(draft, "executive_summary").version  # both open the editor at version 1
    make.run(reports.save_section, actor=people.evaluator, report_id=draft.id, key="executive_summary",
             body="Evaluator's summary", base_version=loaded)
    with pytest.raises(reports.SectionConflict) as caught:
        make.run(reports.save_section, actor=people.director, report_id=draft.id, key="executive_summary",
                 body="Director's summary", base_version=loaded)
    assert caught.value.current == {"body": "Evaluator's summary", "version": 2, "updated_by": "Eve Evaluator"}
    assert isinstance(caught.value, Conflict) and "Eve Evaluator saved this section" in caught.value.message
    stored = section(load(app, draft.id), "executive_summary")
    assert (stored.body, stored.version, stored.updated_by_id) == ("Evaluator's summary", 2, people.evaluator.id)
    assert audit_actions(app, draft.id) == ["report.start", "report.section_save"]
    with pytest.raises(Invalid):
        make.run(reports.save_section, actor=people.director, report_id=draft.id, key="executive_summary",
                 body="No version", base_version="2")
    # Merged over the version they were shown: saved.
    merged = make.run(reports.save_section, actor=people.director, report_id=draft.id, key="executive_summary",
                      body="Evaluator's summary\n\nDirector's summary", base_version=2)
    assert merged.version == 3


def test_submitting_needs_named_active_reviewers(app, make, people, draft):
    for emails in ([], None, ["nobody@example.org"], "outsider@bank.example"):
        with pytest.raises(Invalid) as caught:
            make.run(reports.submit, actor=people.director, report_id=draft.id, reviewer_emails=emails)
        assert "reviewers" in caught.value.fields
    with pytest.raises(NotFound):  # cannot read the draft
        make.run(reports.submit, actor=people.player_a, report_id=draft.id, reviewer_emails=[people.outsider.email])
    assert load(app, draft.id).status == "draft"
    submitted = make.run(reports.submit, actor=people.director, report_id=draft.id,
                         reviewer_emails=[people.outsider.email, people.observer.email])
    assert submitted.status == "review" and submitted.submitted_at is not None
    assert {(r.user_id, r.org_id, r.state) for r in load(app, draft.id).reviewers} == {
        (people.outsider.id, people.bank.id, "pending"), (people.observer.id, people.telco.id, "pending")}
    with pytest.raises(Conflict, match="Only a draft"):
        make.run(reports.submit, actor=people.director, report_id=draft.id, reviewer_emails=[people.outsider.email])
    assert audit_rows(app, "report.submit")[0]["details"] == {
        "reviewers": [people.outsider.email, people.observer.email]}


def test_comments_are_threaded_and_only_reviewers_and_authors_comment(app, make, people, draft):
    make.run(reports.submit, actor=people.director, report_id=draft.id, reviewer_emails=[people.outsider.email])
    first = make.run(reports.comment, actor=people.outsider, report_id=draft.id, section_key="metrics",
                     body="Why is inject 3 **missed**?")
    reply = make.run(reports.comment, actor=people.director, report_id=draft.id, section_key="metrics",
                     body="Nobody on the bank team took the call.", parent_id=first.id)
    answer = make.run(reports.comment, actor=people.evaluator, report_id=draft.id, section_key="metrics",
                      body="Confirmed in my notes.", parent_id=reply.id)
    thread = read(app, lambda s: [(c.id, c.parent_id, c.author_id, c.section_key)
                                  for c in reports.comments_of(s, s.get(Report, draft.id))])
    assert thread == [(first.id, None, people.outsider.id, "metrics"), (reply.id, first.id, people.director.id,
                                                                        "metrics"),
                      (answer.id, reply.id, people.evaluator.id, "metrics")]
    assert first.body_html == "<p>Why is inject 3 <strong>missed</strong>?</p>"
    for who in (people.player_a, people.controller):  # cannot read the draft at all
        with pytest.raises(NotFound):
            make.run(reports.comment, actor=who, report_id=draft.id, section_key="metrics", body="Me too")
    for bad in ({"section_key": "appendix", "body": "x"}, {"section_key": "metrics", "body": "  "},
                {"section_key": "metrics", "body": "x", "parent_id": 99999}):
        with pytest.raises(Invalid):
            make.run(reports.comment, actor=people.outsider, report_id=draft.id, **bad)
    other = load(app, start(make, people.director, closed_incident(make, people.director, orgs=(people.bank,)).id).id)
    foreign = make.run(reports.comment, actor=people.director, report_id=other.id, section_key="overview",
                       body="On the other report")
    with pytest.raises(Invalid, match="not saved"):
        make.run(reports.comment, actor=people.outsider, report_id=draft.id, section_key="metrics", body="x",
                 parent_id=foreign.id)
    assert count(app, ReportComment, ReportComment.report_id == draft.id) == 3
    assert [r["details"]["comment_id"] for r in audit_rows(app, "report.comment")] == [
        first.id, reply.id, answer.id, foreign.id]


def test_a_reviewer_asking_for_changes_sends_the_report_back_to_draft(app, make, people, draft):
    reviewers = [people.outsider.email, people.observer.email]
    make.run(reports.submit, actor=people.director, report_id=draft.id, reviewer_emails=reviewers)
    with pytest.raises(Forbidden, match="named reviewers"):
        make.run(reports.review, actor=people.evaluator, report_id=draft.id, decision="approve")
    with pytest.raises(Invalid) as caught:
        make.run(reports.review, actor=people.observer, report_id=draft.id, decision="changes", note=" ")
    assert "note" in caught.value.fields
    with pytest.raises(Invalid):
        make.run(reports.review, actor=people.observer, report_id=draft.id, decision="maybe")
    make.run(reports.review, actor=people.outsider, report_id=draft.id, decision="approve", note="Fine for us.")
    back = make.run(reports.review, actor=people.observer, report_id=draft.id, decision="changes",
                    note="The telco timeline is missing the SMS outage.")
    assert back.status == "draft"
    states = {r.user_id: (r.state, r.note) for r in load(app, draft.id).reviewers}
    assert states == {people.outsider.id: ("approved", "Fine for us."),
                      people.observer.id: ("changes_requested", "The telco timeline is missing the SMS outage.")}
    with pytest.raises(Conflict, match="not in review"):
        make.run(reports.review, actor=people.outsider, report_id=draft.id, decision="approve")
    with pytest.raises(Conflict, match="Send the report for review"):
        make.run(reports.publish, actor=people.director, report_id=draft.id, override_reason="Anyway")
    # Editable again; a new submission asks every reviewer afresh.
    write(make, people.director, draft.id, "timeline", section(draft, "timeline").body + "\n| T+00:31:00 | SMS |")
    make.run(reports.submit, actor=people.director, report_id=draft.id, reviewer_emails=reviewers)
    assert {r.state for r in load(app, draft.id).reviewers} == {"pending"}
    assert [r["details"]["decision"] for r in audit_rows(app, "report.review")] == ["approve", "changes"]


def test_publishing_is_the_directors_and_needs_every_organisations_sign_off_or_a_reason(app, make, people, draft):
    with pytest.raises(Conflict, match="Send the report for review"):
        make.run(reports.publish, actor=people.director, report_id=draft.id)
    make.run(reports.submit, actor=people.director, report_id=draft.id,
             reviewer_emails=[people.outsider.email, people.observer.email])
    make.run(reports.review, actor=people.outsider, report_id=draft.id, decision="approve")  # the bank signs off
    for who in (people.evaluator, people.outsider):  # an author, a reviewer: neither publishes
        with pytest.raises(Forbidden, match="director"):
            make.run(reports.publish, actor=who, report_id=draft.id, override_reason="Please")
    with pytest.raises(Conflict) as caught:
        make.run(reports.publish, actor=people.director, report_id=draft.id, override_reason="   ")
    assert TELCO in caught.value.message and BANK not in caught.value.message
    assert load(app, draft.id).status == "review" and audit_rows(app, "report.publish") == []
    assert all(a.number is None for a in actions_of(app, draft.id))
    reason = "The telecom reviewer is on leave; the telco CERT head agreed by phone."
    published = make.run(reports.publish, actor=people.director, report_id=draft.id, override_reason=reason)
    assert (published.status, published.override_reason, published.published_by_id) == (
        "published", reason, people.director.id)
    assert published.published_at is not None
    assert load(app, draft.id).override_reason == reason
    [row] = audit_rows(app, "report.publish")
    assert row["actor_id"] == people.director.id and row["target_id"] == str(draft.id)
    assert row["details"] == {"version": 1, "missing_signoffs": [TELCO], "override_reason": reason}
    assert sorted(a.number for a in actions_of(app, draft.id)) == sorted(a.id for a in actions_of(app, draft.id))


def test_a_reason_is_not_recorded_when_every_organisation_signed_off(app, make, people, draft):
    make.run(reports.submit, actor=people.director, report_id=draft.id,
             reviewer_emails=[people.outsider.email, people.observer.email])
    for who in (people.outsider, people.observer):
        make.run(reports.review, actor=who, report_id=draft.id, decision="approve")
    published = make.run(reports.publish, actor=people.director, report_id=draft.id, override_reason="Not needed")
    assert (published.status, published.override_reason) == ("published", "")
    assert audit_rows(app, "report.publish")[0]["details"]["missing_signoffs"] == []


def test_every_step_writes_its_audit_row(app, make, people, draft):
    write(make, people.director, draft.id, "executive_summary", "What happened.")
    make.run(reports.set_title, actor=people.director, report_id=draft.id, title="AAR: cohort A", tlp="GREEN")
    make.run(reports.save_action, actor=people.director, report_id=draft.id, fields={"area": "Contact list"})
    make.run(reports.submit, actor=people.director, report_id=draft.id, reviewer_emails=[people.observer.email])
    make.run(reports.comment, actor=people.observer, report_id=draft.id, section_key="overview", body="Typo")
    make.run(reports.review, actor=people.observer, report_id=draft.id, decision="changes", note="Fix the typo")
    make.run(reports.submit, actor=people.director, report_id=draft.id, reviewer_emails=[people.observer.email])
    make.run(reports.review, actor=people.observer, report_id=draft.id, decision="approve")
    make.run(reports.publish, actor=people.director, report_id=draft.id, override_reason="Bank reviewer absent")
    copy = make.run(reports.revise, actor=people.evaluator, report_id=draft.id)
    assert audit_actions(app, draft.id) == [
        "report.start", "report.section_save", "report.update", "report.action_save", "report.submit",
        "report.comment", "report.review", "report.submit", "report.review", "report.publish"]
    assert audit_actions(app, copy.id) == ["report.revise"]
    assert audit_rows(app, "report.update")[0]["details"] == {"tlp": "GREEN"}
    assert audit_rows(app, "report.revise")[0]["details"] == {"from": draft.id, "version": 2}


def test_the_title_and_marking_of_an_incident_report_are_never_looser_than_its_room(app, make, people):
    room = closed_incident(make, people.director, orgs=(people.bank,), tlp="AMBER")
    report = start(make, people.director, room.id)
    with pytest.raises(Invalid) as caught:
        make.run(reports.set_title, actor=people.director, report_id=report.id, title="AAR", tlp="GREEN")
    assert "tlp" in caught.value.fields
    with pytest.raises(Invalid):
        make.run(reports.set_title, actor=people.director, report_id=report.id, title=" ", tlp="RED")
    assert make.run(reports.set_title, actor=people.director, report_id=report.id, title="AAR",
                    tlp="RED").tlp == "RED"


# --- after publication ------------------------------------------------------------------------

@pytest.fixture
def published(app, make, people, draft):
    write(make, people.director, draft.id, "executive_summary", "Old line\nKeep this line")
    make.run(reports.set_title, actor=people.director, report_id=draft.id, title="AAR: cohort A", tlp="GREEN")
    publish_through_review(make, people.director, draft.id, [people.outsider, people.observer])
    return load(app, draft.id)


def test_a_published_report_is_immutable(app, make, people, published):
    before = [(a.id, a.area, a.action, a.number) for a in actions_of(app, published.id)]
    ca = actions_of(app, published.id)[0]
    attempts = [
        (reports.save_section, {"key": "executive_summary", "body": "Rewritten", "base_version": 2}),
        (reports.save_action, {"fields": {"area": "New area"}}),
        (reports.save_action, {"fields": {"area": "Changed area"}, "action_id": ca.id}),
        (reports.delete_action, {"action_id": ca.id}),
        (reports.set_title, {"title": "Renamed", "tlp": "GREEN"}),
        (reports.comment, {"section_key": "overview", "body": "Late remark"}),
    ]
    for fn, kwargs in attempts:
        with pytest.raises(Conflict, match="immutable"):
            make.run(fn, actor=people.director, report_id=published.id, **kwargs)
    with pytest.raises(Conflict, match="not in review"):
        make.run(reports.review, actor=people.outsider, report_id=published.id, decision="changes", note="x")
    # A GREEN report reads for everyone; commenting stays with its reviewers and authors.
    with pytest.raises(Forbidden):
        make.run(reports.comment, actor=people.player_b, report_id=published.id, section_key="overview", body="x")
    after = load(app, published.id)
    assert [(s.key, s.body, s.version) for s in after.sections] == [
        (s.key, s.body, s.version) for s in published.sections]
    assert (after.title, after.status) == ("AAR: cohort A", "published")
    assert [(a.id, a.area, a.action, a.number) for a in actions_of(app, published.id)] == before
    assert len(before) == 2 and count(app, ReportComment) == 0


def test_a_revision_is_version_two_as_a_draft_and_version_one_stays(app, make, people, published):
    with pytest.raises(Forbidden):  # a reader, not an author
        make.run(reports.revise, actor=people.player_a, report_id=published.id)
    copy = make.run(reports.revise, actor=people.director, report_id=published.id)
    assert (copy.version, copy.status, copy.family_id, copy.previous_id, copy.title, copy.tlp) == (
        2, "draft", published.id, published.id, "AAR: cohort A", "GREEN")
    v2 = load(app, copy.id)
    assert [(s.key, s.body) for s in v2.sections] == [(s.key, s.body) for s in published.sections]
    write(make, people.director, copy.id, "executive_summary", "New line\nKeep this line")
    make.run(reports.save_action, actor=people.director, report_id=copy.id, fields={"area": "Found in v2"})
    v1 = load(app, published.id)
    assert (v1.status, v1.version, section(v1, "executive_summary").body) == (
        "published", 1, "Old line\nKeep this line")
    assert section(load(app, copy.id), "executive_summary").body == "New line\nKeep this line"
    plan = read(app, lambda s: [a.area for a in reports.plan_of(s, s.get(Report, copy.id))])
    assert plan[-1] == "Found in v2" and len(plan) == 3  # v1's actions carry over into v2's plan
    assert read(app, lambda s: [a.area for a in reports.plan_of(s, s.get(Report, published.id))]) == plan[:2]
    with pytest.raises(Conflict, match="newer version"):
        make.run(reports.revise, actor=people.director, report_id=published.id)
    with pytest.raises(Conflict, match="Only a published report"):
        make.run(reports.revise, actor=people.director, report_id=copy.id)
    # The draft v2 is the authors' only: a GREEN reader sees v1 alone.
    assert make.run(lambda s: [r.version for r in reports.versions_of(
        s, s.merge(people.player_a), s.get(Report, published.id))]) == [1]
    assert make.run(lambda s: [r.version for r in reports.versions_of(
        s, s.merge(people.director), s.get(Report, published.id))]) == [1, 2]


def test_compare_shows_added_and_removed_lines_as_escaped_html(app, make, people, published):
    copy = make.run(reports.revise, actor=people.director, report_id=published.id)
    write(make, people.director, copy.id, "executive_summary", "<script>alert(1)</script>\nKeep this line")
    diff = read(app, lambda s: reports.compare(s.get(Report, published.id), s.get(Report, copy.id)))
    by_key = {d["key"]: d for d in diff}
    assert [k for k, d in by_key.items() if d["changed"]] == ["executive_summary"]
    changed = by_key["executive_summary"]["html"]
    assert '<span class="diff-del">-Old line</span>' in changed
    assert '<span class="diff-add">+&lt;script&gt;alert(1)&lt;/script&gt;</span>' in changed
    assert '<span class="diff-ctx"> Keep this line</span>' in changed
    assert "<script>" not in changed
    # The stored HTML of the section lost the script too (the one sanitiser).
    assert "<script" not in section(load(app, copy.id), "executive_summary").body_html


def test_compare_shows_every_removed_and_added_line_even_ones_that_look_like_diff_headers(app, make, people,
                                                                                        published):
    """A removed markdown rule (---) or an added "++" line is content, not a diff header."""
    copy = make.run(reports.revise, actor=people.director, report_id=published.id)
    write(make, people.director, copy.id, "executive_summary", "Intro\n---\n-- signed, the council\nEnd")
    make.run(reports.submit, actor=people.director, report_id=copy.id,
             reviewer_emails=[people.outsider.email, people.observer.email])
    for who in (people.outsider, people.observer):
        make.run(reports.review, actor=who, report_id=copy.id, decision="approve")
    make.run(reports.publish, actor=people.director, report_id=copy.id)
    v3 = make.run(reports.revise, actor=people.director, report_id=copy.id)
    write(make, people.director, v3.id, "executive_summary", "Intro\n++ added in v3\nEnd")
    diff = read(app, lambda s: reports.compare(s.get(Report, copy.id), s.get(Report, v3.id)))
    changed = next(d for d in diff if d["key"] == "executive_summary")["html"]
    assert '<span class="diff-del">----</span>' in changed
    assert '<span class="diff-del">--- signed, the council</span>' in changed
    assert '<span class="diff-add">+++ added in v3</span>' in changed
    assert changed.count("diff-del") == 2 and changed.count("diff-add") == 1


# --- what the draft takes from the record ---------------------------------------------------------

def test_a_decision_marked_stricter_than_the_room_stays_out_of_the_draft(app, make, people):
    """A RED decision of an AMBER room reaches only named members; the report is marked
    AMBER and read by every organisation below the room's, and by reviewers from anywhere."""
    from council.decisions import services as decisions

    room = closed_incident(make, people.director, orgs=(people.bank,), tlp="AMBER", close=False)
    proposed = make.run(post, actor=people.director, room_id=room.id, kind="decision", payload={
        "op": "propose", "title": "Pay the ransom through the broker", "tlp": "RED",
        "background": "Only the lead knows", "rule": "majority"})[0]
    decision_id = json.loads(proposed.data)["decision_id"]
    make.run(post, actor=people.director, room_id=room.id, kind="decision", payload={
        "op": "position", "decision_id": decision_id, "position": "support"})
    make.run(post, actor=people.director, room_id=room.id, kind="decision", payload={
        "op": "close", "decision_id": decision_id, "rationale": "Broker contacted at midnight"})
    make.run(post, actor=people.director, room_id=room.id, kind="status", payload={"status": "closed"})
    # The bank's other people see the room and its AMBER decision, not the RED one.
    seen = make.run(lambda s: [d.title for d, _r in decisions.register(s, actor=s.merge(people.outsider))])
    assert seen == ["Engage the national scrubbing centre"]
    report = load(app, start(make, people.director, room.id).id)
    text = "\n".join(s.body for s in report.sections)
    assert "Engage the national scrubbing centre" in text  # the room's own marking: in
    assert "Pay the ransom" not in text and "Broker contacted" not in text
    assert "Pay the ransom" not in report.data
    assert "**Decisions taken:** 1;" in section(report, "metrics").body
    # Published, the report is read by those the RED decision was kept from.
    publish_through_review(make, people.director, report.id, [people.outsider])
    read_by = make.run(lambda s: reports.get_report(s, s.merge(people.outsider), report.id).id)
    assert read_by == report.id

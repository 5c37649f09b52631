"""Drafting a report from the record: what happened, not what people remember.

Every section is markdown that authors edit afterwards; the figures behind
the charts are kept as data. Text that came from users (observations,
messages, titles) is escaped for markdown tables and passes through the one
sanitiser when the section is rendered.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from council.access import not_looser
from council.decisions.models import Decision
from council.labels import label
from council.orgs.models import TIERS
from council.reporting.queries import drill_incidents
from council.rooms.models import ActionItem, Room, RoomEvent
from council.timefmt import TIME, shown, zone_note
from exercises.models import Exercise, ExerciseInject, Observation
from exercises.runs.clock import format_t
from exercises.runs.figures import team_figures
from exercises.vocab import CAPABILITIES, RATINGS

TIMELINE_KINDS = ("inject", "ack", "response", "decision", "clock", "status", "timeline")


@dataclass
class Draft:
    sections: dict[str, str]
    data: dict[str, Any]
    actions: list[dict[str, Any]] = field(default_factory=list)  # suggested corrective actions


def cell(text: Any) -> str:
    """Text fit for one markdown table cell."""
    return " ".join(str(text or "").replace("|", "\\|").split())


def _orgs_by_tier(room: Room) -> str:
    lines = []
    for tier, tier_label in TIERS.items():
        names = sorted(o.org.name for o in room.orgs if o.org.tier == tier)
        if names:
            lines.append(f"- **{tier_label}s:** {', '.join(names)}")
    others = sorted(o.org.name for o in room.orgs if o.org.tier is None)
    if others:
        lines.append(f"- **Other bodies:** {', '.join(others)}")
    return "\n".join(lines)


# The report is marked as its room: a decision marked stricter than the room
# (and its events) stays out of the draft, as it stays out of the room for
# those who do not clear its marking.

def _events(session: Session, room: Room, kinds: tuple[str, ...]) -> list[RoomEvent]:
    rows = session.scalars(select(RoomEvent).where(RoomEvent.room_id == room.id, RoomEvent.kind.in_(kinds))
                           .order_by(RoomEvent.seq))
    return [e for e in rows if e.kind != "decision" or not_looser(room.tlp, json.loads(e.data).get("tlp") or room.tlp)]


def _decisions(session: Session, room: Room) -> list[Decision]:
    rows = session.scalars(select(Decision).where(Decision.room_id == room.id).order_by(Decision.id))
    return [d for d in rows if not_looser(room.tlp, d.tlp)]


def _decision_lines(decisions: list[Decision]) -> str:
    if not decisions:
        return "No decisions were recorded."
    rows = ["| # | Decision | Rule | Outcome | Rationale |", "|---|---|---|---|---|"]
    for d in decisions:
        outcome = (label(d.outcome, "decision_outcome") if d.outcome else "Open") + (
            f" ({d.chosen_option})" if d.chosen_option else "")
        rule = label(d.rule, "decision_rule")
        rows.append(f"| {d.id} | {cell(d.title)} | {rule} | {outcome} | {cell(d.rationale)} |")
    return "\n".join(rows)


def draft_exercise(session: Session, ex: Exercise, room: Room, zone: ZoneInfo) -> Draft:
    objectives = json.loads(ex.objectives)
    capabilities = json.loads(ex.capabilities)
    observations = list(session.scalars(select(Observation).where(Observation.exercise_id == ex.id)
                                        .order_by(Observation.t_plus_s)))
    teams = {t.id: t for t in ex.teams}
    injects = {i.msel_id: i for i in session.scalars(select(ExerciseInject).where(
        ExerciseInject.exercise_id == ex.id))}
    decisions = _decisions(session, room)

    def when(dt: datetime | None) -> str:
        return shown(dt, zone) or "—"

    overview = "\n\n".join([
        "**EXERCISE EXERCISE EXERCISE**",
        f"**Exercise:** {ex.title}  \n**Scenario:** {ex.scenario.title} (version {ex.scenario_version})  \n"
        f"**Threat:** {ex.scenario.threat or '—'}  \n**Dates:** {when(ex.started_at)} to {when(ex.ended_at)}  \n"
        f"**Times in:** {zone_note(zone, ex.started_at)}  \n"
        f"**Clock speed:** {ex.speed:g}×  \n**Marking:** TLP:{room.tlp}",
        "### Scope\n\n" + f"{len(injects)} injects planned for {len(ex.teams)} team(s): "
        + ", ".join(t.name for t in ex.teams) + ".",
        "### Participating organisations\n\n" + _orgs_by_tier(room),
        "### Scenario\n\n" + (ex.scenario.summary or "—"),
        "### Objectives\n\n" + ("\n".join(f"- **{o['id']}** {o['text']}" for o in objectives) or "—"),
        "### Capabilities\n\n" + (", ".join(CAPABILITIES.get(c, c) for c in capabilities) or "—"),
    ])

    analysis = _analysis(objectives, capabilities, observations)
    findings, suggested = _findings(objectives, observations, teams)

    # Timeline in exercise time: one row per released inject, with how each
    # team acknowledged and answered it; decisions, clock changes and the
    # messages evaluators tagged as evidence in between. Every point goes
    # into the chart.
    chart: list[dict[str, Any]] = []
    evidence = {x.evidence_seq for x in observations if x.evidence_seq}
    events = _events(session, room, TIMELINE_KINDS)
    texts: dict[int, str] = {}
    if evidence:  # chat is read only where evaluators tagged it; a redacted message never
        tagged = list(session.scalars(select(RoomEvent).where(
            RoomEvent.room_id == room.id, RoomEvent.kind == "message", RoomEvent.seq.in_(evidence),
            RoomEvent.redacted_seq.is_(None))))
        texts = _current_texts(session, room, tagged)
        events += tagged
        events.sort(key=lambda e: e.seq)
    parsed = [(ev, json.loads(ev.data)) for ev in events]
    answers: dict[int, dict[str, list[str]]] = defaultdict(lambda: {"ack": [], "response": []})
    for ev, data in parsed:
        if ev.kind in ("ack", "response") and (ev.kind == "ack" or data.get("first")):
            answers[data["inject_seq"]][ev.kind].append(f"{data.get('team')} {round(data.get('after_s', 0))} s")
    rows = ["| T+ | Event |", "|---|---|"]
    for ev, data in parsed:
        t = data.get("t_plus_s")
        if ev.kind == "message":
            line: str | None = f"Evidence (#{ev.seq}): {_one_line(texts.get(ev.seq, ev.body))}"
        else:
            line = _timeline_line(ev, data, teams)
        if line is None:
            continue
        chart.append({"t": t, "kind": ev.kind, "label": line[:80], "seq": ev.seq})
        if ev.kind in ("ack", "response"):
            continue
        if ev.kind == "inject":
            got = answers.get(ev.seq, {"ack": [], "response": []})
            line += (f" — acknowledged: {', '.join(got['ack']) or 'none'}; "
                     f"first responses: {', '.join(got['response']) or 'none'}")
        stamp = format_t(t) if t is not None else shown(ev.created_at, zone, TIME)
        rows.append(f"| {stamp} | {cell(line)} |")
    timeline = "\n".join(rows) if len(rows) > 2 else "Nothing was recorded."

    figures = team_figures(session, ex)
    metric_rows = ["| Team | Injects | Acknowledged | Responded | Missed | Ack median / max (s) | "
                   "First response median / max (s) |", "|---|---|---|---|---|---|---|"]
    for f in figures:
        metric_rows.append(f"| {cell(f.team)} | {f.addressed} | {f.acked} | {f.responded} | {f.missed} | "
                           f"{_num(f.ack_median_s)} / {_num(f.ack_max_s)} | "
                           f"{_num(f.response_median_s)} / {_num(f.response_max_s)} |")
    closed = [d for d in decisions if d.status == "closed"]
    metrics = ("\n".join(metric_rows) + f"\n\n**Decisions taken:** {len(closed)} "
               f"({sum(d.outcome == 'adopted' for d in closed)} adopted). "
               "Times are wall-clock seconds from an inject's release.\n\n### Reporting up the tiers\n\n"
               + _reporting_lines(session, ex, room) + "\n\n### Decisions\n\n" + _decision_lines(decisions))

    people = ["| Name | Organisation | Role | Team |", "|---|---|---|---|"]
    for p in sorted(ex.people, key=lambda p: (p.role, p.user.name)):
        people.append(f"| {cell(p.user.name)} | {cell(p.user.org.name)} | {label(p.role, 'exercise_role')} | "
                      f"{cell(teams[p.team_id].name) if p.team_id else '—'} |")
    participants = _orgs_by_tier(room) + "\n\n" + "\n".join(people)

    data = {"kind": "exercise", "timeline": chart, "teams": [{
        "team": f.team, "ack_median_s": f.ack_median_s, "ack_max_s": f.ack_max_s,
        "response_median_s": f.response_median_s, "response_max_s": f.response_max_s, "missed": f.missed,
        "per_inject": f.per_inject} for f in figures]}
    return Draft({"overview": overview, "executive_summary": "", "analysis": analysis, "findings": findings,
                  "timeline": timeline, "metrics": metrics, "improvement_plan": "", "participants": participants},
                 data, suggested)


def _reporting_lines(session: Session, ex: Exercise, room: Room) -> str:
    """Each team's test incident stages: deadline and submission in exercise time, and
    whether the stage was in on time, late, or never (the chain was rehearsed or not)."""
    incidents = drill_incidents(session, room.id)
    if not incidents:
        return "No inject started a test incident."
    teams = {t.org_id: t.name for t in ex.teams if t.org_id is not None}
    rows = ["| Team | Incident | Stage | Deadline | Submitted | Result | Review |", "|---|---|---|---|---|---|---|"]
    for incident in incidents:
        for stage in incident.stages:
            submitted = stage.first_submitted_at is not None
            result = ("late" if stage.late else "on time") if submitted else (
                "not submitted (overdue)" if stage.overdue_at else "not submitted")
            review = label(stage.status, "stage_status") if stage.status in ("accepted", "revision") else "—"
            first_t = stage.first_submitted_t
            rows.append(
                f"| {cell(teams.get(incident.reporter_org_id, incident.reporter_org.name))} | "
                f"{cell(incident.ref)} {cell(incident.title)} | {cell(stage.regime.title)}: {cell(stage.title)} "
                f"({stage.hours:g} h) | {format_t(stage.due_t) if stage.due_t is not None else '—'} | "
                f"{format_t(first_t) if first_t is not None else '—'} | {result} | {review} |")
    on_time = sum(1 for i in incidents for s in i.stages if s.first_submitted_at is not None and not s.late)
    total = sum(len(i.stages) for i in incidents)
    return "\n".join(rows) + f"\n\n**Stages in on time:** {on_time} of {total}. Deadlines count in exercise time."


def _analysis(objectives: list[dict[str, str]], capabilities: list[str], observations: list[Observation]) -> str:
    """The ratings grid: one row per objective (its whole text: the reader judges the
    ratings against it), one column per capability. A grid of empty cells says
    nothing and costs a page, so then one line says so instead."""
    if not objectives:
        return "No objectives were set."
    cols = capabilities or sorted({o.capability for o in observations if o.capability})
    by_cell: dict[tuple[str, str], list[str]] = defaultdict(list)
    for o in observations:
        by_cell[(o.objective_id, o.capability)].append(o.rating)
    if not any(by_cell.get((o["id"], c)) for o in objectives for c in cols):
        return "No observations were rated against objectives and capabilities."
    rows = ["| Objective | " + " | ".join(CAPABILITIES.get(c, c) for c in cols) + " |", "|---|" + "---|" * len(cols)]
    for o in objectives:
        rows.append(f"| **{o['id']}** {cell(o['text'])} | "
                    + " | ".join(", ".join(by_cell.get((o["id"], c), [])) or "—" for c in cols) + " |")
    return ("Ratings by the evaluators: " + "; ".join(f"**{k}** {v}" for k, v in RATINGS.items())
            + ".\n\n" + "\n".join(rows))


def _findings(objectives: list[dict[str, str]], observations: list[Observation],
              teams: dict[int, Any]) -> tuple[str, list[dict[str, Any]]]:
    """Strengths and areas for improvement per objective, as the evaluators filed
    each observation (not by its rating: "S" may come with a criticism), and a
    corrective action suggested for every area for improvement."""
    parts: list[str] = []
    suggested: list[dict[str, Any]] = []
    for o in objectives or [{"id": "", "text": "General"}]:
        mine = [x for x in observations if x.objective_id == o["id"]]
        strengths = [x for x in mine if x.finding == "strength"]
        areas = [x for x in mine if x.finding == "improvement"]
        part = [f"### {o['id']} {o['text']}".strip()]
        part.append("**Strengths**\n\n" + ("\n".join(f"- {_one_line(x.body)} ({_ref(x, teams)})" for x in strengths)
                                           or "- None recorded."))
        area_text = []
        for x in areas:
            area_text.append(f"- **Observation:** {_one_line(x.body)}  \n  **Reference:** {_ref(x, teams)}  \n"
                             "  **Analysis / root cause:** ")
            team = teams.get(x.team_id) if x.team_id else None
            suggested.append({"area": _one_line(x.body), "capability": x.capability,
                              "responsible_org_id": team.org_id if team else None})
        part.append("**Areas for improvement**\n\n" + ("\n".join(area_text) or "- None recorded."))
        parts.append("\n\n".join(part))
    return "\n\n".join(parts), suggested


def draft_incident(session: Session, room: Room, zone: ZoneInfo) -> Draft:
    decisions = _decisions(session, room)
    actions = list(session.scalars(select(ActionItem).where(ActionItem.room_id == room.id).order_by(ActionItem.id)))
    events = _events(session, room, ("timeline", "status", "decision", "sitrep", "message", "action"))
    closed_at = next((e.created_at for e in reversed(events) if e.kind == "status"
                      and json.loads(e.data).get("changes", {}).get("status", [None, None])[1] == "closed"), None)

    def when(dt: datetime | None) -> str:
        return shown(dt, zone) or "—"

    overview = "\n\n".join([
        f"**Incident:** {room.title}  \n**Dates:** {when(room.created_at)} to {when(closed_at)}  \n"
        f"**Times in:** {zone_note(zone, room.created_at)}  \n"
        f"**Severity:** {room.severity}  \n**Marking:** TLP:{room.tlp}",
        "### Participating organisations\n\n" + _orgs_by_tier(room),
        "### Summary\n\n" + (room.summary or "—"),
    ])
    done = [a for a in actions if a.status == "done"]
    action_rows = ["| Action | Assigned to | Due | Status |", "|---|---|---|---|"] + [
        f"| {cell(a.title)} | {cell(a.assignee_org.name if a.assignee_org else '—')} | "
        f"{when(a.due_at) if a.due_at else '—'} | {label(a.status, 'action_status')} |" for a in actions]
    analysis = ("### Decisions\n\n" + _decision_lines(decisions) + "\n\n### Action items\n\n"
                + ("\n".join(action_rows) if actions else "No action items were recorded."))
    sitreps: dict[str, int] = defaultdict(int)
    messages: dict[str, int] = defaultdict(int)
    for ev in events:
        if ev.kind == "sitrep":
            sitreps[json.loads(ev.data).get("org", "")] += 1
        elif ev.kind == "message" and ev.author is not None:
            messages[ev.author.org.name] += 1
    areas = []
    late = [a for a in actions if a.status not in ("done", "cancelled")]
    if late:
        areas.append(f"- **Observation:** {len(late)} action item(s) were still open when the room closed: "
                     + "; ".join(cell(a.title) for a in late) + "  \n  **Reference:** action items  \n"
                     "  **Analysis / root cause:** ")
    silent = [o.org.name for o in room.orgs if not sitreps.get(o.org.name)]
    if room.sitrep_cadence_min and silent:
        areas.append(f"- **Observation:** no situation report from {', '.join(silent)}  \n"
                     "  **Reference:** sitrep panel  \n  **Analysis / root cause:** ")
    unresolved = [d for d in decisions if d.outcome == "no_quorum"]
    if unresolved:
        areas.append("- **Observation:** decisions closed without quorum: "
                     + "; ".join(cell(d.title) for d in unresolved) + "  \n  **Reference:** decision log  \n"
                     "  **Analysis / root cause:** ")
    findings = ("**Strengths**\n\n- \n\n**Areas for improvement**\n\n" + ("\n".join(areas) or "- None recorded."))
    # In the order things happened: a timeline entry is often written after the
    # fact (its occurred_at), decisions and status changes when they were posted.
    entries = []
    for ev in events:
        data = json.loads(ev.data)
        if ev.kind == "timeline":
            at = datetime.fromisoformat(data["occurred_at"].replace("Z", "+00:00"))
            line = f"[{data.get('category')}] {_one_line(ev.body)}"
        elif ev.kind in ("status", "decision"):
            at, line = ev.created_at, _timeline_line(ev, data, {})
        else:
            continue
        if line:
            entries.append((at, ev.seq, ev.kind, line))
    entries.sort(key=lambda entry: (entry[0], entry[1]))
    rows = ["| Time | Event |", "|---|---|"] + [f"| {when(at)} | {cell(line)} |" for at, _seq, _kind, line in entries]
    chart = [{"at": at.isoformat(), "kind": kind, "label": line[:80], "seq": seq} for at, seq, kind, line in entries]
    timeline = "\n".join(rows) if len(rows) > 2 else "Nothing was recorded."
    per_org = ["| Organisation | Sitreps | Messages | Actions assigned | Actions done |", "|---|---|---|---|---|"]
    for link in sorted(room.orgs, key=lambda o: o.org.name):
        name = link.org.name
        assigned = [a for a in actions if a.assignee_org_id == link.org_id]
        per_org.append(f"| {cell(name)} | {sitreps.get(name, 0)} | {messages.get(name, 0)} | {len(assigned)} | "
                       f"{sum(a.status == 'done' for a in assigned)} |")
    metrics = ("\n".join(per_org) + f"\n\n**Decisions taken:** {sum(d.status == 'closed' for d in decisions)}; "
               f"**action items done:** {len(done)} of {len(actions)}.")
    people = ["| Name | Organisation | Room role |", "|---|---|---|"] + [
        f"| {cell(m.user.name)} | {cell(m.user.org.name)} | {label(m.role, 'room_role')} |"
        for m in sorted(room.members, key=lambda m: m.user.name)]
    participants = _orgs_by_tier(room) + "\n\n" + "\n".join(people)
    suggested = [{"area": _one_line(a.title), "capability": "coordination", "responsible_org_id": a.assignee_org_id}
                 for a in late]
    return Draft({"overview": overview, "executive_summary": "", "analysis": analysis, "findings": findings,
                  "timeline": timeline, "metrics": metrics, "improvement_plan": "", "participants": participants},
                 {"kind": "incident", "timeline": chart, "orgs": [
                     {"org": o.org.name, "sitreps": sitreps.get(o.org.name, 0)} for o in room.orgs]}, suggested)


def _current_texts(session: Session, room: Room, messages: list[RoomEvent]) -> dict[int, str]:
    """The latest text of each edited message (as the room shows it)."""
    edits = {m.seq: m.edited_seq for m in messages if m.edited_seq is not None}
    if not edits:
        return {}
    bodies = dict(session.execute(select(RoomEvent.seq, RoomEvent.body).where(
        RoomEvent.room_id == room.id, RoomEvent.seq.in_(edits.values()))).all())
    return {seq: bodies[edit] for seq, edit in edits.items() if edit in bodies}


def _timeline_line(ev: RoomEvent, data: dict[str, Any], teams: dict[int, Any]) -> str | None:
    if ev.kind == "inject":
        return f"Inject {data.get('msel_id')} released: {data.get('title')} (to {data.get('to')})"
    if ev.kind == "ack":
        return f"{data.get('team')} acknowledged inject {data.get('msel_id')} after {round(data.get('after_s', 0))} s"
    if ev.kind == "response":
        return (f"{data.get('team')} responded to inject {data.get('msel_id')}: {_one_line(ev.body)}"
                if data.get("first") else None)
    if ev.kind == "decision":
        op, title = data.get("op"), data.get("decision", {}).get("title", "")
        if op in ("proposed", "superseded"):
            return f"Decision proposed: {title}"
        if op == "closed":
            return f"Decision {label(data.get('outcome'), 'decision_outcome').lower()}: {title}"
        return None
    if ev.kind == "clock":
        return {"start": "STARTEX", "pause": "Exercise paused", "resume": "Exercise resumed", "end": "ENDEX",
                "stop": "Real-world emergency stop"}.get(data.get("op"), data.get("op"))
    if ev.kind == "status":
        changes = data.get("changes", {})
        if data.get("op") == "opened":
            return "Room opened"
        shown_changes = {k: v for k, v in changes.items() if k in ("status", "severity", "tlp")}
        return "; ".join(f"{label(k, 'field').lower()} {_word(k, v[0])} → {_word(k, v[1])}"
                         for k, v in shown_changes.items()) or None
    if ev.kind == "timeline":
        return f"[{data.get('category')}] {_one_line(ev.body)}"
    return None


def _word(field: str, value: Any) -> str:
    if field == "tlp":
        return f"TLP:{value}"
    return label(value, {"status": "room_status", "severity": "severity"}[field])


def _one_line(text: str, limit: int = 400) -> str:
    flat = " ".join((text or "").split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def _ref(o: Observation, teams: dict[int, Any]) -> str:
    parts = [format_t(o.t_plus_s)]
    if o.msel_id:
        parts.append(f"inject {o.msel_id}")
    if o.team_id and o.team_id in teams:
        parts.append(teams[o.team_id].name)
    if o.evidence_seq:
        parts.append(f"event #{o.evidence_seq}")
    parts.append(f"rated {o.rating} by {o.evaluator.name}")
    return ", ".join(parts)


def _num(value: float | None) -> str:
    return "—" if value is None else f"{value:.0f}"

"""REST of the council as a body (under /api/v1/council…, declared with its shapes)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint

from council.api.auth import api_user, authenticate
from council.api.contract import endpoint
from council.extensions import settings
from council.governance import acts, crisis, meetings, minutes, seats
from council.governance import shapes as s
from council.governance.offices import current_seats
from council.web import commit, db

bp = Blueprint("governance_api", __name__, url_prefix="/api/v1")
bp.before_request(authenticate)


def levels_json() -> list[dict[str, Any]]:
    return [{"level": r.level, "name": r.name, "description": r.description, "requires_room": r.requires_room,
             "sitrep_cadence_min": r.sitrep_cadence_min} for r in crisis.levels(db())]


@endpoint(bp, "/council", "GET", responses={200: s.Council},
          summary="The council today: its current seats (offices, terms, representatives) and the crisis level")
def council() -> Any:
    return {"seats": [seats.seat_json(x) for x in current_seats(db())],
            "crisis_level": crisis.current(db()).as_dict(), "levels": levels_json()}


@endpoint(bp, "/council/seats", "GET", responses={200: s.Seats},
          summary="The register of members with its history: every term ever held, newest first")
def seat_history() -> Any:
    return {"seats": [seats.seat_json(x) for x in seats.history(db())]}


def _reps(items: list[s.Representative] | None) -> list[tuple[int, str]] | None:
    return None if items is None else [(r.user_id, r.role) for r in items]


@endpoint(bp, "/council/seats", "POST", body=s.NewSeat, responses={201: s.SeatOut},
          summary="Seat an organisation in an office for a term (the secretary)", refusal="The seat was not saved.")
def create_seat(data: s.NewSeat) -> Any:
    seat = seats.create_seat(db(), actor=api_user(), org_id=data.org_id, office=data.office, label=data.label,
                             term_start=data.term_start, term_end=data.term_end,
                             representatives=_reps(data.representatives) or [])
    commit()
    return seats.seat_json(seat), 201


@endpoint(bp, "/council/seats/<int:seat_id>", "PATCH", body=s.SeatChange, responses={200: s.SeatOut},
          summary="End or extend a term, relabel it, or change its representatives (the secretary)",
          refusal="The seat was not saved.")
def update_seat(seat_id: int, data: s.SeatChange) -> Any:
    given = data.given()
    seat = seats.update_seat(db(), actor=api_user(), seat_id=seat_id,
                             term_end=given.get("term_end", ...), label=data.label,
                             representatives=_reps(data.representatives))
    commit()
    return seats.seat_json(seat)


@endpoint(bp, "/council/meetings", "POST", body=s.NewMeeting, responses={201: s.Created},
          summary="Convene a meeting with its own room (the secretary or the chair)",
          refusal="The meeting was not convened.")
def convene(data: s.NewMeeting) -> Any:
    meeting = meetings.convene(db(), actor=api_user(), title=data.title, kind=data.kind,
                               starts_at=meetings.parse_start(data.starts_at, data.tz),
                               agenda=[a.given() for a in data.agenda], tlp=data.tlp)
    commit()
    return {"id": meeting.id, "room_id": meeting.room_id}, 201


@endpoint(bp, "/council/meetings", "GET", responses={200: s.Meetings},
          summary="Meetings whose rooms the caller may see, newest first")
def list_meetings() -> Any:
    user = api_user()
    return {"meetings": [meetings.meeting_json(db(), m, r, user) for m, r in meetings.list_meetings(db(), user)]}


@endpoint(bp, "/council/meetings/<int:meeting_id>", "GET", responses={200: s.MeetingOut},
          summary="One meeting: agenda, attendance per seat and quorum (404 unless its room is visible)")
def get_meeting(meeting_id: int) -> Any:
    meeting, room, _role = meetings.load_meeting(db(), api_user(), meeting_id)
    return meetings.meeting_json(db(), meeting, room, api_user())


@endpoint(bp, "/council/meetings/<int:meeting_id>/attendance", "POST", body=s.AttendanceIn,
          responses={200: s.MeetingOut}, summary="Record a seat present or absent, and who sits in it (the secretary)",
          refusal="Attendance was not recorded.")
def attendance(meeting_id: int, data: s.AttendanceIn) -> Any:
    meetings.record_attendance(db(), actor=api_user(), meeting_id=meeting_id, org_id=data.org_id,
                               present=data.present, user_id=data.user_id)
    commit()
    meeting, room, _role = meetings.load_meeting(db(), api_user(), meeting_id)
    return meetings.meeting_json(db(), meeting, room, api_user())


@endpoint(bp, "/council/meetings/<int:meeting_id>/close", "POST", responses={200: s.MeetingOut},
          summary="Close the meeting (the secretary or chair); its minutes can then be drafted")
def close_meeting(meeting_id: int) -> Any:
    meeting = meetings.close_meeting(db(), actor=api_user(), meeting_id=meeting_id)
    commit()
    meeting, room, _role = meetings.load_meeting(db(), api_user(), meeting.id)
    return meetings.meeting_json(db(), meeting, room, api_user())


@endpoint(bp, "/council/meetings/<int:meeting_id>/minutes", "POST", responses={201: s.MinutesOut},
          summary="Draft (or redraft, while a draft) the minutes from the meeting's record (the secretary)")
def draft_minutes(meeting_id: int) -> Any:
    row = minutes.draft(db(), actor=api_user(), meeting_id=meeting_id)
    commit()
    row, _meeting, room = minutes.load_minutes(db(), api_user(), row.id)
    return minutes.minutes_json(row, room), 201


@endpoint(bp, "/council/minutes/<int:minutes_id>", "GET", responses={200: s.MinutesOut},
          summary="Minutes (404 unless the meeting's room is visible)")
def get_minutes(minutes_id: int) -> Any:
    row, _meeting, room = minutes.load_minutes(db(), api_user(), minutes_id)
    return minutes.minutes_json(row, room)


@endpoint(bp, "/council/minutes/<int:minutes_id>", "PUT", body=s.MinutesEdit, responses={200: s.MinutesOut},
          summary="Edit draft minutes (version: the one you read; adopted minutes never change)",
          refusal="The minutes were not saved.")
def edit_minutes(minutes_id: int, data: s.MinutesEdit) -> Any:
    minutes.edit(db(), actor=api_user(), minutes_id=minutes_id, body=data.body, version=data.version)
    commit()
    row, _meeting, room = minutes.load_minutes(db(), api_user(), minutes_id)
    return minutes.minutes_json(row, room)


@endpoint(bp, "/council/minutes/<int:minutes_id>/propose", "POST", body=s.MinutesProposal,
          responses={201: s.MinutesOut}, summary="Put the minutes before a later meeting for adoption (a decision)",
          refusal="The minutes were not put forward.")
def propose_minutes(minutes_id: int, data: s.MinutesProposal) -> Any:
    minutes.propose_adoption(db(), actor=api_user(), minutes_id=minutes_id, at_meeting_id=data.meeting_id)
    commit()
    row, _meeting, room = minutes.load_minutes(db(), api_user(), minutes_id)
    return minutes.minutes_json(row, room), 201


@endpoint(bp, "/council/crisis-level", "GET", responses={200: s.CrisisHistory},
          summary="The national crisis level now and its changes, newest first")
def crisis_history() -> Any:
    return {"current": crisis.current(db()).as_dict(),
            "changes": [crisis.change_json(db(), row) for row in crisis.history(db())]}


@endpoint(bp, "/council/crisis-level", "POST", body=s.CrisisChangeIn, responses={201: s.CrisisChangeOut},
          summary="Change the level provisionally (the chair; an exercise's controllers for its own level); "
                  "a council decision must ratify it in time", refusal="The crisis level was not changed.")
def set_crisis_level(data: s.CrisisChangeIn) -> Any:
    row = crisis.set_provisional(db(), actor=api_user(), level=data.level, reason=data.reason,
                                 ratify_hours=settings().crisis_ratify_hours,
                                 exercise_room_id=data.exercise_room_id)
    commit()
    return crisis.change_json(db(), row), 201


@endpoint(bp, "/decisions/<int:decision_id>/follow-up", "POST", body=s.FollowUpIn, responses={201: s.FollowUpOut},
          summary="Record what became of an adopted recommendation (the secretary or chair)",
          refusal="The follow-up was not recorded.")
def follow_up(decision_id: int, data: s.FollowUpIn) -> Any:
    acts.record_outcome(db(), actor=api_user(), decision_id=decision_id, status=data.status,
                        decided_by=data.decided_by, decided_on=data.decided_on, note=data.note)
    commit()
    from council.decisions.models import Decision

    decision = db().get(Decision, decision_id)
    return {"decision_id": decision_id, **acts.follow_up_json(db(), decision)}, 201

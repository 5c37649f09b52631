"""REST of the directory and communication checks (under /api/v1, declared with its shapes)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint

from council.api.auth import api_user, authenticate
from council.api.contract import READ, endpoint
from council.db import utcnow
from council.directory import checks, roster, services
from council.directory import shapes as s
from council.web import commit, db

bp = Blueprint("directory_api", __name__, url_prefix="/api/v1")
bp.before_request(authenticate)


@endpoint(bp, "/directory", "GET", query=s.DirectoryQuery, responses={200: s.TeamsOut}, errors=(401, 422),
          summary="Every organisation's team record in FIRST's field names, with who is on duty now; "
                  "?q= searches names, constituency, e-mail and the people on duty")
def list_teams(args: s.DirectoryQuery) -> Any:
    return {"teams": [t.first() for t in services.list_teams(db(), api_user(), q=args.q)]}


@endpoint(bp, "/directory/<int:org_id>", "GET", responses={200: s.FirstTeamOut},
          summary="One organisation's team record (FIRST JSON, FIRST's own field names; council extras "
                  "prefixed -council-)")
def get_team(org_id: int) -> Any:
    return services.team_of(db(), api_user(), org_id).first()


@endpoint(bp, "/directory/import", "POST", body=s.import_body, responses={200: s.Imported},
          summary="Import FIRST team records (an array, or {\"teams\": [...]}); all or nothing, each problem "
                  "named by its row (teams.<n>.<field>, n from 0); platform admins, or an org admin for their "
                  "own organisation's record", refusal="Nothing was imported.")
def import_teams(data: Any) -> Any:
    teams = data if isinstance(data, list) else data.teams
    written = services.import_teams(db(), actor=api_user(), teams=teams)
    commit()
    return {"imported": len(written), "teams": [{"org_id": row.org_id, "short-team-name": row.short_team_name,
                                                  "created": created} for row, created in written]}


@endpoint(bp, "/directory/<int:org_id>/roster", "GET", responses={200: s.Roster},
          summary="The organisation's duty roster: shifts not yet over, two weeks ahead")
def get_roster(org_id: int) -> Any:
    now = utcnow()
    return {"org_id": org_id, "shifts": [roster.shift_json(x, now) for x in roster.roster(db(), org_id, now)]}


@endpoint(bp, "/directory/<int:org_id>/roster", "POST", body=s.NewShift, responses={201: s.ShiftOut},
          summary="Add a shift (the organisation's org admins, platform admins)", refusal="The shift was not saved.")
def add_shift(org_id: int, data: s.NewShift) -> Any:
    shift = roster.add_shift(db(), actor=api_user(), org_id=org_id, user_id=data.user_id, starts_at=data.starts_at,
                             ends_at=data.ends_at, note=data.note, tz=data.tz)
    commit()
    return roster.shift_json(shift, utcnow()), 201


@endpoint(bp, "/directory/<int:org_id>/roster/<int:shift_id>", "DELETE", responses={200: s.Removed},
          errors=(401, 403, 404), summary="Remove a shift (the organisation's org admins, platform admins)")
def remove_shift(org_id: int, shift_id: int) -> Any:
    roster.remove_shift(db(), actor=api_user(), org_id=org_id, shift_id=shift_id)
    commit()
    return {"removed": shift_id}


@endpoint(bp, "/comms-checks", "POST", body=s.NewCheck, responses={201: s.CheckStarted},
          summary="Start a communication check (the secretary or a platform admin of the national CERT: any "
                  "organisations; a sectoral or provincial CERT: within its tree); tells each duty contact",
          refusal="The check was not started.")
def start_check(data: s.NewCheck) -> Any:
    check, told = checks.start_check(db(), actor=api_user(), org_ids=data.orgs, hours=data.hours,
                                     message=data.message)
    commit()
    return {"id": check.id, "orgs": len(check.orgs), "told": told, "closes_at": check.closes_at.isoformat()}, 201


@endpoint(bp, "/comms-checks", "GET", query=s.ChecksQuery, responses={200: s.Checks}, errors=(*READ, 422),
          summary="The communication checks the caller sees, open first")
def list_checks(args: s.ChecksQuery) -> Any:
    user = api_user()
    return {"checks": [checks.brief_json(db(), c, user) for c in checks.list_checks(db(), user, status=args.status)]}


@endpoint(bp, "/comms-checks/<int:check_id>", "GET", responses={200: s.CheckOut},
          summary="Who answered and how fast (every organisation and the summary for the check's overseers; "
                  "a checked organisation's own row for its members)")
def get_check(check_id: int) -> Any:
    check, sight = checks.load_check(db(), api_user(), check_id)
    return checks.check_json(check, sight)


@endpoint(bp, "/comms-checks/<int:check_id>/answer", "POST", responses={200: s.Answered},
          summary="Answer for the caller's organisation (a member of a checked organisation); the first answer "
                  "counts, later ones get it back")
def answer(check_id: int) -> Any:
    row, first = checks.answer(db(), actor=api_user(), check_id=check_id)
    commit()
    return {**checks.row_json(row), "check_id": check_id, "first": first}


@endpoint(bp, "/comms-checks/<int:check_id>/close", "POST", responses={200: s.CheckOut},
          summary="Close the check (its starter's organisation, or another overseer)")
def close(check_id: int) -> Any:
    check = checks.close_check(db(), actor=api_user(), check_id=check_id)
    commit()
    check, sight = checks.load_check(db(), api_user(), check_id)
    return checks.check_json(check, sight)

"""Exercise event kinds on the room engine, and who sees what of them.

inject       released by controllers or the schedule (not postable); staff see
             every field, the teams it addresses see it without the
             controller-only fields, everyone else a stub
clock        STARTEX, pause, resume, ENDEX, stop (not postable)
ack          a player acknowledges an inject for their team
response     a player's response to an inject (markdown), for their team
observation  an evaluator's rated observation, a strength or an area for
             improvement; staff only
"""

from __future__ import annotations

import json
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from council.auth.models import User
from council.errors import Conflict, Forbidden, Invalid
from council.rooms.audience import redacted, register_provider, register_restriction
from council.rooms.models import Room, RoomEvent
from council.rooms.stream import Draft, KindSpec, PostContext, register_kind
from council.text import render_markdown
from exercises.models import ExerciseInject, Observation, Participant, TeamResponse
from exercises.runs import shapes
from exercises.runs.services import exercise_for_room, role_of, t_plus
from exercises.vocab import CAPABILITIES, CONTROLLER_ONLY, FINDING_BY_RATING, FINDINGS, RATINGS, STAFF, capability_slug


def _part(ctx: PostContext) -> Participant | None:
    ex = exercise_for_room(ctx.session, ctx.room.id)
    return role_of(ex, ctx.actor) if ex is not None else None


def _not_postable(_ctx: PostContext) -> str:
    return _("Injects and clock changes come from the exercise's controllers (use the exercise console or API).")


def _players_only(ctx: PostContext) -> str | None:
    part = _part(ctx)
    if part is None or part.role != "player" or part.team_id is None:
        return _("Only players of a team acknowledge and respond to injects.")
    ex = exercise_for_room(ctx.session, ctx.room.id)
    assert ex is not None
    if ex.state not in ("running", "paused"):
        return _("The exercise is not running.")
    return None


def _evaluators_only(ctx: PostContext) -> str | None:
    part = _part(ctx)
    if part is None or part.role not in ("evaluator", "director"):
        return _("Only evaluators (and the director) record observations.")
    return None


def _released_inject(ctx: PostContext, payload: dict[str, Any]) -> tuple[ExerciseInject, RoomEvent, int]:
    seq = payload.get("inject_seq")
    event = ctx.session.scalars(select(RoomEvent).where(
        RoomEvent.room_id == ctx.room.id, RoomEvent.seq == seq, RoomEvent.kind == "inject")).one_or_none() \
        if isinstance(seq, int) else None
    if event is None:
        raise Invalid(_("Not accepted."), {"inject_seq": _("No released inject with that seq in this room.")})
    ex = exercise_for_room(ctx.session, ctx.room.id)
    assert ex is not None
    inject = ctx.session.scalars(select(ExerciseInject).where(
        ExerciseInject.exercise_id == ex.id, ExerciseInject.released_seq == seq)).one()
    part = role_of(ex, ctx.actor)
    assert part is not None and part.team_id is not None
    if part.team_id not in json.loads(inject.team_ids):
        raise Forbidden(_("That inject was not addressed to your team."))
    return inject, event, part.team_id


def _team_response(session: Session, inject_id: int, team_id: int) -> TeamResponse:
    row = session.get(TeamResponse, (inject_id, team_id))
    if row is None:
        # responses=0 now: the column default applies only at INSERT, and a first
        # response (without an earlier ack) increments it before any flush.
        row = TeamResponse(inject_id=inject_id, team_id=team_id, responses=0)
        session.add(row)
    return row


def _team_name(ctx: PostContext, team_id: int) -> str:
    ex = exercise_for_room(ctx.session, ctx.room.id)
    return next((t.name for t in ex.teams if t.id == team_id), "") if ex else ""


def prepare_ack(ctx: PostContext, payload: dict[str, Any]) -> Draft:
    inject, event, team_id = _released_inject(ctx, payload)
    row = _team_response(ctx.session, inject.id, team_id)
    if row.acked_at is not None:
        raise Conflict(_("Your team has already acknowledged this inject."))
    now = ctx.now
    row.acked_at, row.acked_by_id = now, ctx.actor.id

    def _stamp(ev: RoomEvent) -> None:
        row.ack_seq = ev.seq

    ex = exercise_for_room(ctx.session, ctx.room.id)
    assert ex is not None
    data = {"inject_seq": event.seq, "msel_id": inject.msel_id, "team_id": team_id, "team": _team_name(ctx, team_id),
            "t_plus_s": round(t_plus(ex, now), 3), "after_s": round((now - event.created_at).total_seconds(), 3)}
    return Draft(data=data, after=_stamp, audit={"msel_id": inject.msel_id, "team_id": team_id})


def prepare_response(ctx: PostContext, payload: dict[str, Any]) -> Draft:
    inject, event, team_id = _released_inject(ctx, payload)
    body = payload.get("body")
    if not isinstance(body, str) or not body.strip() or len(body) > 20_000:
        raise Invalid(_("The response was not accepted."),
                      {"body": _("Write the response (at most 20,000 characters).")})
    row = _team_response(ctx.session, inject.id, team_id)
    now = ctx.now
    first = row.responded_at is None
    if first:
        row.responded_at, row.responded_by_id = now, ctx.actor.id
    row.responses += 1
    if row.acked_at is None:  # answering is acknowledging
        row.acked_at, row.acked_by_id = now, ctx.actor.id

    def _stamp(ev: RoomEvent) -> None:
        if first:
            row.response_seq = ev.seq
        if row.ack_seq is None:
            row.ack_seq = ev.seq

    ex = exercise_for_room(ctx.session, ctx.room.id)
    assert ex is not None
    data = {"inject_seq": event.seq, "msel_id": inject.msel_id, "team_id": team_id, "team": _team_name(ctx, team_id),
            "t_plus_s": round(t_plus(ex, now), 3), "after_s": round((now - event.created_at).total_seconds(), 3),
            "first": first}
    return Draft(body.strip(), render_markdown(body.strip()), data, after=_stamp,
                 audit={"msel_id": inject.msel_id, "team_id": team_id, "first": first})


def prepare_observation(ctx: PostContext, payload: dict[str, Any]) -> Draft:
    ex = exercise_for_room(ctx.session, ctx.room.id)
    assert ex is not None
    errors: dict[str, str] = {}
    rating = payload.get("rating")
    if rating not in RATINGS:
        errors["rating"] = _("P, S, M or U.")
    body = payload.get("body")
    if not isinstance(body, str) or not body.strip() or len(body) > 20_000:
        errors["body"] = _("Write the observation (at most 20,000 characters).")
    objective = payload.get("objective_id") or ""
    if objective and objective not in {o["id"] for o in json.loads(ex.objectives)}:
        errors["objective_id"] = _("Not an objective of this exercise.")
    written = payload.get("capability") or ""
    capability = capability_slug(written) if written else ""
    if capability is None:
        errors["capability"] = _("One of: %(choices)s (or their names).", choices=", ".join(CAPABILITIES))
    # Older clients send no finding: the one the rating suggests (None when the rating is bad).
    finding = payload.get("finding") or FINDING_BY_RATING.get(str(rating))
    if finding is not None and (not isinstance(finding, str) or finding not in FINDINGS):
        errors["finding"] = _("strength, or improvement for an area for improvement.")
    team_id = payload.get("team_id")
    if team_id is not None and team_id not in {t.id for t in ex.teams}:
        errors["team_id"] = _("Not a team of this exercise.")
    msel_id = payload.get("msel_id") or ""
    if msel_id and ctx.session.scalars(select(ExerciseInject.id).where(
            ExerciseInject.exercise_id == ex.id, ExerciseInject.msel_id == msel_id)).first() is None:
        errors["msel_id"] = _("Not an inject of this exercise.")
    evidence = payload.get("evidence_seq")
    if evidence is not None and (not isinstance(evidence, int) or not 1 <= evidence <= ctx.room.last_seq):
        errors["evidence_seq"] = _("The seq of an event in this room.")
    if errors:
        raise Invalid(_("The observation was not recorded."), errors)
    now = ctx.now
    obs = Observation(exercise_id=ex.id, evaluator_id=ctx.actor.id, t_plus_s=t_plus(ex, now), objective_id=objective,
                      capability=capability, msel_id=msel_id, team_id=team_id, rating=rating, finding=finding,
                      body=body.strip(), body_html=render_markdown(body.strip()), evidence_seq=evidence)
    ctx.session.add(obs)
    ctx.session.flush()

    def _stamp(ev: RoomEvent) -> None:
        obs.seq = ev.seq

    data = {"observation_id": obs.id, "rating": rating, "finding": finding, "objective_id": objective,
            "capability": capability, "msel_id": msel_id, "team_id": team_id, "evidence_seq": evidence,
            "t_plus_s": round(obs.t_plus_s, 3), "exercise_id": ex.id}
    return Draft(obs.body, obs.body_html, data, after=_stamp,
                 audit={"observation_id": obs.id, "rating": rating, "finding": finding})


def _never(_ctx: PostContext, _payload: dict[str, Any]) -> Draft:
    raise Forbidden(_not_postable(_ctx))


def audiences(session: Session, user: User, room: Room, _role: str) -> set[str]:
    """In an exercise room: staff, or the player's team."""
    if not room.is_exercise:
        return set()
    ex = exercise_for_room(session, room.id)
    part = role_of(ex, user) if ex is not None else None
    if part is None:
        return set()
    if part.role in STAFF:
        return {"staff"}
    if part.role == "player" and part.team_id is not None:
        return {f"team:{part.team_id}"}
    return set()


def inject_tiers(full: dict[str, Any]) -> list[tuple[str | None, dict[str, Any]]]:
    players = redacted(full, *CONTROLLER_ONLY)
    if str(full.get("to", "")).lower() == "all":
        return [("staff", full), (None, players)]
    return [("staff", full)] + [(f"team:{t}", players) for t in full.get("team_ids", [])]


def team_tiers(full: dict[str, Any]) -> list[tuple[str | None, dict[str, Any]]]:
    return [("staff", full), (f"team:{full.get('team_id')}", full)]


def staff_tiers(full: dict[str, Any]) -> list[tuple[str | None, dict[str, Any]]]:
    return [("staff", full)]


def register() -> None:
    register_kind(KindSpec("inject", _never, shapes.InjectPost, may_post=_not_postable))
    register_kind(KindSpec("clock", _never, shapes.ClockPost, may_post=_not_postable))
    register_kind(KindSpec("ack", prepare_ack, shapes.AckPost, may_post=_players_only))
    register_kind(KindSpec("response", prepare_response, shapes.ResponsePost, may_post=_players_only))
    register_kind(KindSpec("observation", prepare_observation, shapes.ObservationPost, may_post=_evaluators_only,
                           allowed_when_closed=True))
    register_provider(audiences)
    register_restriction("inject", inject_tiers)
    register_restriction("ack", team_tiers)
    register_restriction("response", team_tiers)
    register_restriction("observation", staff_tiers)

"""The core room event kinds: message, timeline, action, sitrep, status, member.

Each turns a posted payload into a Draft, naming exactly the fields it accepts
(nothing is copied from the request onto a row), and renders markdown through
the one sanitiser.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo, available_timezones

from flask_babel import gettext as _
from sqlalchemy import select, update

from council import realtime
from council.access import is_lead, org_may_join
from council.auth.models import User
from council.errors import Forbidden, Invalid, NotFound
from council.orgs.models import Organization
from council.rooms import shapes
from council.rooms.models import (
    ACTION_STATUSES,
    SEVERITIES,
    STATUSES,
    TIMELINE_CATEGORIES,
    TLPS,
    ActionItem,
    RoomEvent,
    RoomMember,
    RoomOrg,
)
from council.rooms.stream import Draft, KindSpec, PostContext, iso, register_kind
from council.rooms.visibility import ancestors, role_of
from council.text import render_markdown

BODY_MAX = 20_000
SITREP_FIELDS = ("situation", "impact", "actions_taken", "next_steps", "requests")
SITREP_TITLES = {
    "situation": "Situation", "impact": "Impact", "actions_taken": "Actions taken",
    "next_steps": "Next steps", "requests": "Requests",
}


def _text(payload: dict[str, Any], name: str, *, required: bool = False, max_len: int = BODY_MAX) -> str:
    value = payload.get(name, "")
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise Invalid(_("The event was not accepted."), {name: _("Must be text.")})
    value = value.strip()
    if required and not value:
        raise Invalid(_("The event was not accepted."), {name: _("Must not be empty.")})
    if len(value) > max_len:
        raise Invalid(_("The event was not accepted."), {name: _("At most %(num)s characters.", num=max_len)})
    return value


def _int(payload: dict[str, Any], name: str) -> int | None:
    value = payload.get(name)
    if value in (None, ""):
        return None
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise Invalid(_("The event was not accepted."), {name: _("Must be a number.")})
    try:
        return int(value)
    except ValueError:
        raise Invalid(_("The event was not accepted."), {name: _("Must be a number.")}) from None


EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(2200, 1, 1, tzinfo=UTC)


@lru_cache(maxsize=1)
def _zones() -> frozenset[str]:
    return frozenset(available_timezones()) | {"UTC"}


def zone_of(value: Any, name: str = "tz") -> ZoneInfo:
    """An IANA zone by its name; anything else (paths, huge strings) is refused, never looked up."""
    if not isinstance(value, str) or value not in _zones():
        raise Invalid(_("The event was not accepted."), {name: _("An IANA time zone name, e.g. Asia/Karachi.")})
    return ZoneInfo(value)


def parse_time(value: Any, name: str, tz: Any = None) -> datetime | None:
    """ISO 8601 between 1970 and 2200. A time without offset is read in ``tz`` (an IANA
    zone name, as browsers' datetime-local fields send wall time) or else as UTC."""
    if value in (None, ""):
        return None
    bad = Invalid(_("The event was not accepted."), {name: _("An ISO 8601 time between 1970 and 2200.")})
    if not isinstance(value, str) or len(value) > 64:
        raise bad
    zone = zone_of(tz) if tz not in (None, "") else UTC
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        when = parsed.replace(tzinfo=zone).astimezone(UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
    except (ValueError, OverflowError):
        raise bad from None
    if not EARLIEST <= when < LATEST:
        raise bad
    return when


def _choice(payload: dict[str, Any], name: str, choices: tuple[str, ...], default: str | None = None) -> str | None:
    value = payload.get(name, default)
    if value is None:
        return None
    if value not in choices:
        raise Invalid(_("The event was not accepted."),
                      {name: _("Use one of: %(choices)s.", choices=", ".join(choices))})
    return str(value)


# message ---------------------------------------------------------------------

def _target_message(ctx: PostContext, seq: int, verb: str) -> RoomEvent:
    target = ctx.session.scalars(select(RoomEvent).where(
        RoomEvent.room_id == ctx.room.id, RoomEvent.seq == seq, RoomEvent.kind == "message",
    )).one_or_none()
    if target is None or {"edits", "redacts"} & json.loads(target.data).keys():
        raise Invalid(_("The event was not accepted."), {verb: _("No such message in this room.")})
    if target.author_id != ctx.actor.id and not is_lead(ctx.role):
        raise Forbidden(_("Only the author or the lead may edit this message.") if verb == "edits"
                        else _("Only the author or the lead may redact this message."))
    if target.redacted_seq is not None:
        raise Invalid(_("The event was not accepted."), {verb: _("The message is already redacted.")})
    return target


def prepare_message(ctx: PostContext, payload: dict[str, Any]) -> Draft:
    redacts, edits = _int(payload, "redacts"), _int(payload, "edits")
    if redacts is not None:
        target = _target_message(ctx, redacts, "redacts")
        reason = _text(payload, "reason", max_len=500)

        def _redact(event: RoomEvent) -> None:
            # The redaction hides the original and every edit of it, wherever they are read.
            target.redacted_seq = event.seq
            ctx.session.execute(update(RoomEvent).where(
                RoomEvent.room_id == ctx.room.id, RoomEvent.kind == "message",
                RoomEvent.data == edit_data(target.seq)).values(redacted_seq=event.seq)
                .execution_options(synchronize_session=False))

        return Draft(data={"redacts": redacts, "reason": reason}, after=_redact, audit={"redacts": redacts})
    body = _text(payload, "body", required=True)
    if edits is not None:
        target = _target_message(ctx, edits, "edits")

        def _edit(event: RoomEvent) -> None:
            target.edited_seq = event.seq

        return Draft(body, render_markdown(body), {"edits": edits}, after=_edit, audit={"edits": edits})
    return Draft(body, render_markdown(body))


def edit_data(seq: int) -> str:
    """The stored data of an edit of message ``seq`` (as the stream writes it)."""
    return json.dumps({"edits": seq}, separators=(",", ":"))


# timeline --------------------------------------------------------------------

def prepare_timeline(ctx: PostContext, payload: dict[str, Any]) -> Draft:
    body = _text(payload, "body", required=True)
    occurred = parse_time(payload.get("occurred_at"), "occurred_at", payload.get("tz")) or ctx.now
    category = _choice(payload, "category", TIMELINE_CATEGORIES, "other")
    return Draft(body, render_markdown(body), {"occurred_at": iso(occurred), "category": category})


# action ----------------------------------------------------------------------

def _assignees(ctx: PostContext, payload: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if "assignee_org_id" in payload:
        org_id = _int(payload, "assignee_org_id")
        if org_id is not None and ctx.session.get(Organization, org_id) is None:
            raise Invalid(_("The action was not accepted."), {"assignee_org_id": _("No such organisation.")})
        out["assignee_org_id"] = org_id
    if "assignee_user_id" in payload:
        user_id = _int(payload, "assignee_user_id")
        if user_id is not None:
            # Only someone who can see the room is assigned (else an id would reveal a name).
            user = ctx.session.get(User, user_id)
            if user is None or not user.active or role_of(ctx.session, user, ctx.room) is None:
                raise Invalid(_("The action was not accepted."),
                              {"assignee_user_id": _("No such person in this room.")})
        out["assignee_user_id"] = user_id
    if "due_at" in payload:
        out["due_at"] = parse_time(payload.get("due_at"), "due_at", payload.get("tz"))
    return out


def _action_data(item: ActionItem) -> dict[str, Any]:
    return {
        "action_id": item.id, "title": item.title, "status": item.status,
        "assignee_org_id": item.assignee_org_id,
        "assignee_org": item.assignee_org.name if item.assignee_org else None,
        "assignee_user_id": item.assignee_user_id,
        "assignee_user": item.assignee_user.name if item.assignee_user else None,
        "due_at": iso(item.due_at), "source": item.source,
    }


# Where an action item can come from ("decision_id" -> "decision:<id>"): a
# slice registers a validator that checks the reference in the room and
# returns the source text. Nothing else sets ActionItem.source.
ACTION_SOURCES: dict[str, Callable[[PostContext, Any], str]] = {}


def _source(ctx: PostContext, payload: dict[str, Any]) -> str | None:
    for key, validate in ACTION_SOURCES.items():
        if payload.get(key) is not None:
            return validate(ctx, payload[key])
    return None


def prepare_action(ctx: PostContext, payload: dict[str, Any]) -> Draft:
    action_id = _int(payload, "action_id")
    fields = _assignees(ctx, payload)
    if "status" in payload:
        fields["status"] = _choice(payload, "status", ACTION_STATUSES)
    if "title" in payload:
        fields["title"] = _text(payload, "title", required=True, max_len=300)
    note = _text(payload, "body", max_len=5000)
    session = ctx.session
    if action_id is None:
        if not fields.get("title"):
            raise Invalid(_("The action was not accepted."), {"title": _("An action item needs a title.")})
        item = ActionItem(room_id=ctx.room.id, created_seq=0, updated_seq=0, title=fields["title"],
                          status=fields.get("status") or "open", assignee_org_id=fields.get("assignee_org_id"),
                          assignee_user_id=fields.get("assignee_user_id"), due_at=fields.get("due_at"),
                          source=_source(ctx, payload))
        session.add(item)
        session.flush()
        changed = None
    else:
        found = session.get(ActionItem, action_id)
        if found is None or found.room_id != ctx.room.id:
            raise NotFound(_("No such action item in this room."))
        item = found
        changed = {k: [_plain(getattr(item, k)), _plain(v)] for k, v in fields.items() if getattr(item, k) != v}
        if not changed and not note:
            raise Invalid(_("The action was not accepted."), {"action_id": _("Nothing to change.")})
        for key, value in fields.items():
            setattr(item, key, value)
        item.updated_at = ctx.now
    session.flush()
    session.refresh(item)

    def _stamp(event: RoomEvent) -> None:
        if item.created_seq == 0:
            item.created_seq = event.seq
        item.updated_seq = event.seq

    data = _action_data(item)
    data["op"] = "create" if changed is None else "update"
    if changed:
        data["changes"] = changed
    return Draft(note, render_markdown(note), data, after=_stamp, audit={"action_id": item.id, "op": data["op"]})


def _plain(value: Any) -> Any:
    return iso(value) if isinstance(value, datetime) else value


# sitrep ----------------------------------------------------------------------

def prepare_sitrep(ctx: PostContext, payload: dict[str, Any]) -> Draft:
    """A situation report filed for the author's organisation (which must participate)."""
    if ctx.actor.org_id not in ctx.room.org_ids:
        raise Forbidden(_("Situation reports are filed per participating organisation; yours is not one."))
    parts = {name: _text(payload, name, max_len=BODY_MAX) for name in SITREP_FIELDS}
    if not parts["situation"]:
        raise Invalid(_("The sitrep was not accepted."), {"situation": _("Describe the situation.")})
    body = "\n\n".join(f"### {SITREP_TITLES[k]}\n\n{v}" for k, v in parts.items() if v)
    data = {"org_id": ctx.actor.org_id, "org": ctx.actor.org.name,
            "sections": {k: render_markdown(v) for k, v in parts.items() if v}}
    return Draft(body, render_markdown(body), data)


# status (lead) ---------------------------------------------------------------

def prepare_status(ctx: PostContext, payload: dict[str, Any]) -> Draft:
    room, session = ctx.room, ctx.session
    changes: dict[str, list[Any]] = {}
    for name, choices in (("status", STATUSES), ("severity", SEVERITIES), ("tlp", TLPS)):
        if name in payload:
            value = _choice(payload, name, choices)
            if value != getattr(room, name):
                changes[name] = [getattr(room, name), value]
    if "title" in payload:
        title = _text(payload, "title", required=True, max_len=200)
        if title != room.title:
            changes["title"] = [room.title, title]
    if "summary" in payload:
        summary = _text(payload, "summary")
        if summary != room.summary:
            changes["summary"] = [room.summary, summary]
    if "sitrep_cadence_min" in payload:
        cadence = _int(payload, "sitrep_cadence_min")
        if cadence is not None and not 15 <= cadence <= 7 * 24 * 60:
            raise Invalid(_("The change was not accepted."),
                          {"sitrep_cadence_min": _("Between 15 minutes and 7 days.")})
        if cadence != room.sitrep_cadence_min:
            changes["sitrep_cadence_min"] = [room.sitrep_cadence_min, cadence]
    if "decision_quorum_pct" in payload:
        pct = _int(payload, "decision_quorum_pct")
        if pct is None or not 1 <= pct <= 100:
            raise Invalid(_("The change was not accepted."), {"decision_quorum_pct": _("A percentage from 1 to 100.")})
        if pct != room.decision_quorum_pct:
            changes["decision_quorum_pct"] = [room.decision_quorum_pct, pct]
    add = _org_ids(ctx, payload.get("orgs_add"), "orgs_add")
    remove = _org_ids(ctx, payload.get("orgs_remove"), "orgs_remove")
    current = room.org_ids
    add, remove = add - current, remove & current
    if remove and remove >= current | add:
        raise Invalid(_("The change was not accepted."), {"orgs_remove": _("A room keeps at least one organisation.")})
    if add or remove:
        changes["orgs"] = [sorted(current), sorted((current | add) - remove)]
    if not changes:
        raise Invalid(_("The change was not accepted."), {"status": _("Nothing to change.")})
    # A narrower marking or an organisation leaving narrows who may be named: those who
    # could not be named now leave the room with this change (never a way round the marking).
    dropped = out_of_reach(session, room, changes.get("tlp", [None, room.tlp])[1], (current | add) - remove)
    if dropped and not [m for m in room.members if m.role == "lead" and m not in dropped]:
        raise Invalid(_("The change was not accepted."), {
            "tlp" if "tlp" in changes else "orgs_remove": _("It would leave the room without a lead; name a lead "
                                                          "who stays within the room's reach first.")})

    for name in ("status", "severity", "tlp", "title", "decision_quorum_pct"):
        if name in changes:
            setattr(room, name, changes[name][1])
    if "summary" in changes:
        room.summary, room.summary_html = changes["summary"][1], render_markdown(changes["summary"][1])
        changes["summary"] = ["…", "…"]  # the text lives on the room; keep the event small
    if "sitrep_cadence_min" in changes:
        room.sitrep_cadence_min = changes["sitrep_cadence_min"][1]
        room.sitrep_anchor = ctx.now if room.sitrep_cadence_min else None
    for org_id in add:
        room.orgs.append(RoomOrg(org_id=org_id))
    removed_names = {o.org_id: o.org.name for o in room.orgs if o.org_id in remove}
    for link in [o for o in room.orgs if o.org_id in remove]:
        room.orgs.remove(link)
    for member in dropped:
        room.members.remove(member)
    room.updated_at = ctx.now
    session.flush()
    if {"tlp", "orgs"} & changes.keys():
        # Rights may have shrunk: sockets re-check who may still follow the room.
        realtime.recheck_room(session, room.id)
    names = {o.org_id: o.org.name for o in room.orgs}
    data: dict[str, Any] = {"changes": changes, "org_names": names}
    if removed_names:
        data["removed_org_names"] = removed_names
    if dropped:
        data["dropped"] = [{"user_id": m.user_id, "user": m.user.name, "org": m.user.org.name} for m in dropped]
        data["dropped_reason"] = (f"their organisation may not be named in a TLP:{room.tlp} room "
                                  "with these organisations")
    return Draft(data=data, audit={"changes": list(changes), "dropped": [m.user_id for m in dropped]})


def out_of_reach(session: Any, room: Any, tlp: str, org_ids: set[int]) -> list[RoomMember]:
    """Named members who could not be named under ``tlp`` with ``org_ids``. Exercise rooms
    name the exercise's people whatever their organisation (they are named-only rooms)."""
    if room.is_exercise:
        return []
    return [m for m in room.members
            if not org_may_join(m.user.org_id, ancestors(session, m.user.org_id), tlp, frozenset(org_ids))]


def _org_ids(ctx: PostContext, value: Any, name: str) -> set[int]:
    if value in (None, ""):
        return set()
    if not isinstance(value, list) or not all(isinstance(v, int) and not isinstance(v, bool) for v in value):
        raise Invalid(_("The change was not accepted."), {name: _("A list of organisation ids.")})
    found = set(ctx.session.scalars(select(Organization.id).where(Organization.id.in_(value))))
    if found != set(value):
        raise Invalid(_("The change was not accepted."), {name: _("Unknown organisation id(s).")})
    return found


# member (lead) ---------------------------------------------------------------

def prepare_member(ctx: PostContext, payload: dict[str, Any]) -> Draft:
    room, session = ctx.room, ctx.session
    op = _choice(payload, "op", ("add", "remove", "role"), "add")
    user = _member_user(ctx, payload)
    existing = next((m for m in room.members if m.user_id == user.id), None)
    role = _choice(payload, "role", ("lead", "member", "observer"), "member")
    if op == "add":
        if existing is not None:
            raise Invalid(_("The change was not accepted."),
                          {"user": _("%(name)s is already a member.", name=user.name)})
        check_member_org(session, user, room.tlp, room.org_ids)
        room.members.append(RoomMember(user_id=user.id, role=role or "member"))
        old = None
    else:
        if existing is None:
            raise Invalid(_("The change was not accepted."),
                          {"user": _("%(name)s is not a named member.", name=user.name)})
        old = existing.role
        leads = [m for m in room.members if m.role == "lead"]
        if old == "lead" and len(leads) == 1 and (op == "remove" or role != "lead"):
            raise Invalid(_("The change was not accepted."), {"user": _("A room keeps at least one lead.")})
        if op == "remove":
            room.members.remove(existing)
            role = None
        else:
            if role == old:
                raise Invalid(_("The change was not accepted."), {"role": _("That is already the role.")})
            existing.role = role or "member"
    session.flush()
    # Removal ends a member's view; any change may move them between audiences.
    realtime.recheck_room(session, room.id)
    data = {"op": op, "user_id": user.id, "user": user.name, "org": user.org.name, "role": role, "old_role": old}
    return Draft(data=data, audit={"op": op, "user_id": user.id, "role": role})


def _member_user(ctx: PostContext, payload: dict[str, Any]) -> User:
    from council.auth.services import find_user

    user: User | None = None
    if payload.get("email"):
        user = find_user(ctx.session, str(payload["email"]))
    elif payload.get("user_id") is not None:
        user_id = _int(payload, "user_id")
        user = ctx.session.get(User, user_id) if user_id else None
    if user is None or not user.active:
        raise Invalid(_("The change was not accepted."), {"user": _("No active user with that email or id.")})
    return user


def check_member_org(session: Any, user: User, tlp: str, org_ids: set[int]) -> None:
    if not org_may_join(user.org_id, ancestors(session, user.org_id), tlp, frozenset(org_ids)):
        raise Invalid(_("The change was not accepted."), {
            "user": _("%(name)s's organisation is not allowed in a TLP:%(tlp)s room with these participants.",
                      name=user.name, tlp=tlp)
        })


register_kind(KindSpec("message", prepare_message, shapes.MessagePost))
register_kind(KindSpec("timeline", prepare_timeline, shapes.TimelinePost))
register_kind(KindSpec("action", prepare_action, shapes.ActionPost))
register_kind(KindSpec("sitrep", prepare_sitrep, shapes.SitrepPost))
register_kind(KindSpec("status", prepare_status, shapes.StatusPost, lead_only=True, allowed_when_closed=True))
register_kind(KindSpec("member", prepare_member, shapes.MemberPost, lead_only=True))

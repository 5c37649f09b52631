"""REST of notifications (under /api/v1): one's own list, marking read, settings."""

from __future__ import annotations

from typing import Any

from flask import Blueprint

from council.api.auth import api_user, authenticate
from council.api.contract import endpoint
from council.auth.assurance import red_cleared
from council.notifications import services
from council.notifications import shapes as s
from council.notifications.kinds import KINDS
from council.web import commit, db

bp = Blueprint("notifications_api", __name__, url_prefix="/api/v1")
bp.before_request(authenticate)


@endpoint(bp, "/notifications", "GET", summary="The caller's notifications, newest first, and the unread count",
          query=s.NotificationsQuery, responses={200: s.Notifications}, errors=(401, 422))
def list_notifications(args: s.NotificationsQuery) -> Any:
    user = api_user()
    found = services.list_for(db(), user, unread=args.unread == "1", kind=args.kind, before=args.before,
                              limit=args.limit)
    red_open = red_cleared(db(), user)
    return {"notifications": [services.notification_json(n, red_open=red_open) for n in found],
            "unread": services.unread_count(db(), user)}


@endpoint(bp, "/notifications/read", "POST", summary="Mark the caller's notifications read: {ids: […]} or "
          "{all: true}", body=s.MarkRead, responses={200: s.Marked}, errors=(400, 401, 422),
          refusal="Nothing was marked read.")
def mark_read(data: s.MarkRead) -> Any:
    user = api_user()
    marked = services.mark_read(db(), user=user, ids=data.ids, all=bool(data.all))
    unread = services.unread_count(db(), user)
    commit()
    return {"marked": marked, "unread": unread}


def _preferences() -> dict[str, Any]:
    return {"modes": services.preferences(db(), api_user()), "urgent": [k for k, v in KINDS.items() if v.urgent],
            "mail": services.mail_enabled(db())}


@endpoint(bp, "/notifications/preferences", "GET", summary="How each kind of notification reaches the caller "
          "by mail", responses={200: s.PreferencesOut}, errors=(401,))
def get_preferences() -> Any:
    return _preferences()


@endpoint(bp, "/notifications/preferences", "POST", summary="Choose, per kind, mail at once, in an hourly or "
          "daily digest, or never (urgent kinds: always at once)", body=s.Preferences,
          responses={200: s.PreferencesOut}, errors=(400, 401, 422), refusal="The settings were not saved.")
def set_preferences(data: s.Preferences) -> Any:
    services.set_preferences(db(), user=api_user(), modes=dict(data.modes))
    commit()
    return _preferences()


@endpoint(bp, "/rooms/<int:room_id>/mentionable", "GET", summary="People and organisations a writer in this "
          "room may mention, matching q (handle or name; at most 8 of each)", query=s.MentionQuery,
          responses={200: s.Mentionable}, errors=(401, 404, 422))
def mentionable(room_id: int, args: s.MentionQuery) -> Any:
    from council.notifications.mentions import mentionable as find

    people, orgs = find(db(), api_user(), room_id, args.q)
    return {"people": [{"id": u.id, "handle": u.handle, "name": u.name, "org": u.org.name} for u in people],
            "orgs": [{"id": o.id, "handle": o.short_name, "name": o.name} for o in orgs]}

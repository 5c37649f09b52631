"""Socket.IO handlers of rooms.

Client -> server (each answered by an ack):
  join  {"room": id, "since"?: seq, "batch"?: true}
        -> {"ok": true, "latest_seq", "events": [after since, oldest first], "has_more", "role", "batch"}
           or {"ok": false, "error"}. Without "since": the latest page. With "batch": true
           the room's events arrive as "events" lists instead of one "event" each.
  post  {"room", "kind", "client_id", "body"?, …kind fields}
        -> {"ok": true, "seq", "event"} or {"ok": false, "error", "fields"?}.
        A repeated client_id returns the first event and broadcasts nothing.
  leave {"room"} -> {"ok": true}
  read  {"room", "seq"} -> {"ok": true, "seq"}: the reader has seen the room up to seq
        (unread counts of the rooms list; never moves back)
Server -> client:
  event    the event object (see stream.serialize)
  events   {"room", "events": [event objects, in seq order]}: what one transaction
           wrote, for sockets that joined with "batch": true (never both forms)
  presence {"room", "members": [{"id", "name", "org", "org_id"}], "orgs": [{"id", "name", "count"}]}
  removed  {"room"} when the user lost the right to follow the room
Every handler re-checks the user (session version, active, token) and the
room's access; a flood beyond the burst gets error acks.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from flask import Flask, request
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_socketio import SocketIO, disconnect, join_room, leave_room
from sqlalchemy.orm import Session

from council import realtime
from council.api.shapes import MAX_ID, parse_data
from council.auth.assurance import note_browser_session, require_for_room
from council.errors import DomainError, Invalid
from council.extensions import database
from council.i18n import language
from council.observability.instruments import POST_DURATION, SOCKET_EVENTS_OUT
from council.rooms import shapes, stream
from council.rooms.audience import audiences_of
from council.rooms.models import Room
from council.rooms.reading import mark_read
from council.rooms.visibility import load_visible
from council.sockets import (
    BATCH,
    Connection,
    Registry,
    acked,
    connection_user,
    rate_limited,
    room_channel,
    room_channels,
)

JOIN_PAGE = 500
SESSION_ENDED = {"ok": False, "error": "Your session has ended. Sign in again."}  # (a sentinel: see session_ended)


def slow_down() -> dict[str, Any]:
    return {"ok": False, "error": _("Too many requests: slow down.")}


def session_ended() -> dict[str, Any]:
    return {"ok": False, "error": _("Your session has ended. Sign in again.")}


def _fail(err: DomainError) -> dict[str, Any]:
    out: dict[str, Any] = {"ok": False, "error": err.message}
    if err.fields:
        out["fields"] = err.fields
    return out


def _room_id(data: Any) -> int:
    value = data.get("room") if isinstance(data, dict) else None
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_ID:
        raise Invalid(_("Say which room: {\"room\": <id>}."), {"room": _("A room id.")})
    return value


def _following(conn: Connection, room_id: int) -> list[str]:
    """The channels this socket is in for ``room_id`` (by what it joined)."""
    return room_channels(room_id, conn.channels.get(room_id, set()), batched=room_id in conn.batched)


def presence(reg: Registry, room_id: int) -> dict[str, Any]:
    """Who follows the room now, per person and per organisation: this process's
    sockets, or every process's when they share Redis (see council/cluster.py)."""
    people: dict[int, dict[str, Any]] = {}
    for member in reg.cluster.members(room_id):
        people.setdefault(member["id"], member)
    orgs: dict[int, dict[str, Any]] = {}
    for person in people.values():
        org = orgs.setdefault(person["org_id"], {"id": person["org_id"], "name": person["org"], "count": 0})
        org["count"] += 1
    return {"room": room_id, "members": sorted(people.values(), key=lambda p: p["name"]),
            "orgs": sorted(orgs.values(), key=lambda o: o["name"])}


def register(socketio: SocketIO, app: Flask, reg: Registry) -> None:
    coalesce_s = app.extensions["council_settings"].presence_coalesce_s
    pending: set[int] = set()
    pending_lock = threading.Lock()

    def emit_presence(room_id: int) -> None:
        with pending_lock:
            pending.discard(room_id)
        payload = presence(reg, room_id)
        for channel in (room_channel(room_id), BATCH + room_channel(room_id)):
            socketio.emit("presence", payload, to=channel)
            SOCKET_EVENTS_OUT.labels("presence").inc()

    def send_presence(room_id: int) -> None:
        """Broadcast who follows the room. Changes within ``presence_coalesce_s`` go out
        as one broadcast: N sockets joining at once (a reconnect storm) would otherwise
        send N presence messages to each of N sockets."""
        if coalesce_s <= 0:
            emit_presence(room_id)
            return
        with pending_lock:
            if room_id in pending:
                return
            pending.add(room_id)

        def later() -> None:
            socketio.sleep(coalesce_s)
            emit_presence(room_id)

        socketio.start_background_task(later)

    @acked(socketio, "join")
    def on_join(data: Any) -> dict[str, Any]:
        sid = request.sid  # type: ignore[attr-defined]
        if rate_limited(sid):
            return slow_down()
        session = database().session(write=False)
        try:
            room_id = _room_id(data)
            join = parse_data(shapes.Join, data, _("Bad join."))
            since, batched = join.since, join.batch
            user = connection_user(session, sid)
            if user is None:
                disconnect()
                return session_ended()
            room, role = load_visible(session, user, room_id, before_step_up=True)  # then the step-up:
            conn = reg.get(sid)
            require_for_room(session, user=user, tlp=room.tlp, mark=conn.second_factor if conn else "",
                             by_token=conn is not None and conn.token_id is not None)
            audiences = audiences_of(session, user, room, role)
            # Join first, then read: an event committed in between arrives twice
            # at worst (the client drops the duplicate by seq), never not at all.
            wanted = room_channels(room.id, audiences, batched=batched)
            if conn is not None and room.id in conn.rooms:  # joined again: maybe in the other form
                for channel in set(_following(conn, room.id)) - set(wanted):
                    leave_room(channel)
            for channel in wanted:
                join_room(channel)
            if conn is not None:
                conn.rooms.add(room.id)
                conn.channels[room.id] = audiences
                if batched:
                    conn.batched.add(room.id)
                else:
                    conn.batched.discard(room.id)
                reg.cluster.joined(room.id, conn)
            events, more = stream.list_events(session, room, since=since, limit=JOIN_PAGE if since is not None else 100)
            session.refresh(room, ["last_seq"])
            answer = {"ok": True, "latest_seq": room.last_seq, "has_more": more, "role": role, "batch": batched,
                      "events": stream.serialize_page(session, events, room, audiences)}
        except DomainError as err:
            return _fail(err)
        finally:
            session.close()
        send_presence(room_id)
        return answer

    @acked(socketio, "leave")
    def on_leave(data: Any) -> dict[str, Any]:
        try:
            room_id = _room_id(data)
        except DomainError as err:
            return _fail(err)
        conn = reg.get(request.sid)  # type: ignore[attr-defined]
        if conn is None:
            leave_room(room_channel(room_id))
        else:
            for channel in _following(conn, room_id):
                leave_room(channel)
            conn.channels.pop(room_id, None)
            conn.batched.discard(room_id)
            if room_id in conn.rooms:
                conn.rooms.discard(room_id)
                reg.cluster.left(room_id, conn.sid)
                send_presence(room_id)
        return {"ok": True}

    @acked(socketio, "post")
    def on_post(data: Any) -> dict[str, Any]:
        sid = request.sid  # type: ignore[attr-defined]
        if rate_limited(sid):
            return slow_down()
        try:
            room_id = _room_id(data)
            if not data.get("client_id"):
                raise Invalid(_("The event was not accepted."), {"client_id": _("Required, so retries are safe.")})

            poster_language = language()

            def work(session: Session) -> dict[str, Any]:
                # Another poster's greenlet may write this batch: refusals in this poster's language.
                with force_locale(poster_language):
                    return _work(session)

            def _work(session: Session) -> dict[str, Any]:
                user = connection_user(session, sid)
                if user is None:
                    return SESSION_ENDED
                room = session.get(Room, room_id)
                if room is not None and room.tlp == "RED":  # posting is opening it too: the step-up
                    load_visible(session, user, room_id, before_step_up=True)  # (invisible stays "No such room")
                    conn = reg.get(sid)
                    require_for_room(session, user=user, tlp=room.tlp, mark=conn.second_factor if conn else "",
                                     by_token=conn is not None and conn.token_id is not None)
                event, _created = stream.post(session, actor=user, room_id=room_id, kind=data.get("kind"),
                                              payload=data, client_id=data.get("client_id"))
                return {"ok": True, "seq": event.seq, "event": stream.shown_to_poster(session, user, event)}

            # Posts arriving together share one transaction (council/groupcommit.py).
            started = time.perf_counter()
            answer = database().grouped.run(work)
            POST_DURATION.observe(time.perf_counter() - started)
        except DomainError as err:
            return _fail(err)
        if answer is SESSION_ENDED:
            disconnect()
            return session_ended()
        return answer

    @acked(socketio, "read")
    def on_read(data: Any) -> dict[str, Any]:
        sid = request.sid  # type: ignore[attr-defined]
        if rate_limited(sid):
            return slow_down()
        try:
            room_id = _room_id(data)
            with database().transaction() as session:
                user = connection_user(session, sid)
                if user is None:
                    return session_ended()
                seq = mark_read(session, actor=user, room_id=room_id, seq=data.get("seq"))
        except DomainError as err:
            return _fail(err)
        return {"ok": True, "seq": seq}

    def on_disconnect(conn: Connection) -> None:
        for room_id in conn.rooms:
            send_presence(room_id)

    def recheck(item: realtime.Outgoing) -> None:
        """Sockets following a room whose access changed: who may stay?"""
        assert item.room_id is not None
        conns = reg.matching(room_id=item.room_id)
        if not conns:
            return
        with app.app_context():
            session = database(app).session(write=False)
            try:
                for conn in conns:
                    from council.auth.signin import load_session_user

                    user = load_session_user(session, conn.user_id, conn.session_version)
                    old = set(_following(conn, item.room_id))
                    try:
                        if user is None:
                            raise Invalid("gone")  # never shown: the socket leaves the room
                        note_browser_session(session, user.id, conn.second_factor if conn.token_id is None else None)
                        room, role = load_visible(session, user, item.room_id, before_step_up=True)
                        # Raised to TLP:RED: a session socket without the step-up leaves.
                        require_for_room(session, user=user, tlp=room.tlp, mark=conn.second_factor,
                                         by_token=conn.token_id is not None)
                    except DomainError:
                        conn.rooms.discard(item.room_id)
                        reg.cluster.left(item.room_id, conn.sid)
                        for channel in old:
                            socketio.server.leave_room(conn.sid, channel, namespace="/")
                        conn.channels.pop(item.room_id, None)
                        conn.batched.discard(item.room_id)
                        socketio.emit("removed", {"room": item.room_id}, to=conn.sid)
                        SOCKET_EVENTS_OUT.labels("removed").inc()
                        continue
                    # Still in: follow the audiences they belong to now.
                    audiences = audiences_of(session, user, room, role)
                    conn.channels[item.room_id] = audiences
                    new = set(_following(conn, item.room_id))
                    for channel in old - new:
                        socketio.server.leave_room(conn.sid, channel, namespace="/")
                    for channel in new - old:
                        socketio.server.enter_room(conn.sid, channel, namespace="/")
            finally:
                session.close()
        send_presence(item.room_id)

    reg.disconnect_hooks.append(on_disconnect)
    reg.handlers["recheck_room"] = recheck
    reg.cluster.presence_changed = send_presence


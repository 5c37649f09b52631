"""The step-up a browser session owes before a TLP:RED room's pages and API open.

One check for every request addressed to a room (its ``room_id`` view argument):
the page gate (council/app.py) sends the browser to enter a code, the API's guard
(council/api/auth.py) answers 403 with the reason. Anything else that reads RED
material without the step-up finds it invisible (access.Viewer.red_cleared).
"""

from __future__ import annotations

from flask import request

from council.auth.assurance import StepUpRequired, require_for_room
from council.auth.login import second_factor_mark
from council.auth.models import User
from council.errors import NotFound
from council.rooms.visibility import load_visible
from council.web import db


def owed_for_room(user: User) -> StepUpRequired | None:
    """The refusal to give, or None: the request names no room, the room is not RED, the
    session verified the factor, or the person may not see the room at all (left to the
    view's 404, so a RED room's existence is never confirmed to someone not named)."""
    room_id = (request.view_args or {}).get("room_id")
    if not isinstance(room_id, int):
        return None
    try:
        room, _role = load_visible(db(), user, room_id, before_step_up=True)
    except NotFound:
        return None
    try:
        require_for_room(db(), user=user, tlp=room.tlp, mark=second_factor_mark())
    except StepUpRequired as err:
        return err
    return None

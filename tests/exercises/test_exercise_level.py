"""An exercise's own crisis level: its director and controllers set it (the council's
control, marked EXERCISE); players and evaluators do not, and the national level never moves."""

from __future__ import annotations

from council.extensions import database
from council.governance import crisis


def test_the_director_and_controllers_set_the_exercises_level_and_players_do_not(api, run, people, app):
    room_id = run.room_id
    body = {"level": 3, "reason": "MSEL 12: national crisis declared", "provisional": True,
            "exercise_room_id": room_id}
    controller = api.post(people.controller, "/council/crisis-level", body)
    assert controller.status_code == 201 and controller.get_json()["exercise_room_id"] == room_id
    assert api.post(people.director, "/council/crisis-level", {**body, "level": 2}).status_code == 201
    refused = api.post(people.player_a, "/council/crisis-level", body)
    assert refused.status_code == 403 and "director and controllers" in refused.get_json()["error"]
    assert api.post(people.evaluator, "/council/crisis-level", body).status_code == 403
    with database(app).session(write=False) as s:
        assert crisis.current(s, room_id).level == 2 and crisis.current(s).level == 0

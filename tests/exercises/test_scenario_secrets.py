"""Players and observers of a running exercise cannot read its MSEL's
controller-only fields through the scenario library either."""

from __future__ import annotations

import pytest

from council.errors import Forbidden
from exercises.runs import services as runs
from exercises.scenarios import services as scenarios
from tests.conftest import login
from tests.exercises.helpers import EXPECTED_A, EXPECTED_ALL, NOTES_A, token_of
from tests.factories import PASSWORD


def test_player_sees_the_scenario_without_expected_actions_on_page_and_rest(app, client, make, people, scenario, run):
    login(client, people.player_a.email, PASSWORD)
    page = client.get(f"/scenarios/{scenario.id}").get_data(as_text=True)
    assert scenario.title in page and "stay hidden until ENDEX" in page
    assert EXPECTED_A not in page and EXPECTED_ALL not in page
    assert client.get(f"/scenarios/{scenario.id}/msel.csv").status_code == 403
    assert client.get(f"/scenarios/{scenario.id}/scenario.json").status_code == 403
    headers = {"Authorization": f"Bearer {token_of(make, people.observer)}"}
    body = app.test_client().get(f"/api/v1/scenarios/{scenario.id}", headers=headers).get_data(as_text=True)
    assert "Ransom note" in body and EXPECTED_ALL not in body and NOTES_A not in body
    assert app.test_client().get(f"/api/v1/scenarios/{scenario.id}/msel.csv", headers=headers).status_code == 403


def test_player_cannot_start_or_copy_a_run_to_read_the_msel(make, people, scenario, run):
    with pytest.raises(Forbidden):
        make.run(runs.create_exercise, actor=people.player_b, scenario_id=scenario.id, title="Peek",
                 org_ids=[people.telco.id])
    with pytest.raises(Forbidden):
        make.run(scenarios.duplicate, actor=people.player_b, scenario_id=scenario.id)


def test_after_endex_and_for_staff_the_msel_is_readable(app, client, make, people, scenario, run):
    login(client, people.controller.email, PASSWORD)
    assert EXPECTED_A in client.get(f"/scenarios/{scenario.id}").get_data(as_text=True)
    make.run(runs.clock_op, actor=people.director, exercise_id=run.id, op="start")
    make.run(runs.clock_op, actor=people.director, exercise_id=run.id, op="end")
    other = app.test_client()
    login(other, people.player_a.email, PASSWORD)
    assert EXPECTED_A in other.get(f"/scenarios/{scenario.id}").get_data(as_text=True)

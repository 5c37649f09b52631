"""Fixtures of the exercise tests (helpers in tests/exercises/helpers.py)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from tests.exercises.helpers import Api, make_people, make_run, make_scenario


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "slow: real server processes, seconds of wall time (deselect: -m 'not slow')")


@pytest.fixture
def api(client: Any, make: Any) -> Api:
    return Api(client, make)


@pytest.fixture
def people(make: Any) -> SimpleNamespace:
    return make_people(make)


@pytest.fixture
def scenario(make: Any, people: SimpleNamespace) -> Any:
    return make_scenario(make, people.director)


@pytest.fixture
def run(make: Any, people: SimpleNamespace, scenario: Any) -> Any:
    return make_run(make, people, scenario)

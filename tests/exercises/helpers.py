"""Helpers of the exercise tests: MSEL text, people in every HSEEP role, a run, readers.

Everything is built through the services (``Factory.run``), on the migrated
test database of ``tests/conftest.py``.
"""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from types import SimpleNamespace
from typing import Any

from sqlalchemy import func, select

from council.actors import SYSTEM
from council.auth.tokens import create_token
from council.extensions import database
from council.rooms.models import RoomEvent
from exercises.runs import services as runs
from exercises.scenarios import services as scenarios
from exercises.vocab import MSEL_HEADERS

BANK = "Banking Sector CERT"
TELCO = "Telecom Sector CERT"
# Unique markers: controller-only text must never reach players or observers.
EXPECTED_A = "XPCTDMARKERA7Q3Z"
NOTES_A = "NOTESMARKERAK9W2"
CONTROLLER_A = "CTRLMARKERAP4M8"
EXPECTED_ALL = "XPCTDMARKERALLB5T1"
NOTES_ALL = "NOTESMARKERALLJ6R0"


def msel_text(*rows: dict[str, str], extra: tuple[str, ...] = (), bom: bool = False) -> str:
    """An MSEL CSV with the contract's headers (plus ``extra`` columns)."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=[*MSEL_HEADERS, *extra], lineterminator="\r\n")
    writer.writeheader()
    for row in rows:
        writer.writerow(row)
    return ("\ufeff" if bom else "") + buffer.getvalue()


def inject(msel_id: str, offset: str, title: str | None = None, **fields: str) -> dict[str, str]:
    """One MSEL row; ``from_``/``to`` spelled as keyword-safe names too."""
    row = {"msel_id": msel_id, "offset": offset, "title": title or f"Inject {msel_id}",
           "message": f"Message of inject {msel_id}"}
    if "from_" in fields:
        fields["from"] = fields.pop("from_")
    row.update(fields)
    return row


def count(app: Any, model: Any, *where: Any) -> int:
    session = database(app).session(write=False)
    try:
        return int(session.scalar(select(func.count()).select_from(model).where(*where)) or 0)
    finally:
        session.close()


def read(app: Any, fn: Any) -> Any:
    """Run ``fn(session)`` on a fresh read session (what another request would see)."""
    session = database(app).session(write=False)
    try:
        return fn(session)
    finally:
        session.close()


def inject_events(app: Any, room_id: int) -> list[dict[str, Any]]:
    """The data of every ``inject`` event of a room, in seq order, with its seq."""
    def _read(session: Any) -> list[dict[str, Any]]:
        rows = session.scalars(select(RoomEvent).where(RoomEvent.room_id == room_id, RoomEvent.kind == "inject")
                               .order_by(RoomEvent.seq))
        return [{"seq": e.seq, "body": e.body, **json.loads(e.data)} for e in rows]
    return read(app, _read)  # type: ignore[no-any-return]


def released_counts(app: Any, room_id: int) -> Counter[str]:
    return Counter(e["msel_id"] for e in inject_events(app, room_id))


def token_of(make: Any, user: Any) -> str:
    _row, text = make.run(create_token, actor=SYSTEM, user=user, label="exercise tests")
    return text  # type: ignore[no-any-return]


class Api:
    """A Flask test client speaking to /api/v1 as a given user (one bearer token per user)."""

    def __init__(self, client: Any, make: Any) -> None:
        self.client, self.make = client, make
        self.tokens: dict[int, str] = {}

    def headers(self, user: Any) -> dict[str, str]:
        if user.id not in self.tokens:
            self.tokens[user.id] = token_of(self.make, user)
        return {"Authorization": f"Bearer {self.tokens[user.id]}"}

    def get(self, user: Any, path: str, **params: Any) -> Any:
        return self.client.get("/api/v1" + path, headers=self.headers(user), query_string=params)

    def post(self, user: Any, path: str, json: Any = None, **kwargs: Any) -> Any:
        if json is not None:
            kwargs["json"] = json
        return self.client.post("/api/v1" + path, headers=self.headers(user), **kwargs)


def make_people(make: Any, prefix: str = "") -> SimpleNamespace:
    """Two sector CERTs in the exercise, an ISAC outside it, and one person per role."""
    bank = make.org(prefix + BANK)
    telco = make.org(prefix + TELCO)
    isac = make.org(prefix + "Energy ISAC")
    return SimpleNamespace(
        bank=bank, telco=telco, isac=isac,
        director=make.user(f"{prefix}director@bank.example", org=bank, name="Dana Director"),
        controller=make.user(f"{prefix}controller@bank.example", org=bank, name="Carl Controller"),
        evaluator=make.user(f"{prefix}evaluator@telco.example", org=telco, name="Eve Evaluator"),
        player_a=make.user(f"{prefix}player.a@bank.example", org=bank, name="Paula Bank"),
        player_b=make.user(f"{prefix}player.b@telco.example", org=telco, name="Pete Telco"),
        observer=make.user(f"{prefix}observer@telco.example", org=telco, name="Olga Observer"),
        # Same organisation as team A, AMBER room, but not named in the exercise.
        outsider=make.user(f"{prefix}outsider@bank.example", org=bank, name="Otto Outsider"),
    )


STANDARD_ROWS = (
    inject("1", "T+00:00", "Ransom note on the payment switch", to="all",
           expected_action=EXPECTED_ALL, notes=NOTES_ALL),
    inject("2", "T+00:10", "Bank: customers cannot pay", to=BANK, depends_on="1",
           expected_action=EXPECTED_A, notes=NOTES_A, controller=CONTROLLER_A),
    inject("3", "T+00:20", "Journalist calls", to="all", release="manual", delivery="phone"),
    inject("4", "T+00:30", "Telco: SMS gateway slow", to=TELCO),
)


def make_scenario(make: Any, author: Any, rows: tuple[dict[str, str], ...] = STANDARD_ROWS,
                  title: str = "Payment switch ransomware") -> Any:
    return make.run(scenarios.import_csv, actor=author, title=title, text=msel_text(*rows))


def make_run(make: Any, people: SimpleNamespace, scenario: Any, *, speed: float = 60, **extra: Any) -> Any:
    """A run with one controller, one evaluator, one observer and a team per sector CERT."""
    options: dict[str, Any] = {
        "scenario_id": scenario.id, "title": "Cohort A drill", "org_ids": [people.bank.id, people.telco.id],
        "controllers": [people.controller.email], "evaluators": [people.evaluator.email],
        "observers": [people.observer.email],
        "players": {BANK: [people.player_a.email], TELCO: [people.player_b.email]}, "speed": speed,
    }
    options.update(extra)
    return make.run(runs.create_exercise, actor=people.director, **options)

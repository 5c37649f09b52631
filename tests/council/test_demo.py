"""The seeded demo is consistent: written in the order things happened, the
finished drill's room closed, the register showing its decisions to those who
may see them, and README.md listing the logins the seed prints."""

from __future__ import annotations

import re
from itertools import pairwise
from pathlib import Path

import pytest
from sqlalchemy import select

from council.audit.models import AuditEntry
from council.auth.services import find_user
from council.decisions import services as decisions
from council.extensions import database
from council.rooms.models import Room, RoomEvent

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def seeded(app):
    result = app.test_cli_runner().invoke(args=["council", "seed-demo"])
    assert result.exit_code == 0, result.output
    return result.stdout


def test_audit_and_event_times_never_run_backwards(app, seeded):
    with database(app).session(write=False) as s:
        audit = [at for (at,) in s.execute(select(AuditEntry.at).order_by(AuditEntry.id))]
        events = s.execute(select(RoomEvent.room_id, RoomEvent.seq, RoomEvent.created_at)
                           .order_by(RoomEvent.room_id, RoomEvent.seq)).all()
    assert len(audit) > 150
    assert all(a <= b for a, b in pairwise(audit))
    backwards = [(a, b) for a, b in pairwise(events) if a[0] == b[0] and b[2] < a[2]]
    assert backwards == []
    # History is in the past: the October drill and September's incident are weeks old.
    assert (audit[-1] - audit[0]).days >= 60


def test_the_finished_drill_and_the_past_incident_are_closed_and_todays_rooms_open(app, seeded):
    with database(app).session(write=False) as s:
        status = dict(s.execute(select(Room.title, Room.status)).all())
    assert status["Telecom drill: BGP hijack of Crescent Telecom prefixes (October)"] == "closed"
    assert status["DNS amplification against ministry portals (September)"] == "closed"
    assert status["Ransomware on a payment switch operator"] == "open"


def test_the_register_shows_the_demo_decisions_to_those_who_may_see_them(app, make, seeded):
    make.user("outsider@elsewhere.example", org=make.org("A CERT outside the council's tree"))
    with database(app).session(write=False) as s:
        duty = find_user(s, "duty@ncert.example")
        outsider = find_user(s, "outsider@elsewhere.example")  # outside the AMBER room's organisations and below
        seen = {d.title for d, _room in decisions.register(s, actor=duty)}
        hidden = {d.title for d, _room in decisions.register(s, actor=outsider)}
    assert "Ask ISPs to sinkhole the ransomware's C2 domains" in seen
    assert "Recommend the State Bank activates the payment-system contingency plan" in seen
    # Only the council's public record (a TLP:CLEAR meeting's recommendation) reaches outsiders.
    assert hidden == {"Recommend that every federal ministry designates an organisational CERT within 90 days"}


def test_readme_lists_exactly_the_logins_the_seed_prints(seeded):
    printed = re.findall(r"^\s+(\S+@\S+)\s", seeded, flags=re.M)
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Run it", 1)[1].split("## Test it", 1)[0]
    listed = re.findall(r"^\| `(\S+@\S+)` \|", section, flags=re.M)
    assert printed and listed == printed


def test_the_demo_council_has_its_seats_a_past_meeting_with_adopted_minutes_and_an_elevated_level(app, seeded):
    from council.governance import crisis
    from council.governance.models import Meeting, Minutes
    from council.governance.offices import current_seats

    with database(app).session(write=False) as s:
        seats = current_seats(s)
        offices = {x.org.name: x.office for x in seats}
        level = crisis.current(s)
        inaugural = s.scalars(select(Meeting).where(Meeting.title.like("Inaugural%"))).one()
        record = s.scalars(select(Minutes).where(Minutes.meeting_id == inaugural.id)).one()
        upcoming = [m for m in s.scalars(select(Meeting)) if m.status == "convened"]
    assert len(seats) == 14
    assert offices["Ministry of IT & Telecom"] == "chair" and offices["National CERT"] == "secretary"
    assert {"Pakistan Telecommunication Authority", "Punjab CERT", "Digital Rights Forum"} <= set(offices)
    assert "Crescent Telecom CSIRT" not in offices  # its one-year term ended: history only
    assert record.status == "adopted" and "Organisational CERTs in every federal ministry" in record.body
    assert (level.level, level.name, level.provisional) == (1, "Elevated", False) and level.decision_id
    assert [m.title for m in upcoming] == ["Regular meeting — December"]

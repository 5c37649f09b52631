"""Scenarios with their MSEL, exercise runs and what happens in them.

An exercise copies its scenario's injects when it is created
(``ExerciseInject``): editing the scenario later never changes a run, and a
run's injects carry their own release state. Tables point at council's
(rooms, users, organisations); council's never point here.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from council.auth.models import User
from council.db import Base, utcnow
from council.orgs.models import Organization
from council.rooms.models import Room


class InjectFields:
    """The MSEL columns, shared by a scenario's injects and a run's copies."""

    msel_id: Mapped[str] = mapped_column(String(32))
    offset_s: Mapped[int]
    type: Mapped[str] = mapped_column(String(16), default="information")
    delivery: Mapped[str] = mapped_column(String(16), default="room")
    sender: Mapped[str] = mapped_column(String(200), default="")  # MSEL "from"
    recipients: Mapped[str] = mapped_column(String(500), default="all")  # MSEL "to"
    title: Mapped[str] = mapped_column(String(300))
    message: Mapped[str] = mapped_column(Text, default="")
    expected_action: Mapped[str] = mapped_column(Text, default="")
    objectives: Mapped[str] = mapped_column(String(200), default="")
    capability: Mapped[str] = mapped_column(String(40), default="")
    controller: Mapped[str] = mapped_column(String(100), default="")
    notes: Mapped[str] = mapped_column(Text, default="")
    release: Mapped[str] = mapped_column(String(8), default="auto")
    depends_on: Mapped[str] = mapped_column(String(32), default="")
    priority: Mapped[str] = mapped_column(String(8), default="")
    tlp: Mapped[str] = mapped_column(String(16), default="")
    # "" or "yes" or a taxonomy "class/type": releasing starts a test incident per team reached.
    incident: Mapped[str] = mapped_column(String(80), default="", server_default="")
    custom: Mapped[str] = mapped_column(Text, default="{}")  # unknown CSV columns, kept


class Scenario(Base):
    """One version of a scenario; versions of one scenario share ``family_id``."""

    __tablename__ = "scenarios"
    __table_args__ = (UniqueConstraint("family_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    family_id: Mapped[int | None] = mapped_column(index=True)
    version: Mapped[int] = mapped_column(default=1)
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(Text, default="")
    summary_html: Mapped[str] = mapped_column(Text, default="")
    sectors: Mapped[str] = mapped_column(Text, default="[]")
    threat: Mapped[str] = mapped_column(String(200), default="")
    difficulty: Mapped[str] = mapped_column(String(16), default="intermediate")
    duration_min: Mapped[int] = mapped_column(default=120)
    objectives: Mapped[str] = mapped_column(Text, default="[]")  # [{"id", "text"}]
    capabilities: Mapped[str] = mapped_column(Text, default="[]")
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    author: Mapped[User] = relationship(lazy="joined")
    injects: Mapped[list[ScenarioInject]] = relationship(
        cascade="all, delete-orphan", order_by="(ScenarioInject.offset_s, ScenarioInject.position)",
        lazy="selectin")


class ScenarioInject(InjectFields, Base):
    __tablename__ = "scenario_injects"
    __table_args__ = (UniqueConstraint("scenario_id", "msel_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    scenario_id: Mapped[int] = mapped_column(ForeignKey("scenarios.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=0)


class Exercise(Base):
    __tablename__ = "exercises"
    __table_args__ = (
        CheckConstraint("state IN ('planned', 'running', 'paused', 'ended', 'stopped')", name="state"),
        CheckConstraint("speed >= 1 AND speed <= 60", name="speed"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    scenario_id: Mapped[int] = mapped_column(ForeignKey("scenarios.id"), index=True)
    scenario_version: Mapped[int]
    room_id: Mapped[int] = mapped_column(ForeignKey("rooms.id"), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    speed: Mapped[float] = mapped_column(default=1.0)
    state: Mapped[str] = mapped_column(String(10), default="planned", index=True)
    # The clock: T+ (seconds) was clock_t_s at wall time clock_wall; while
    # running it advances by speed; paused, it stands still.
    clock_t_s: Mapped[float] = mapped_column(default=0.0)
    clock_wall: Mapped[datetime | None]
    started_at: Mapped[datetime | None]
    ended_at: Mapped[datetime | None]
    stop_reason: Mapped[str] = mapped_column(Text, default="")
    objectives: Mapped[str] = mapped_column(Text, default="[]")
    capabilities: Mapped[str] = mapped_column(Text, default="[]")
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    room: Mapped[Room] = relationship(lazy="joined")
    scenario: Mapped[Scenario] = relationship()
    teams: Mapped[list[Team]] = relationship(cascade="all, delete-orphan", order_by="Team.id", lazy="selectin")
    people: Mapped[list[Participant]] = relationship(cascade="all, delete-orphan", lazy="selectin")


class Team(Base):
    __tablename__ = "exercise_teams"
    __table_args__ = (UniqueConstraint("exercise_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    exercise_id: Mapped[int] = mapped_column(ForeignKey("exercises.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    org_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"))

    org: Mapped[Organization | None] = relationship(lazy="joined")


class Participant(Base):
    __tablename__ = "exercise_participants"
    __table_args__ = (
        CheckConstraint("role IN ('director', 'controller', 'evaluator', 'player', 'observer')", name="role"),
    )

    exercise_id: Mapped[int] = mapped_column(ForeignKey("exercises.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True, index=True)
    role: Mapped[str] = mapped_column(String(12))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("exercise_teams.id"))

    user: Mapped[User] = relationship(lazy="joined")


class ExerciseInject(InjectFields, Base):
    __tablename__ = "exercise_injects"
    __table_args__ = (
        UniqueConstraint("exercise_id", "msel_id"),
        Index("ix_exercise_injects_exercise_status", "exercise_id", "status"),
        CheckConstraint("status IN ('pending', 'held', 'released', 'cancelled')", name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    exercise_id: Mapped[int] = mapped_column(ForeignKey("exercises.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(10), default="pending")
    team_ids: Mapped[str] = mapped_column(Text, default="[]")  # resolved "to": the teams it reaches
    released_at: Mapped[datetime | None]
    released_t_s: Mapped[float | None]
    released_seq: Mapped[int | None]
    released_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    adhoc: Mapped[bool] = mapped_column(default=False)
    edited: Mapped[bool] = mapped_column(default=False)


class TeamResponse(Base):
    """When a team acknowledged and first responded to an inject."""

    __tablename__ = "exercise_team_responses"

    inject_id: Mapped[int] = mapped_column(ForeignKey("exercise_injects.id", ondelete="CASCADE"), primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("exercise_teams.id", ondelete="CASCADE"), primary_key=True)
    acked_at: Mapped[datetime | None]
    ack_seq: Mapped[int | None]
    acked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    responded_at: Mapped[datetime | None]
    response_seq: Mapped[int | None]
    responded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    responses: Mapped[int] = mapped_column(default=0)


class Observation(Base):
    """An evaluator's observation, rated P/S/M/U and filed as a strength or an area
    for improvement (HSEEP): the rating does not decide which, so a criticism of a
    task performed "with some challenges" is not reported as a strength."""

    __tablename__ = "exercise_observations"
    __table_args__ = (
        CheckConstraint("rating IN ('P', 'S', 'M', 'U')", name="rating"),
        CheckConstraint("finding IN ('strength', 'improvement')", name="finding"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    exercise_id: Mapped[int] = mapped_column(ForeignKey("exercises.id", ondelete="CASCADE"), index=True)
    evaluator_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    t_plus_s: Mapped[float] = mapped_column(default=0.0)
    objective_id: Mapped[str] = mapped_column(String(32), default="")
    capability: Mapped[str] = mapped_column(String(40), default="")
    msel_id: Mapped[str] = mapped_column(String(32), default="")
    team_id: Mapped[int | None] = mapped_column(ForeignKey("exercise_teams.id"))
    rating: Mapped[str] = mapped_column(String(1))
    finding: Mapped[str] = mapped_column(String(12), server_default="strength")
    body: Mapped[str] = mapped_column(Text, default="")
    body_html: Mapped[str] = mapped_column(Text, default="")
    evidence_seq: Mapped[int | None]
    seq: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    evaluator: Mapped[User] = relationship(lazy="joined")


# The reports slice's tables, so that importing this module registers every
# table of exercises/ (Alembic, tests).
from exercises.reports import models as _reports  # noqa: E402, F401

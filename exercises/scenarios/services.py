"""The scenario library: create, import/export, edit, version, duplicate.

Anyone signed in may read the library and write scenarios; a scenario is
edited by its author or a platform admin. Whoever plays or observes a run of
a scenario sees only its title and summary until ENDEX (``playing``). Every
change is audited.
"""

from __future__ import annotations

import json
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from council.api.shapes import parse_data
from council.audit.services import record
from council.auth.models import User
from council.db import utcnow
from council.errors import N_, Forbidden, Invalid, NotFound
from council.text import render_markdown
from exercises.models import Exercise, Participant, Scenario, ScenarioInject
from exercises.scenarios import msel
from exercises.scenarios.shapes import ScenarioDoc, ScenarioFields
from exercises.vocab import MSEL_HEADERS, capability_slug


class MselInvalid(Invalid):
    """An MSEL file with bad rows; ``rows`` lists every error with row and column."""

    def __init__(self, errors: list[msel.RowError]) -> None:
        super().__init__(_("The MSEL was not imported: %(num)s error(s); nothing was written.", num=len(errors)))
        self.rows = [e.as_dict() for e in errors]


def get_scenario(session: Session, scenario_id: int) -> Scenario:
    scenario = session.get(Scenario, scenario_id)
    if scenario is None:
        raise NotFound(_("No such scenario."))
    return scenario


# English here (tests compare it); answered as ``_(MSEL_HIDDEN)``.
MSEL_HIDDEN = N_("You take part in a run of this scenario as a player or observer: until ENDEX you see its "
                 "title and summary only; its injects stay with the controllers.")


def played_families(session: Session, actor: User) -> set[int]:
    """Scenario families in whose unfinished runs (planned, running, paused) the actor
    plays or observes. Taking part decides, not rights: a platform admin or the
    scenario's author who plays sees no more than any other player."""
    rows = session.scalars(
        select(Scenario.family_id).join(Exercise, Exercise.scenario_id == Scenario.id)
        .join(Participant, Participant.exercise_id == Exercise.id)
        .where(Participant.user_id == actor.id, Participant.role.in_(("player", "observer")),
               Exercise.state.in_(("planned", "running", "paused"))).distinct())
    return {family for family in rows if family is not None}


def playing(session: Session, actor: User, scenario: Scenario) -> bool:
    """Must the actor not read this scenario's injects (titles, messages, offsets, count)?

    They play or observe a run of it that has not ended: the library, the
    scenario page, REST and the downloads show them its title and summary only,
    and they may not copy it, version it or start a run of their own to read it.
    """
    return scenario.family_id in played_families(session, actor)


def require_msel_reader(session: Session, actor: User, scenario: Scenario) -> None:
    if playing(session, actor, scenario):
        raise Forbidden(_(MSEL_HIDDEN))


def can_edit(actor: User, scenario: Scenario) -> bool:
    return scenario.author_id == actor.id or actor.is_admin


def require_editor(session: Session, actor: User, scenario: Scenario) -> None:
    """The author or a platform admin changes a scenario — unless they play in a run of it."""
    require_msel_reader(session, actor, scenario)
    if not can_edit(actor, scenario):
        raise Forbidden(_("Only the scenario's author or a platform admin may change it."))


def list_scenarios(session: Session, *, sector: str | None = None, capability: str | None = None,
                   latest_only: bool = True) -> list[Scenario]:
    stmt = select(Scenario)
    if latest_only:
        newest = (select(Scenario.family_id, func.max(Scenario.version).label("v"))
                  .group_by(Scenario.family_id).subquery())
        stmt = stmt.join(newest, (Scenario.family_id == newest.c.family_id) & (Scenario.version == newest.c.v))
    scenarios = list(session.scalars(stmt.order_by(Scenario.title)))
    if sector:
        scenarios = [s for s in scenarios if sector in json.loads(s.sectors)]
    if capability:
        wanted = capability_slug(capability) or capability
        scenarios = [s for s in scenarios if wanted in json.loads(s.capabilities)]
    return scenarios


def versions_of(session: Session, scenario: Scenario) -> list[Scenario]:
    return list(session.scalars(select(Scenario).where(Scenario.family_id == scenario.family_id)
                                .order_by(Scenario.version)))


def runs_of(session: Session, scenario: Scenario) -> list[Exercise]:
    """Exercises run from any version of this scenario."""
    ids = [s.id for s in versions_of(session, scenario)]
    return list(session.scalars(select(Exercise).where(Exercise.scenario_id.in_(ids)).order_by(Exercise.id)))


def _meta(fields: dict[str, Any]) -> dict[str, Any]:
    """Scenario metadata as stored: the shape checks each field's type and bounds
    (only its names are read), then the rules a type cannot say."""
    meta = parse_data(ScenarioFields, fields, _("The scenario was not saved."))
    errors: dict[str, str] = {}
    if not meta.title.strip():
        errors["title"] = _("A title of at most 200 characters.")
    ids = [o.id.strip() for o in meta.objectives]
    if not all(ids) or len(set(ids)) != len(ids):
        errors["objectives"] = _('A list of {"id", "text"} with distinct ids.')
    if errors:
        raise Invalid(_("The scenario was not saved."), errors)
    return {"title": meta.title.strip(), "summary": meta.summary, "summary_html": render_markdown(meta.summary),
            "sectors": json.dumps(list(dict.fromkeys(meta.sectors))),
            "capabilities": json.dumps(list(dict.fromkeys(meta.capabilities))), "difficulty": meta.difficulty,
            "duration_min": meta.duration_min, "threat": meta.threat.strip(),
            "objectives": json.dumps([{"id": o.id.strip(), "text": o.text.strip()} for o in meta.objectives])}


def _injects(parsed: list[dict[str, Any]]) -> list[ScenarioInject]:
    return [ScenarioInject(position=i, **msel.model_fields(p)) for i, p in enumerate(parsed)]


def create_scenario(session: Session, *, actor: User, fields: dict[str, Any],
                    injects: list[dict[str, Any]] | None = None) -> Scenario:
    """A new scenario (version 1). ``injects`` are MSEL rows (CSV column names)."""
    meta = _meta(fields)
    parsed = msel.parse_rows([{k: str(v) for k, v in i.items()} for i in injects or []]) if injects else None
    if parsed and parsed.errors:
        raise MselInvalid(parsed.errors)
    scenario = Scenario(author_id=actor.id, version=1, **meta)
    scenario.injects = _injects(parsed.injects) if parsed else []
    session.add(scenario)
    session.flush()
    scenario.family_id = scenario.id
    record(session, action="scenario.create", actor=actor, target_type="scenario", target_id=scenario.id,
           details={"title": scenario.title, "injects": len(scenario.injects)})
    return scenario


def import_csv(session: Session, *, actor: User, title: str, text: str) -> Scenario:
    parsed = msel.parse_csv(text)
    if parsed.errors:
        raise MselInvalid(parsed.errors)
    scenario = create_scenario(session, actor=actor, fields={"title": title})
    scenario.injects = _injects(parsed.injects)
    session.flush()
    record(session, action="scenario.import", actor=actor, target_type="scenario", target_id=scenario.id,
           details={"format": "csv", "injects": len(parsed.injects)})
    return scenario


def export_json(scenario: Scenario) -> dict[str, Any]:
    return {
        "title": scenario.title, "summary": scenario.summary, "sectors": json.loads(scenario.sectors),
        "threat": scenario.threat, "difficulty": scenario.difficulty, "duration_min": scenario.duration_min,
        "objectives": json.loads(scenario.objectives), "capabilities": json.loads(scenario.capabilities),
        "version": scenario.version,
        "injects": [msel.inject_row(i) for i in scenario.injects],
    }


def import_json(session: Session, *, actor: User, doc: ScenarioDoc | dict[str, Any]) -> Scenario:
    """A scenario from its JSON export (REST, the import page, the demo library):
    a wrong-typed field is refused by name, never replaced by a default."""
    shape = doc if isinstance(doc, ScenarioDoc) else parse_data(ScenarioDoc, doc, _("The scenario was not imported."))
    fields = shape.given()
    fields.pop("version", None)  # an import starts a new scenario at version 1
    injects = fields.pop("injects", [])
    scenario = create_scenario(session, actor=actor, fields=fields, injects=injects)
    record(session, action="scenario.import", actor=actor, target_type="scenario", target_id=scenario.id,
           details={"format": "json", "injects": len(injects)})
    return scenario


def update_scenario(session: Session, *, actor: User, scenario_id: int, fields: dict[str, Any]) -> Scenario:
    scenario = get_scenario(session, scenario_id)
    require_editor(session, actor, scenario)
    for key, value in _meta(fields).items():
        setattr(scenario, key, value)
    scenario.updated_at = utcnow()
    record(session, action="scenario.update", actor=actor, target_type="scenario", target_id=scenario.id)
    return scenario


def _copy(scenario: Scenario, *, actor: User, family_id: int | None, version: int, title: str) -> Scenario:
    copy = Scenario(
        family_id=family_id, version=version, title=title, summary=scenario.summary,
        summary_html=scenario.summary_html, sectors=scenario.sectors, threat=scenario.threat,
        difficulty=scenario.difficulty, duration_min=scenario.duration_min, objectives=scenario.objectives,
        capabilities=scenario.capabilities, author_id=actor.id)
    copy.injects = [ScenarioInject(position=i.position, **{c: getattr(i, c) for c in _INJECT_COLUMNS})
                    for i in scenario.injects]
    return copy


_INJECT_COLUMNS = [msel.ATTR.get(c, c) for c in MSEL_HEADERS] + ["custom"]


def new_version(session: Session, *, actor: User, scenario_id: int) -> Scenario:
    """The next version of a scenario, starting as a copy of this one."""
    scenario = get_scenario(session, scenario_id)
    require_editor(session, actor, scenario)
    latest = max(s.version for s in versions_of(session, scenario))
    copy = _copy(scenario, actor=actor, family_id=scenario.family_id, version=latest + 1, title=scenario.title)
    session.add(copy)
    session.flush()
    record(session, action="scenario.new_version", actor=actor, target_type="scenario", target_id=copy.id,
           details={"from": scenario.id, "version": copy.version})
    return copy


def duplicate(session: Session, *, actor: User, scenario_id: int) -> Scenario:
    """An independent scenario (its own family) starting as a copy."""
    scenario = get_scenario(session, scenario_id)
    require_msel_reader(session, actor, scenario)
    copy = _copy(scenario, actor=actor, family_id=None, version=1, title=f"Copy of {scenario.title}"[:200])
    session.add(copy)
    session.flush()
    copy.family_id = copy.id
    record(session, action="scenario.duplicate", actor=actor, target_type="scenario", target_id=copy.id,
           details={"from": scenario.id})
    return copy


def save_inject(session: Session, *, actor: User, scenario_id: int, row: dict[str, Any],
                inject_id: int | None = None) -> ScenarioInject:
    """Add or edit one inject (MSEL column names); the whole MSEL is re-checked."""
    scenario = get_scenario(session, scenario_id)
    require_editor(session, actor, scenario)
    others = [msel.inject_row(i) for i in scenario.injects if i.id != inject_id]
    parsed = msel.parse_rows([*others, {k: str(v) for k, v in row.items()}])
    errors = [e for e in parsed.errors if e.row == len(others) + 2]
    if errors:
        raise Invalid(_("The inject was not saved."), {e.column or "row": e.message for e in errors})
    if parsed.errors:  # e.g. another inject depends on an id this edit removed
        raise Invalid(_("The inject was not saved."), {
            e.column or "row": _("row %(row)s: %(message)s", row=e.row, message=e.message) for e in parsed.errors})
    fields = msel.model_fields(parsed.injects[-1])
    if inject_id is None:
        inject = ScenarioInject(position=len(scenario.injects), **fields)
        scenario.injects.append(inject)
    else:
        found = session.get(ScenarioInject, inject_id)
        if found is None or found.scenario_id != scenario.id:
            raise NotFound(_("No such inject in this scenario."))
        inject = found
        for key, value in fields.items():
            setattr(inject, key, value)
    scenario.updated_at = utcnow()
    session.flush()
    record(session, action="scenario.inject_save", actor=actor, target_type="scenario", target_id=scenario.id,
           details={"msel_id": inject.msel_id, "new": inject_id is None})
    return inject


def delete_inject(session: Session, *, actor: User, scenario_id: int, inject_id: int) -> None:
    scenario = get_scenario(session, scenario_id)
    require_editor(session, actor, scenario)
    inject = session.get(ScenarioInject, inject_id)
    if inject is None or inject.scenario_id != scenario.id:
        raise NotFound(_("No such inject in this scenario."))
    if any(i.depends_on == inject.msel_id for i in scenario.injects if i.id != inject.id):
        raise Invalid(_("The inject was not deleted."), {"depends_on": _("Other injects depend on it.")})
    scenario.injects.remove(inject)
    record(session, action="scenario.inject_delete", actor=actor, target_type="scenario", target_id=scenario.id,
           details={"msel_id": inject.msel_id})

"""Reporting regimes: data, never hard-coded law. A regime names the sectors it
applies to and its ordered stages (hours allowed, what starts each clock, the
fields each asks for). Editing writes a new version; incidents keep theirs."""

from __future__ import annotations

import json
import re
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from council.audit.services import record
from council.auth.models import User
from council.errors import Forbidden, Invalid, NotFound
from council.orgs.models import SECTORS
from council.reporting.models import AUDIENCES, CLOCK_STARTS, Regime

KEY = re.compile(r"[a-z0-9][a-z0-9-]{0,39}")  # used with fullmatch: no trailing newline
MAX_HOURS = 24 * 366


def may_edit(user: User) -> bool:
    """Admins of the national CERT edit regimes."""
    return user.active and user.is_admin and user.org.tier == "national"


def current(session: Session) -> list[Regime]:
    return list(session.scalars(select(Regime).where(Regime.current.is_(True)).order_by(Regime.key)))


def by_key(session: Session, key: str) -> Regime:
    found = session.scalars(select(Regime).where(Regime.key == key, Regime.current.is_(True))).one_or_none()
    if found is None:
        raise NotFound(_("No such regime."))
    return found


def history(session: Session, key: str) -> list[Regime]:
    return list(session.scalars(select(Regime).where(Regime.key == key).order_by(Regime.version.desc())))


def applying_to(session: Session, sector: str | None) -> list[Regime]:
    """Current regimes whose sectors include ``sector`` (an empty list: every sector)."""
    return [r for r in current(session) if not json.loads(r.sectors) or sector in json.loads(r.sectors)]


def stages_of(regime: Regime) -> list[dict[str, Any]]:
    return list(json.loads(regime.stages))


def stage_titles(session: Session) -> dict[str, str]:
    """``regime/stage`` keys (as statistics and the board name stages) to readable titles."""
    return {f"{r.key}/{st['key']}": f"{r.title}: {st['title']}" for r in current(session) for st in stages_of(r)}


def check_stages(stages: Any) -> list[dict[str, Any]]:
    """Validated stage definitions (the shapes check types; these are the rules between them)."""
    if not isinstance(stages, list) or not 1 <= len(stages) <= 10:
        raise Invalid(_("The regime was not saved."), {"stages": _("One to ten stages.")})
    out, seen = [], set()
    for n, stage in enumerate(stages):
        key = stage.get("key")
        if not isinstance(key, str) or not KEY.fullmatch(key) or key in seen:
            raise Invalid(_("The regime was not saved."),
                          {"stages": _("Stage %(num)s: a unique key (a-z, 0-9, -).", num=n + 1)})
        hours = stage.get("hours")
        if isinstance(hours, bool) or not isinstance(hours, int | float) or not 0 < hours <= MAX_HOURS:
            raise Invalid(_("The regime was not saved."),
                          {"stages": _("Stage %(key)s: hours from 0 to %(max)s.", key=key, max=MAX_HOURS)})
        clock = stage.get("clock")
        if clock not in CLOCK_STARTS or (n == 0 and clock == "previous"):
            raise Invalid(_("The regime was not saved."), {"stages": _(
                "Stage %(key)s: clock detection, awareness or previous (not previous for the first stage).", key=key)})
        seen.add(key)
        out.append({"key": key, "title": str(stage.get("title") or key)[:200], "hours": float(hours),
                    "clock": clock, "fields": [str(f)[:40] for f in stage.get("fields") or []][:20]})
    return out


def save_version(session: Session, *, actor: User | None, key: Any, title: Any, sectors: Any, stages: Any,
                 audience: Any = "chain", description: Any = "") -> Regime:
    """Write the next version of regime ``key`` (the first if new); it becomes current."""
    if actor is not None and not may_edit(actor):
        raise Forbidden(_("Only administrators of the national CERT edit reporting regimes."))
    if not isinstance(key, str) or not KEY.fullmatch(key):
        raise Invalid(_("The regime was not saved."), {"key": _("Lower-case letters, digits and dashes.")})
    if not isinstance(title, str) or not title.strip() or len(title) > 200:
        raise Invalid(_("The regime was not saved."), {"title": _("A title of at most 200 characters.")})
    if not isinstance(sectors, list) or not all(s in SECTORS for s in sectors):
        raise Invalid(_("The regime was not saved."),
                      {"sectors": _("Sectors among: %(choices)s (none: all).", choices=", ".join(SECTORS))})
    if audience not in AUDIENCES:
        raise Invalid(_("The regime was not saved."), {"audience": _("chain or reviewer.")})
    checked = check_stages(stages)
    previous = history(session, key)
    session.execute(update(Regime).where(Regime.key == key).values(current=False)
                    .execution_options(synchronize_session="fetch"))
    regime = Regime(key=key, version=(previous[0].version + 1) if previous else 1, title=title.strip(),
                    description=str(description or "")[:5000], sectors=json.dumps(sorted(set(sectors))),
                    audience=audience, stages=json.dumps(checked), current=True,
                    created_by_id=actor.id if actor else None)
    session.add(regime)
    session.flush()
    record(session, action="regime.version", actor=actor, target_type="regime", target_id=regime.id,
           details={"key": key, "version": regime.version, "stages": [s["key"] for s in checked]})
    return regime


def regime_json(regime: Regime) -> dict[str, Any]:
    return {"key": regime.key, "title": regime.title, "sectors": json.loads(regime.sectors),
            "version": regime.version, "audience": regime.audience, "description": regime.description,
            "stages": [{k: s[k] for k in ("key", "title", "hours", "clock", "fields")} for s in stages_of(regime)]}


# The demo's (and a fresh council's) starting point: a council default modelled on the
# cadence of NIS2 (EU 2022/2555 art. 23), and a stricter regime for banks. No statutory
# hours of the CERT Rules 2023 are encoded: these are data the national CERT edits.
BASELINE = {
    "key": "council-baseline", "title": "Council default (modelled on NIS2's cadence)", "sectors": [],
    "audience": "chain",
    "description": "A council default, not law: early warning within 24 hours of awareness, incident "
                   "notification within 72 hours, final report within a month of the notification.",
    "stages": [
        {"key": "early-warning", "title": "Early warning", "hours": 24, "clock": "awareness",
         "fields": ["suspected_malicious", "cross_border_impact"]},
        {"key": "notification", "title": "Incident notification", "hours": 72, "clock": "awareness",
         "fields": ["initial_assessment", "severity", "indicators"]},
        {"key": "final-report", "title": "Final report", "hours": 720, "clock": "previous",
         "fields": ["root_cause", "mitigations", "cross_border_impact"]},
    ],
}
BANKING = {
    "key": "banking-strict", "title": "Banking sector (stricter early warning)", "sectors": ["banking-finance"],
    "audience": "reviewer",
    "description": "For banks and payment operators: the sectoral CERT wants an early warning within 6 hours "
                   "of detection and an update within 24.",
    "stages": [
        {"key": "early-warning", "title": "Early warning", "hours": 6, "clock": "detection",
         "fields": ["services_affected", "customers_affected"]},
        {"key": "update", "title": "Update", "hours": 24, "clock": "previous", "fields": ["containment"]},
    ],
}

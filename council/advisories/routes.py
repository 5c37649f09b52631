"""Pages of advisories: the library, publishing, an advisory with its versions
and the answer form, the next version, and the matrix of answers (with CSV)."""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy.orm import Session

from council.advisories import audience, queries, services
from council.advisories.models import APPLICABLE, SEVERITIES, STATUSES, TLPS, Advisory
from council.advisories.serialize import advisory_json, iso
from council.advisories.shapes import AdvisoriesQuery
from council.advisories.visibility import load_advisory
from council.api.shapes import parse_args
from council.auth.forms import ActionForm
from council.auth.login import current_account
from council.auth.models import User
from council.db import utcnow
from council.errors import Forbidden, Invalid
from council.extensions import database
from council.orgs.models import SECTORS, TIERS
from council.web import act_from_form, commit, db, flash_errors

bp = Blueprint("advisories", __name__, url_prefix="/advisories")
FORM_FIELDS = ("title", "tlp", "severity", "ack_hours", "cves", "products", "body", "actions", "note")


@bp.get("/")
def index() -> Any:
    user = current_account()
    args = parse_args(AdvisoriesQuery, request.args, form=True)
    now = utcnow()
    found = queries.listed(db(), user, now=now, q=args.q, severity=args.severity, cve=args.cve,
                           product=args.product, status=args.status)
    return render_template("council/advisories/index.html", found=found, now=now, args=request.args,
                           severities=SEVERITIES, statuses=STATUSES, may_publish=audience.may_publish(user))


def _form_values() -> dict[str, Any]:
    form = request.form
    values: dict[str, Any] = {k: form.get(k, "") for k in FORM_FIELDS}
    values.update({"aud_all": bool(form.get("aud_all")), "aud_tiers": form.getlist("aud_tiers"),
                   "aud_sectors": form.getlist("aud_sectors"), "aud_orgs": [int(v) for v in form.getlist("aud_orgs")
                                                                 if v.isascii() and v.isdigit() and len(v) < 19],
                   "aud_people": form.get("aud_people", "")})
    return values


def _audience_of(values: dict[str, Any], what: str) -> dict[str, Any]:
    asked: dict[str, Any] = {"all": values["aud_all"] or None, "tiers": values["aud_tiers"] or None,
                             "sectors": values["aud_sectors"] or None, "orgs": values["aud_orgs"] or None}
    if values["aud_people"].strip():
        asked["people"] = audience.people_named(db(), values["aud_people"], what)
    return {k: v for k, v in asked.items() if v}


def _form_page(user: User, values: dict[str, Any], advisory: Any = None, status: int = 200) -> Any:
    return render_template("council/advisories/new.html", values=values, advisory=advisory, tlps=TLPS,
                           severities=SEVERITIES, tiers=TIERS, sectors=SECTORS, action_form=ActionForm(),
                           orgs=audience.orgs_in_reach(db(), user.org)), status


@bp.route("/new", methods=["GET", "POST"])
def new() -> Any:
    user = current_account()
    audience.require_publisher(user)
    if request.method == "GET":
        return _form_page(user, {"tlp": "AMBER", "severity": "high", "ack_hours": "72", "aud_tiers": [],
                                 "aud_sectors": [], "aud_orgs": []})
    values = _form_values()
    try:
        advisory = services.publish(
            db(), actor=user, title=values["title"], tlp=values["tlp"], severity=values["severity"],
            body=values["body"], ack_hours=values["ack_hours"], cves=values["cves"], products=values["products"],
            actions=values["actions"], audience=_audience_of(values, _("The advisory was not published.")))
    except Invalid as err:
        flash_errors(err)
        db().rollback()
        return _form_page(user, values, status=422)
    commit()
    flash(ngettext("Published as %(ref)s to %(num)d organisation.", "Published as %(ref)s to %(num)d organisations.",
                   len(advisory.org_ids), ref=advisory.ref), "success")
    return redirect(url_for("advisories.show", advisory_id=advisory.id))


@bp.get("/<int:advisory_id>")
def show(advisory_id: int) -> Any:
    user = current_account()
    advisory, sight = load_advisory(db(), user, advisory_id)
    with database().transaction() as session:  # the first read of an audience organisation
        reader = session.merge(user, load=False)
        services.log_read(session, user=reader, advisory=session.merge(advisory, load=False), sight=sight)
    now = utcnow()
    mine = services.current_row(db(), advisory, user.org_id)
    shown = advisory_json(db(), advisory, sight, mine, now)
    return render_template("council/advisories/show.html", advisory=advisory, shown=shown, sight=sight,
                           applicable=APPLICABLE, statuses=STATUSES, action_form=ActionForm())


@bp.route("/<int:advisory_id>/edit", methods=["GET", "POST"])
def edit(advisory_id: int) -> Any:
    user = current_account()
    advisory, sight = load_advisory(db(), user, advisory_id)
    if not sight.publisher:
        raise Forbidden(_("Only the publishing organisation updates its advisory."))
    if request.method == "GET":
        values = {"title": advisory.title, "tlp": advisory.tlp, "severity": advisory.severity,
                  "ack_hours": str(advisory.ack_hours), "cves": ", ".join(json.loads(advisory.cves)),
                  "products": "\n".join(json.loads(advisory.products)), "body": advisory.body,
                  "actions": advisory.actions}
        return _form_page(user, values, advisory)
    values = _form_values()
    changes = {k: values[k] for k in FORM_FIELDS if k != "note"}
    try:
        _advisory, reack = services.new_version(db(), actor=user, advisory_id=advisory_id, changes=changes,
                                                note=values["note"])
    except Invalid as err:
        flash_errors(err)
        db().rollback()
        return _form_page(user, values, db().get(Advisory, advisory_id), status=422)
    commit()
    flash(_("New version published: the severity rose, so every organisation is asked to acknowledge again.")
          if reack else _("New version published; acknowledgements given stay."), "success")
    return redirect(url_for("advisories.show", advisory_id=advisory_id))


def _act(advisory_id: int, fn: Any, message: str, target: str, **kwargs: Any) -> Any:
    return act_from_form(fn, message, target, advisory_id=advisory_id, **kwargs)


@bp.post("/<int:advisory_id>/ack")
def ack(advisory_id: int) -> Any:
    form = request.form
    return _act(advisory_id, services.acknowledge, _("Your organisation's answer is recorded."),
                url_for("advisories.show", advisory_id=advisory_id) + "#answer",
                applicable=form.get("applicable") or None, status=form.get("status") or None,
                comment=form.get("comment") if "comment" in form else None)


@bp.get("/<int:advisory_id>/matrix")
def matrix(advisory_id: int) -> Any:
    now = utcnow()
    advisory, rows, helps = queries.matrix(db(), actor=current_account(), advisory_id=advisory_id, now=now)
    counts = {"orgs": len(rows), "read": sum(1 for r in rows if r.row and r.row.read_at),
              "acked": sum(1 for r in rows if r.row and r.row.acked_at), "overdue": sum(r.overdue for r in rows)}
    return render_template("council/advisories/matrix.html", advisory=advisory, rows=rows, helps=helps,
                           counts=counts, action_form=ActionForm())


@bp.get("/<int:advisory_id>/matrix.csv")
def matrix_csv(advisory_id: int) -> Any:
    advisory, rows, _helps = queries.matrix(db(), actor=current_account(), advisory_id=advisory_id, now=utcnow())
    return queries.matrix_csv(advisory, rows, iso)


@bp.post("/<int:advisory_id>/help/<int:help_id>")
def help_toggle(advisory_id: int, help_id: int) -> Any:
    resolved = request.form.get("resolved") == "1"
    return _act(advisory_id, services.resolve_help, _("Marked resolved.") if resolved else _("Opened again."),
                url_for("advisories.matrix", advisory_id=advisory_id), help_id=help_id, resolved=resolved)


def advisories_card(session: Session, user: User) -> dict[str, Any] | None:
    """Dashboard card: my organisation's advisories awaiting its acknowledgement."""
    now = utcnow()
    found = queries.listed(session, user, now=now, open_only=True, limit=8)
    return {"template": "council/advisories/_card.html", "found": found, "now": now}

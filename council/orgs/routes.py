"""Admin pages for organisations."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _

from council.auth.forms import OrgForm
from council.auth.login import current_account
from council.errors import Invalid
from council.labels import label
from council.orgs import services
from council.orgs.models import KINDS, SECTORS, TIERS
from council.web import commit, db, flash_errors, flash_form_errors

bp = Blueprint("orgs", __name__, url_prefix="/admin/orgs")


def _form(org_id: int | None = None) -> OrgForm:
    form = OrgForm()
    form.kind.choices = [(key, label(key, "org_kind")) for key in KINDS]
    form.tier.choices = [("", _("— not a CERT —")), *((key, label(key, "tier")) for key in TIERS)]
    form.sector.choices = [("", _("— none —")), *((key, label(key, "sector")) for key in SECTORS)]
    form.parent_id.choices = [(0, _("— none —"))] + [
        (o.id, o.name) for o in services.list_orgs(db()) if o.id != org_id
    ]
    return form


@bp.get("/")
def index():  # type: ignore[no-untyped-def]
    services.require_admin(current_account())
    orgs = services.list_orgs(db())
    return render_template("council/orgs/index.html", orgs=orgs, form=_form())


@bp.post("/")
def create():  # type: ignore[no-untyped-def]
    actor = current_account()
    services.require_admin(actor)
    form = _form()
    if form.validate_on_submit():
        try:
            org = services.create_org(
                db(), actor=actor, name=form.name.data or "", tier=form.tier.data or None,
                sector=form.sector.data or None, parent_id=form.parent_id.data or None,
                kind=form.kind.data or "cert",
            )
        except Invalid as err:
            flash_errors(err)
        else:
            commit()
            flash(_("Organisation “%(name)s” created.", name=org.name), "success")
            return redirect(url_for("orgs.index"))
    else:
        flash_form_errors(form)
    return render_template("council/orgs/index.html", orgs=services.list_orgs(db()), form=form), 422


@bp.route("/<int:org_id>", methods=["GET", "POST"])
def edit(org_id: int):  # type: ignore[no-untyped-def]
    actor = current_account()
    services.require_admin(actor)
    org = services.get_org(db(), org_id)
    form = _form(org.id)
    if form.validate_on_submit():
        try:
            services.update_org(
                db(), actor=actor, org_id=org.id, name=form.name.data or "",
                tier=form.tier.data or None, sector=form.sector.data or None, kind=form.kind.data or None,
                parent_id=form.parent_id.data or None, short_name=form.short_name.data or org.short_name,
            )
        except Invalid as err:
            flash_errors(err)
            db().rollback()
            return render_template("council/orgs/edit.html", org=org, form=form), 422
        commit()
        flash(_("Organisation saved."), "success")
        return redirect(url_for("orgs.index"))
    if form.is_submitted():
        flash_form_errors(form)
        return render_template("council/orgs/edit.html", org=org, form=form), 422
    if not form.is_submitted():
        form.name.data, form.tier.data, form.kind.data = org.name, org.tier or "", org.kind
        form.sector.data, form.parent_id.data = org.sector or "", org.parent_id or 0
        form.short_name.data = org.short_name
    return render_template("council/orgs/edit.html", org=org, form=form)

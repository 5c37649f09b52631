"""Pages: one's notifications (filter, mark read), one's mail settings, and the
platform admins' view of the mail outbox (backlog, failures, retry)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext

from council.auth.assurance import red_cleared
from council.auth.forms import ActionForm
from council.auth.login import current_account
from council.errors import Invalid
from council.extensions import settings
from council.notifications import outbox, services
from council.notifications.kinds import KINDS, MODES
from council.web import commit, db, local_path

bp = Blueprint("notifications", __name__)


@bp.get("/notifications")
def index() -> Any:
    user = current_account()
    kind = request.args.get("kind") or None
    if kind is not None and kind not in KINDS:
        kind = None
    unread = request.args.get("unread") == "1"
    before = request.args.get("before", "")
    before_id = int(before) if before.isascii() and before.isdigit() and len(before) < 19 else None
    found = services.list_for(db(), user, unread=unread, kind=kind, before=before_id, limit=50)
    return render_template("council/notifications/index.html", notifications=found, kinds=KINDS, kind=kind,
                           unread=unread, count=services.unread_count(db(), user), form=ActionForm(),
                           more=len(found) == 50, red_open=red_cleared(db(), user), red_stub=services.red_stub())


@bp.post("/notifications/read")
def mark_read() -> Any:
    user = current_account()
    form = ActionForm()
    if not form.validate_on_submit():
        abort(400)
    ids = [int(v) for v in request.form.getlist("id") if v.isascii() and v.isdigit() and len(v) < 19]
    try:
        services.mark_read(db(), user=user, ids=ids, all=request.form.get("all") == "1")
    except Invalid as err:
        flash(err.message, "error")
        return redirect(url_for("notifications.index"))
    commit()
    return redirect(local_path(request.form.get("next")) or url_for("notifications.index"))


@bp.route("/notifications/settings", methods=["GET", "POST"])
def preferences() -> Any:
    user = current_account()
    form = ActionForm()
    status = 200
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        chosen = {key: request.form.get(f"mode-{key}", "") for key in KINDS if not KINDS[key].urgent}
        try:
            services.set_preferences(db(), user=user, modes=chosen)
        except Invalid as err:
            db().rollback()
            flash(err.message + " " + " ".join(err.fields.values()), "error")
            status = 422
        else:
            commit()
            flash(_("Your notification settings are saved."), "success")
            return redirect(url_for("notifications.preferences"))
    return render_template("council/notifications/settings.html", kinds=KINDS, modes=MODES,
                           chosen=services.preferences(db(), user), form=form,
                           mail_on=settings().mail is not None, max_tlp=settings().mail_max_tlp), status


@bp.route("/admin/mail", methods=["GET", "POST"])
def mail_admin() -> Any:
    user = current_account()
    if not user.is_admin:
        abort(404)
    form = ActionForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        raw = request.form.get("row", "")
        if request.form.get("all") == "1":
            row_id = None
        elif raw.isascii() and raw.isdigit() and len(raw) < 19:
            row_id = int(raw)
        else:
            flash(_("Say which mail to retry, or retry all failed mail."), "error")
            return redirect(url_for("notifications.mail_admin"))
        n = outbox.retry_failed(db(), row_id)
        commit()
        flash(ngettext("%(num)d mail queued again.", "%(num)d mail(s) queued again.", n), "success")
        return redirect(url_for("notifications.mail_admin"))
    conf = settings()
    return render_template("council/notifications/mail_admin.html", backlog=outbox.backlog(db()), form=form,
                           mail=conf.mail, max_tlp=conf.mail_max_tlp)

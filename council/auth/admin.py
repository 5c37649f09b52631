"""Admin pages for people: create, edit, deactivate/reactivate, reset password."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _

from council.auth import mfa, services
from council.auth.forms import ActionForm, ResetPasswordForm, UserForm
from council.auth.login import current_account
from council.errors import Forbidden, Invalid
from council.extensions import settings
from council.orgs.services import list_orgs, require_admin
from council.web import act_from_form, commit, db, flash_errors, flash_form_errors

bp = Blueprint("users", __name__, url_prefix="/admin/users")


def _form() -> UserForm:
    form = UserForm()
    form.org_id.choices = [(o.id, o.name) for o in list_orgs(db())]
    return form


@bp.get("/")
def index():  # type: ignore[no-untyped-def]
    users = services.list_users(db(), actor=current_account())
    return render_template("council/users/index.html", users=users, form=_form(),
                           action_form=ActionForm())


@bp.post("/")
def create():  # type: ignore[no-untyped-def]
    actor = current_account()
    require_admin(actor)
    form = _form()
    if form.validate_on_submit():
        try:
            user = services.create_user(
                db(), actor=actor, email=form.email.data or "", name=form.name.data or "",
                org_id=form.org_id.data or 0, role=form.role.data or "member",
                password=form.password.data or "", org_admin=bool(form.org_admin.data),
            )
        except Invalid as err:
            flash_errors(err)
        else:
            commit()
            flash(_("User %(email)s created.", email=user.email), "success")
            return redirect(url_for("users.index"))
    else:
        flash_form_errors(form)
    users = services.list_users(db(), actor=actor)
    return render_template("council/users/index.html", users=users, form=form,
                           action_form=ActionForm()), 422


@bp.route("/<int:user_id>", methods=["GET", "POST"])
def edit(user_id: int):  # type: ignore[no-untyped-def]
    actor = current_account()
    require_admin(actor)
    user = services.get_user(db(), user_id)
    form = _form()
    del form.email, form.password
    if form.validate_on_submit():
        try:
            services.update_user(db(), actor=actor, user_id=user.id, name=form.name.data or "",
                                 org_id=form.org_id.data or 0, role=form.role.data or "member",
                                 org_admin=bool(form.org_admin.data))
        except Invalid as err:
            flash_errors(err)
            db().rollback()
        else:
            commit()
            flash(_("User saved."), "success")
            return redirect(url_for("users.index"))
    elif form.is_submitted():
        flash_form_errors(form)
    else:
        form.name.data, form.org_id.data, form.role.data = user.name, user.org_id, user.role
        form.org_admin.data = user.org_admin
    return render_template("council/users/edit.html", user=user, form=form,
                           reset_form=ResetPasswordForm(), action_form=ActionForm(),
                           second_factor=mfa.status(db(), user, settings().mfa))


@bp.post("/<int:user_id>/active")
def toggle_active(user_id: int):  # type: ignore[no-untyped-def]
    actor = current_account()
    require_admin(actor)
    if ActionForm().validate_on_submit():
        user = services.get_user(db(), user_id)
        try:
            services.set_active(db(), actor=actor, user_id=user_id, active=not user.active)
        except Forbidden as err:
            flash(err.message, "error")
        else:
            commit()
            flash(_("%(email)s reactivated.", email=user.email) if user.active
                  else _("%(email)s deactivated.", email=user.email), "success")
    return redirect(url_for("users.edit", user_id=user_id))


@bp.post("/<int:user_id>/password")
def reset_password(user_id: int):  # type: ignore[no-untyped-def]
    actor = current_account()
    form = ResetPasswordForm()
    if form.validate_on_submit():
        try:
            services.reset_password(db(), actor=actor, user_id=user_id,
                                    new_password=form.password.data or "")
        except Invalid as err:
            flash_errors(err)
        else:
            commit()
            flash(_("Password reset; the user's sessions have ended."), "success")
    else:
        require_admin(actor)
        flash(_("Enter the new password."), "error")
    return redirect(url_for("users.edit", user_id=user_id))


@bp.post("/<int:user_id>/second-factor/reset")
def reset_second_factor(user_id: int):  # type: ignore[no-untyped-def]
    """A lost phone: the admin takes the factor off; the person is told and enrols again."""
    require_admin(current_account())
    target = url_for("users.edit", user_id=user_id)
    if not ActionForm().validate_on_submit():
        return redirect(target)
    return act_from_form(mfa.admin_reset, _("Second factor reset; the person has been told."), target,
                         user_id=user_id)

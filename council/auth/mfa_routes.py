"""Pages of the second factor: the code step of sign-in, the "Second factor" page of the
account (enrol, confirm, recovery codes, replace, remove) and the step-up asked before
a TLP:RED room. Each parses, calls one service in council/auth/mfa.py, commits once."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import login_required, login_user

from council.auth import mfa, totp
from council.auth.forms import ActionForm, CodeForm, IdentityForm
from council.auth.login import (
    CODE_STEP,
    SECOND_FACTOR,
    SessionUser,
    code_step,
    current_account,
    keep_second_factor_mark,
    second_factor_mark,
    stamp_session,
)
from council.errors import Invalid
from council.extensions import settings
from council.web import commit, db, flash_errors, local_path

bp = Blueprint("mfa", __name__)
PENDING_KEY = "mfa_pending"  # the session that started setting up a key (only it is shown the key)


def _next() -> str:
    return local_path(request.args.get("next")) or ""


def _flash_all(errors: dict[str, str]) -> None:
    for message in errors.values():
        flash(message, "error")


@bp.route("/login/code", methods=["GET", "POST"])
def code():  # type: ignore[no-untyped-def]
    """Step two of sign-in: the session is not signed in until this code is accepted."""
    pending = code_step()
    if pending is None:
        flash(_("Sign in again: the code step expired."), "info")
        return redirect(url_for("auth.login"))
    user, step = pending
    form = CodeForm()
    error = None
    if form.validate_on_submit():
        result = mfa.verify(db(), user=user, code=form.code.data or "", purpose="sign-in")
        commit()
        if result.ok:
            target = local_path(str(step.get("next") or "")) or url_for("main.dashboard")
            session.clear()
            login_user(SessionUser(user), remember=bool(step.get("remember")))
            stamp_session()
            keep_second_factor_mark(result.mark)
            if result.recovery_left is not None:
                flash(_("Recovery code used: %(left)s left. Make new ones on the Second factor "
                        "page if you are running out.", left=result.recovery_left), "info")
            return redirect(target)
        error = result.message
    elif request.method == "POST":
        error = _("Enter the code from your authenticator app.")
    return render_template("council/auth/code.html", form=form, error=error, email=user.email,
                           cancel_form=ActionForm()), 401 if error else 200


@bp.post("/login/code/cancel")
def cancel():  # type: ignore[no-untyped-def]
    if ActionForm().validate_on_submit():
        session.pop(CODE_STEP, None)
    return redirect(url_for("auth.login"))


def _stay_signed_in() -> None:
    """The service ended every session of the person: this browser goes on under the new
    session version (remembered if it was), as after a password change."""
    remembered = current_app.config["REMEMBER_COOKIE_NAME"] in request.cookies
    login_user(SessionUser(current_account()), remember=remembered)
    stamp_session()


def _page(*, codes: list[str] | None = None, status: int = 200) -> Any:
    user = current_account()
    state = mfa.status(db(), user, settings().mfa)
    # A key being set up is shown only to the session that asked for it (another session of
    # the account — one opened with a stolen password, say — never reads it).
    mine = session.get(PENDING_KEY) == user.id
    enrolment = mfa.pending_enrolment(db(), user=user) if codes is None and mine else None
    qr = totp.qr_svg(enrolment.uri) if enrolment else None
    return render_template(
        "council/auth/second_factor.html", state=state, enrolment=enrolment, qr=qr,
        manual_key=totp.grouped(enrolment.secret) if enrolment else "", codes=codes,
        verified=mfa.session_verified(db(), user, second_factor_mark()), next=_next(),
        action_form=ActionForm(), identity_form=IdentityForm(), policy=settings().mfa,
    ), status


@bp.get("/account/second-factor")
@login_required
def page():  # type: ignore[no-untyped-def]
    return _page()


@bp.post("/account/second-factor/start")
@login_required
def start():  # type: ignore[no-untyped-def]
    """A new key to scan: straight away without a factor; after password + code to replace one."""
    user = current_account()
    target = url_for("mfa.page", next=_next() or None)
    if mfa.is_enrolled(db(), user):
        form = IdentityForm()
        if not form.validate_on_submit():
            flash(_("Enter your password and a current code to replace your authenticator."), "error")
            return redirect(target)
        result = mfa.start_reenrolment(db(), user=user, password=form.password.data or "",
                                       code=form.code.data or "")
        commit()
        if isinstance(result, mfa.Checked):
            _flash_all(result.errors)
        else:
            session[PENDING_KEY] = user.id
        return redirect(target)
    if not ActionForm().validate_on_submit():
        return redirect(target)
    try:
        mfa.start_enrolment(db(), user=user)
    except Invalid as err:
        flash_errors(err)
        return redirect(target)
    commit()
    session[PENDING_KEY] = user.id
    return redirect(target)


@bp.post("/account/second-factor/confirm")
@login_required
def confirm():  # type: ignore[no-untyped-def]
    """The first code of the new key, with the password: the recovery codes are shown once, here."""
    form = IdentityForm()
    if not form.validate_on_submit():
        flash(_("Enter your password and the code your app shows."), "error")
        return redirect(url_for("mfa.page", next=_next() or None))
    result = mfa.confirm_enrolment(db(), user=current_account(), password=form.password.data or "",
                                   code=form.code.data or "")
    commit()
    if not result.ok:
        _flash_all(result.errors)
        return redirect(url_for("mfa.page", next=_next() or None))
    _stay_signed_in()
    keep_second_factor_mark(result.mark)
    flash(_("Second factor set up. Sign-in now asks for a code."), "success")
    return _page(codes=result.recovery_codes)


@bp.post("/account/second-factor/recovery-codes")
@login_required
def regenerate():  # type: ignore[no-untyped-def]
    form = IdentityForm()
    if not form.validate_on_submit():
        flash(_("Enter your password and a current code."), "error")
        return redirect(url_for("mfa.page"))
    result = mfa.regenerate_recovery_codes(db(), user=current_account(), password=form.password.data or "",
                                           code=form.code.data or "")
    commit()
    if not result.ok:
        _flash_all(result.errors)
        return redirect(url_for("mfa.page"))
    flash(_("New recovery codes made; the earlier ones no longer work."), "success")
    return _page(codes=result.recovery_codes)


@bp.post("/account/second-factor/remove")
@login_required
def remove():  # type: ignore[no-untyped-def]
    form = IdentityForm()
    if not form.validate_on_submit():
        flash(_("Enter your password and a current code."), "error")
        return redirect(url_for("mfa.page"))
    result = mfa.remove(db(), user=current_account(), password=form.password.data or "",
                        code=form.code.data or "", policy=settings().mfa)
    commit()
    if not result.ok:
        _flash_all(result.errors)
    else:
        _stay_signed_in()
        session.pop(SECOND_FACTOR, None)
        flash(_("Second factor removed."), "success")
    return redirect(url_for("mfa.page"))


@bp.route("/account/second-factor/verify", methods=["GET", "POST"])
@login_required
def verify():  # type: ignore[no-untyped-def]
    """The step-up: a code for this session before a TLP:RED room (or an API token)."""
    user = current_account()
    target = _next() or url_for("main.dashboard")
    if not mfa.is_enrolled(db(), user):  # the page that sent them here said why
        return redirect(url_for("mfa.page", next=target))
    if mfa.session_verified(db(), user, second_factor_mark()):
        return redirect(target)
    form = CodeForm()
    error = None
    if form.validate_on_submit():
        result = mfa.verify(db(), user=user, code=form.code.data or "", purpose="step-up")
        commit()
        if result.ok:
            keep_second_factor_mark(result.mark)
            return redirect(target)
        error = result.message
    elif request.method == "POST":
        error = _("Enter the code from your authenticator app.")
    return render_template("council/auth/step_up.html", form=form, error=error, target=target), \
        401 if error else 200

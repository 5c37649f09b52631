"""Pages: sign in, sign out, and the account page (password, API tokens)."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from council.auth import mfa, services, signin, tokens
from council.auth.forms import ActionForm, ChangePasswordForm, LoginForm, TokenForm
from council.auth.login import (
    SessionUser,
    begin_code_step,
    current_account,
    second_factor_mark,
    stamp_session,
)
from council.errors import Invalid
from council.extensions import settings
from council.i18n import LANGUAGE_COOKIE, LANGUAGES
from council.web import client_address, commit, db, flash_errors, local_path

bp = Blueprint("auth", __name__)


def _safe_next(target: str | None) -> str:
    """Only same-site paths: never bounce a fresh sign-in to another host."""
    return local_path(target) or url_for("main.dashboard")


@bp.route("/login", methods=["GET", "POST"])
def login():  # type: ignore[no-untyped-def]
    if current_user.is_authenticated:
        return redirect(url_for("main.dashboard"))
    form = LoginForm()
    error = None
    if form.validate_on_submit():
        result = signin.authenticate(
            db(), email=form.email.data or "", password=form.password.data or "",
            address=client_address(),
        )
        commit()
        if result.user is not None and mfa.is_enrolled(db(), result.user):
            # Not signed in yet: the code step (council/auth/mfa_routes.py) finishes it.
            begin_code_step(result.user, remember=bool(form.remember.data), target=request.args.get("next"))
            return redirect(url_for("mfa.code"))
        if result.user is not None:
            session.clear()
            login_user(SessionUser(result.user), remember=bool(form.remember.data))
            stamp_session()
            return redirect(_safe_next(request.args.get("next")))
        error = result.message
    elif request.method == "POST":
        error = _(signin.GENERIC_FAILURE)
    status = 401 if error else 200
    return render_template("council/auth/login.html", form=form, error=error), status


@bp.post("/language")
def choose_language():  # type: ignore[no-untyped-def]
    """The header's language switch (also on the sign-in page): the person's setting when
    signed in, and a cookie either way, so the sign-in page and a signed-out browser keep it."""
    form = ActionForm()
    code = request.form.get("language", "")
    back = _safe_next(request.form.get("next"))
    if not form.validate_on_submit() or code not in LANGUAGES:
        flash(_("Choose a language from the list."), "error")
        return redirect(back)
    if current_user.is_authenticated:
        services.set_language(db(), user=current_account(), language=code)
        commit()
    response = redirect(back)
    response.set_cookie(LANGUAGE_COOKIE, code, max_age=365 * 24 * 3600, samesite="Lax",
                        secure=settings().https, httponly=True)
    return response


@bp.route("/logout", methods=["POST"])
def logout():  # type: ignore[no-untyped-def]
    form = ActionForm()
    if current_user.is_authenticated and form.validate_on_submit():
        signin.end_sessions(db(), current_account(), reason="logout")
        commit()
        logout_user()
        session.clear()
        flash(_("You are signed out. Every session of yours has ended."), "info")
    return redirect(url_for("auth.login"))


def _account_page(new_token: dict[str, str] | None = None) -> str:
    user = current_account()
    return render_template(
        "council/auth/account.html",
        password_form=ChangePasswordForm(),
        token_form=TokenForm(),
        action_form=ActionForm(),
        tokens=tokens.list_tokens(db(), user=user),
        new_token=new_token,
        second_factor=mfa.status(db(), user, settings().mfa),
        second_factor_verified=mfa.session_verified(db(), user, second_factor_mark()),
    )


@bp.route("/account", methods=["GET"])
@login_required
def account():  # type: ignore[no-untyped-def]
    return _account_page()


@bp.route("/account/password", methods=["POST"])
@login_required
def change_password():  # type: ignore[no-untyped-def]
    form = ChangePasswordForm()
    if not form.validate_on_submit():
        flash(_("Fill in both password fields."), "error")
        return redirect(url_for("auth.account"))
    try:
        user = services.change_password(
            db(), user=current_account(), current=form.current_password.data or "",
            new=form.new_password.data or "",
        )
    except Invalid as err:
        flash_errors(err)
        return redirect(url_for("auth.account"))
    commit()
    # This browser stays signed in under the new session version (remembered
    # if it was); every other session ends.
    remembered = current_app.config["REMEMBER_COOKIE_NAME"] in request.cookies
    login_user(SessionUser(user), remember=remembered)
    stamp_session()
    flash(_("Password changed. Every other session of yours has been signed out."), "success")
    return redirect(url_for("auth.account"))


@bp.route("/account/tokens", methods=["POST"])
@login_required
def create_token():  # type: ignore[no-untyped-def]
    form = TokenForm()
    if not form.validate_on_submit():
        flash(_("The token label is too long."), "error")
        return redirect(url_for("auth.account"))
    user = current_account()
    try:
        token, text = tokens.create_token(db(), actor=user, user=user, label=form.label.data or "",
                                          second_factor=second_factor_mark())
    except mfa.StepUpRequired as err:
        flash(err.message, "info")
        if err.enrolled:
            return redirect(url_for("mfa.verify", next=url_for("auth.account")))
        return redirect(url_for("mfa.page", next=url_for("auth.account")))
    except Invalid as err:
        flash_errors(err)
        return redirect(url_for("auth.account"))
    commit()
    # Shown in this response only: the token text is never stored or sent again.
    return _account_page({"label": token.label, "text": text})


@bp.route("/account/tokens/<int:token_id>/revoke", methods=["POST"])
@login_required
def revoke_token(token_id: int):  # type: ignore[no-untyped-def]
    if ActionForm().validate_on_submit():
        token = tokens.revoke_token(db(), actor=current_account(), token_id=token_id)
        commit()
        flash(_("Token “%(label)s” revoked.", label=token.label), "success")
    return redirect(url_for("auth.account"))

"""The home dashboard: who you are, your organisation, and what needs you."""

from __future__ import annotations

from flask import Blueprint, render_template

from council.auth.login import current_account

bp = Blueprint("main", __name__)


@bp.get("/")
def dashboard():  # type: ignore[no-untyped-def]
    user = current_account()
    return render_template("council/dashboard.html", user=user, org=user.org)

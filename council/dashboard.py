"""The home dashboard: who you are, your organisation, and what needs you.

Slices add cards with :func:`add_card`: a function of (session, user) that
returns the card's template and context, or None when it has nothing to show.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, Flask, current_app, render_template
from sqlalchemy.orm import Session

from council.auth.login import current_account
from council.auth.models import User
from council.web import db
from council.work import my_work

bp = Blueprint("main", __name__)
Card = Callable[[Session, User], dict[str, Any] | None]


def add_card(app: Flask, card: Card) -> None:
    app.extensions.setdefault("council_dashboard_cards", []).append(card)


@bp.get("/")
def dashboard():  # type: ignore[no-untyped-def]
    user = current_account()
    cards = [c for c in (card(db(), user) for card in current_app.extensions["council_dashboard_cards"]) if c]
    work = my_work(current_app, db(), user)
    return render_template("council/dashboard.html", user=user, org=user.org, cards=cards, work=work)

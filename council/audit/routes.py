"""The admin page of the audit record, with the chain's verification."""

from __future__ import annotations

import time
from typing import Any

from flask import Blueprint, render_template, request
from flask_babel import gettext as _

from council.audit.browse import PAGE, browse
from council.audit.services import verify
from council.auth.login import current_account
from council.errors import Invalid
from council.orgs.services import require_admin
from council.rooms.kinds import parse_time
from council.web import db

bp = Blueprint("audit", __name__, url_prefix="/admin/audit")


@bp.get("/")
def index() -> Any:
    actor = current_account()
    require_admin(actor)
    args = request.args
    try:
        before = int(args["before"]) if args.get("before") else None
    except ValueError:
        raise Invalid(_("Bad page."), {"before": _("A row id.")}) from None
    rows, total = browse(
        db(), actor=actor, actor_text=args.get("actor", ""), action=args.get("action", ""),
        target_type=args.get("target_type", ""), target_id=args.get("target_id", ""),
        date_from=parse_time(args.get("from") or None, "from"), date_to=parse_time(args.get("to") or None, "to"),
        before_id=before,
    )
    started = time.perf_counter()
    chain = verify(db())
    took_ms = (time.perf_counter() - started) * 1000
    filters = {k: v for k, v in args.items() if k != "before" and v}
    return render_template("council/audit/index.html", rows=rows, total=total, chain=chain, took_ms=took_ms,
                           args=args, filters=filters, page=PAGE)

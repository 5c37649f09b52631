"""The council as a body: seats and offices with terms, meetings and their
minutes, the decisions of the council (recommendations, advice, the crisis
level) and the national cyber-crisis level."""

from __future__ import annotations

from flask import Flask
from flask_babel import lazy_gettext as _l


def init_app(app: Flask) -> None:
    from council import labels
    from council.app import add_nav
    from council.dashboard import add_card
    from council.decisions import services as decisions
    from council.governance import acts, crisis, kinds, meetings, minutes
    from council.governance.api import bp as api_bp
    from council.governance.routes import bp as pages_bp
    from council.governance.views import council_work, crisis_card, crisis_context, room_boot
    from council.rooms.routes import add_room_extension
    from council.scheduler import add_job
    from council.work import add_work

    app.register_blueprint(pages_bp)
    app.register_blueprint(api_bp)
    app.extensions["csrf"].exempt(api_bp)
    add_nav(app, _l("Council"), "council.index", "council.")
    kinds.register()
    decisions.ELECTORATES["meeting"] = meetings.SEAT_ELECTORATE
    decisions.TYPE_RULES.update({"recommendation": acts.recommendation, "advice": acts.advice,
                                 "crisis-level": acts.crisis_level})
    for listener in (crisis.follow_decision, minutes.follow_decision, acts.on_close):
        if listener not in decisions.ON_CLOSE:
            decisions.ON_CLOSE.append(listener)
    if acts.follow_up_json not in decisions.JSON_EXTRAS:
        decisions.JSON_EXTRAS.append(acts.follow_up_json)
    add_job(app, "crisis level ratification", 60.0, crisis.sweep)
    add_card(app, crisis_card)
    add_work(app, council_work)
    add_room_extension(app, boot=room_boot, panel="council/governance/_room_panel.html", script="js/governance.js",
                       panel_first=True)
    app.context_processor(crisis_context)
    labels.register("decision_type", {"operational": "Operational", "recommendation": "Recommendation",
                                      "advice": "Advice", "crisis-level": "Crisis level"})
    labels.register("office", {"chair": "Chair", "secretary": "Secretary", "member": "Member"})
    labels.register("follow_up", {"pending": "Pending", "accepted": "Accepted", "rejected": "Rejected"})
    labels.register("minutes_status", {"draft": "Draft", "proposed": "Before the council", "adopted": "Adopted"})
    labels.register("event_kind", {"meeting": "Meeting", "attendance": "Attendance", "crisis": "Crisis level"})

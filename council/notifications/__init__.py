"""Notifications in the app and by mail: the service, the per-person channel,
the outbox, preferences and digests."""

from __future__ import annotations

import logging

from flask import Flask

log = logging.getLogger("council.mail")


def init_app(app: Flask) -> None:
    from flask_login import current_user

    from council.extensions import database, settings
    from council.notifications import outbox, room_triggers, services
    from council.notifications.api import bp as api_bp
    from council.notifications.routes import bp as pages_bp
    from council.notifications.subjects import register_subject
    from council.rooms.stream import on_append
    from council.scheduler import add_job, add_worker

    conf = settings(app)
    database(app).mail_on = conf.mail is not None
    if conf.mail is None:
        log.info("mail: COUNCIL_SMTP_HOST is not set; notifications reach people in the app only")
    else:
        log.info("mail: through %s:%s (%s) as %s; content up to TLP:%s", conf.mail.host, conf.mail.port,
                 conf.mail.security, conf.mail.sender, conf.mail_max_tlp)
    app.register_blueprint(pages_bp)
    app.register_blueprint(api_bp)
    app.extensions["csrf"].exempt(api_bp)
    register_subject("room", room_triggers.sees_room)
    register_subject("event", room_triggers.sees_event)
    register_subject("decision", room_triggers.sees_decision)
    on_append(room_triggers.on_room_event)
    add_worker(app, "mail outbox", 2.0, outbox.deliver)
    add_job(app, "mail digests", 60.0, outbox.make_digests)
    add_job(app, "sitreps owed", 60.0, room_triggers.sitreps_owed)
    add_job(app, "positions owed", 60.0, room_triggers.positions_owed)

    @app.context_processor
    def bell() -> dict[str, int]:
        if not current_user.is_authenticated:
            return {}
        from council.web import db

        return {"bell_unread": services.unread_count(db(), current_user.user)}

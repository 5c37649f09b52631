"""Evidence files: attached to a room, an incident report or (once that slice
registers it) an indicator; stored outside the database under their SHA-256,
with their own marking; downloaded only as attachments, each download audited;
malware samples only inside an AES zip with the community's password."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from council import labels
    from council.evidence import kind, subjects
    from council.evidence.api import bp as api_bp
    from council.evidence.routes import bp as pages_bp
    from council.evidence.routes import incident_panel, room_boot
    from council.evidence.transfer import limit_upload
    from council.reporting.routes import add_incident_extension
    from council.rooms.routes import add_room_extension

    kind.register()
    subjects.register_core()
    app.register_blueprint(pages_bp)
    app.register_blueprint(api_bp)
    app.extensions["csrf"].exempt(api_bp)
    # Before every other hook: an upload's request may be file-sized, and is read before any transaction.
    app.before_request_funcs.setdefault(None, []).insert(0, limit_upload)
    add_room_extension(app, boot=room_boot, panel="council/evidence/_room_panel.html", script="js/evidence.js")
    add_incident_extension(app, panel="council/evidence/_incident_panel.html", context=incident_panel)
    labels.register("event_kind", {"file": "File"})
    from council.evidence.services import sweep_orphans
    from council.evidence.storage import BlobStore
    from council.extensions import settings
    from council.scheduler import add_job

    store = BlobStore(settings(app).files_dir)
    add_job(app, "evidence orphans", 3600.0, lambda session: sweep_orphans(session, store))

"""Gunicorn settings for serving the platform:

    gunicorn -c python:council.gunicorn_conf -b 127.0.0.1:5001 wsgi:app

One gevent worker per gunicorn (run one gunicorn per core, each on its own
port, as with ``python -m council.server``): Socket.IO keeps a client's
long-polling session in the memory of the process that opened it, and the
websocket transport (simple-websocket, through ``gunicorn.socket``) needs the
gevent worker. The worker patches the standard library before it imports
``wsgi``, so nothing here imports the app at load time.

The hooks mirror what ``council.server`` does for itself: logs as
COUNCIL_LOG_FORMAT says (gunicorn's own lines too), the scheduler and the
workers (mail outbox) started in the worker once the app is loaded, and
Prometheus multiprocess files kept right (wiped at start, a dead worker's
live gauges removed).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from council.config import ConfigError, log_format_from_env, multiproc_dir_from_env

worker_class = "gevent"
workers = 1
# A stopping worker lets requests in flight finish; open websockets are closed after this.
graceful_timeout = 10
timeout = 30
# The app writes one line per request itself (council.request: route, status, duration, ids);
# gunicorn's access log would repeat it with raw paths and query strings.
accesslog = None
# Gunicorn's runtime control socket (one default path per user) is not used; several
# gunicorns on one host (one per core) would contend for it.
control_socket_disable = True

try:
    LOG_FORMAT = log_format_from_env()
    MULTIPROC_DIR = multiproc_dir_from_env()
except ConfigError as exc:  # refuse to start, in one line, before any worker is forked
    raise SystemExit(f"error: {exc}") from None


def on_starting(server: Any) -> None:
    """In the master, before any worker: logs in the configured format; metric files of an
    earlier run removed (prometheus-client's multiprocess mode needs an empty directory)."""
    from council.observability import logformat

    logformat.configure(LOG_FORMAT)
    for name in ("gunicorn.error",):
        for handler in logging.getLogger(name).handlers:
            handler.setFormatter(logformat.formatter(LOG_FORMAT))
    if MULTIPROC_DIR:
        for stale in Path(MULTIPROC_DIR).glob("*.db"):
            stale.unlink()


def post_worker_init(worker: Any) -> None:
    """In the worker, gevent patched and ``wsgi:app`` loaded: start the scheduler and the
    background workers, as ``council.server`` does before it serves."""
    from flask import Flask

    from council import scheduler
    from council.observability import health

    app = worker.wsgi
    if not isinstance(app, Flask):
        raise SystemExit("error: serve the app as wsgi:app (council.gunicorn_conf starts its scheduler)")
    health.script_heads(app)  # read once now, not on the first /readyz
    scheduler.start(app)


def child_exit(server: Any, worker: Any) -> None:
    """In the master, a worker gone: its live gauges (open sockets) stop counting."""
    if MULTIPROC_DIR:
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid, MULTIPROC_DIR)

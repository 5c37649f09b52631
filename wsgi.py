"""The module servers import: ``app`` and its ``socketio``.

For gevent servers (gunicorn -k gevent) the worker patches the standard
library itself before importing this module. Imported by a WSGI server, it
sends log lines to stdout as COUNCIL_LOG_FORMAT says (JSON by default);
imported by a ``flask --app wsgi …`` command, it leaves the command's output alone.
"""

from council import create_app
from council.config import log_format_from_env, under_flask_cli
from council.extensions import socketio as _socketio
from council.observability import logformat

if not under_flask_cli():
    logformat.configure(log_format_from_env())
app = create_app()
socketio = _socketio(app)

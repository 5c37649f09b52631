"""The module servers import: ``app`` and its ``socketio``.

For gevent servers (gunicorn -k gevent) the worker patches the standard
library itself before importing this module.
"""

from council import create_app
from council.extensions import socketio as _socketio

app = create_app()
socketio = _socketio(app)

"""Run the app with its Socket.IO server: ``python -m council.server``.

gevent must monkey-patch the standard library before anything else imports
it, so this module patches first and imports the app afterwards.
"""

from __future__ import annotations

import argparse
import sys

from council.config import async_mode_from_env

if async_mode_from_env() == "gevent":
    from gevent import monkey

    monkey.patch_all()


def main() -> None:
    parser = argparse.ArgumentParser(description="Serve the CERT Council platform.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5000)
    args = parser.parse_args()

    from council import scheduler
    from council.app import create_app
    from council.config import ConfigError, log_format_from_env
    from council.extensions import socketio
    from council.observability import health, logformat

    try:
        # One JSON object a line on stdout (COUNCIL_LOG_FORMAT=text: for a terminal).
        logformat.configure(log_format_from_env())
        app = create_app()
    except ConfigError as exc:
        sys.exit(f"error: {exc}")
    health.script_heads(app)  # read once now, not on the first /readyz
    scheduler.start(app)
    print(f"CERT Council serving on http://{args.host}:{args.port}/ "
          f"(async mode {socketio(app).async_mode})", flush=True)
    socketio(app).run(app, host=args.host, port=args.port, log_output=False,
                      allow_unsafe_werkzeug=True, use_reloader=False)


if __name__ == "__main__":
    main()

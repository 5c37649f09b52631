"""The stack's limit for the fan-out benchmark: a bare Flask-SocketIO relay.

Same async mode (gevent, patched first), same Socket.IO server and websocket
transport as the platform, no storage, no auth, no sanitising: ``join`` enters
the room, ``post`` numbers the message and re-emits it to the room.

    .venv/bin/python bench/relay_app.py --port 5099
"""

from __future__ import annotations

from gevent import monkey

monkey.patch_all()

import argparse  # noqa: E402
import itertools  # noqa: E402
from typing import Any  # noqa: E402

from flask import Flask  # noqa: E402
from flask_socketio import SocketIO, join_room  # noqa: E402

app = Flask(__name__)
socketio = SocketIO(app, async_mode="gevent", logger=False, engineio_logger=False, ping_interval=20,
                    ping_timeout=20)
seqs: dict[int, Any] = {}


@app.get("/healthz")
def health() -> dict[str, str]:
    return {"status": "ok"}


@socketio.on("connect")
def on_connect(auth: Any = None) -> bool:
    return True


@socketio.on("join")
def on_join(data: dict[str, Any]) -> dict[str, Any]:
    join_room(f"room:{data['room']}")
    return {"ok": True, "latest_seq": 0, "events": []}


@socketio.on("post")
def on_post(data: dict[str, Any]) -> dict[str, Any]:
    room = data["room"]
    seq = next(seqs.setdefault(room, itertools.count(1)))
    event = {"room": room, "seq": seq, "kind": "message", "body": data.get("body", ""),
             "client_id": data.get("client_id")}
    socketio.emit("event", event, to=f"room:{room}")
    return {"ok": True, "seq": seq}


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5099)
    args = parser.parse_args()
    print(f"relay on http://{args.host}:{args.port}/", flush=True)
    socketio.run(app, host=args.host, port=args.port, log_output=False, allow_unsafe_werkzeug=True)

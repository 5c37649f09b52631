"""The socket post path in-process: ms per chat post, alone and in group-committed batches.

Runs exactly what the ``post`` handler runs for each post — re-check the user
and token, ``stream.post`` (access, idempotency, Markdown + bleach, event row,
audit row), the answer to the poster — through ``GroupCommit`` in batches of K
posts on a fresh SQLite database, with the outbox handed to a no-op sender.
No sockets: this isolates the per-post and per-transaction costs that the
fan-out benchmark (bench/fanout.py) sees mixed with Socket.IO's.

    .venv/bin/python bench/post_path.py [--batches 1,10,30] [--posts 400]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.scratch import scratch_app
from council.actors import SYSTEM
from council.auth.services import create_user
from council.auth.signin import load_session_user
from council.auth.tokens import create_token
from council.extensions import database
from council.groupcommit import _Unit
from council.orgs.services import create_org
from council.rooms import stream
from council.rooms.services import create_room
from council.sockets import _token_valid

BODY = "Status update {n}: **containment** in progress."  # the fan-out benchmark's message


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--batches", default="1,10,30", help="posts per transaction")
    parser.add_argument("--posts", type=int, default=400, help="posts measured per batch size")
    args = parser.parse_args()
    app = scratch_app("council-post-path-")
    db = database(app)
    with db.transaction() as s:
        org = create_org(s, actor=SYSTEM, name="Bench CERT", tier="national")
        user = create_user(s, actor=SYSTEM, email="lead@bench.example", name="Bench Lead", org_id=org.id,
                           role="member", password="bench-password-123")
        token, _text = create_token(s, actor=SYSTEM, user=user, label="bench")
        room = create_room(s, actor=user, title="Post path", severity="high", tlp="GREEN", org_ids=[org.id])
        ids = (user.id, user.session_version, token.id, room.id)
    db.sender = lambda _items: None
    counter = iter(range(10**9))

    def unit() -> _Unit[Any]:
        n = next(counter)
        user_id, version, token_id, room_id = ids

        def work(session: Any) -> dict[str, Any]:
            actor = load_session_user(session, user_id, version)
            assert actor is not None and _token_valid(session, token_id)
            event, _ = stream.post(session, actor=actor, room_id=room_id, kind="message",
                                   payload={"body": BODY.format(n=n)}, client_id=f"bench-{n}")
            return {"ok": True, "seq": event.seq, "event": stream.shown_to_poster(session, actor, event)}
        return _Unit(work)

    print("| posts per transaction | median ms per post | p95 ms per post |")
    print("| ---: | ---: | ---: |")
    with app.app_context():
        for k in [int(x) for x in args.batches.split(",")]:
            per_post = []
            for rounds in range(max(3, args.posts // k) + 3):
                batch = [unit() for _ in range(k)]
                started = time.perf_counter()
                db.grouped._write(batch)
                elapsed = (time.perf_counter() - started) * 1000 / k
                for done in batch:
                    done.result()
                if rounds >= 3:  # the first batches warm caches
                    per_post.append(elapsed)
            per_post.sort()
            print(f"| {k} | {statistics.median(per_post):.2f} | {per_post[int(len(per_post) * 0.95)]:.2f} |",
                  flush=True)


if __name__ == "__main__":
    main()

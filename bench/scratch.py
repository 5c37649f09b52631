"""A throwaway app on a fresh SQLite file, for the in-process benchmarks.

Threading mode: these scripts call services and the test client directly,
with no server and no gevent patching.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from flask import Flask

from council import create_app
from council.migrate import upgrade


def scratch_app(prefix: str) -> Flask:
    """A migrated database in a new temporary folder, and the app on it."""
    tmp = Path(tempfile.mkdtemp(prefix=prefix))
    url = f"sqlite:///{tmp / 'bench.db'}"
    upgrade(url)
    return create_app({"COUNCIL_DATABASE_URL": url, "COUNCIL_SECRET_KEY": "bench", "COUNCIL_ASYNC_MODE": "threading",
                       "INSTANCE_PATH": str(tmp)})

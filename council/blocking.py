"""Run CPU-heavy C calls without stalling the event loop.

Under gevent every greenlet shares one OS thread: an argon2 hash (tens of
milliseconds of C with the GIL released) would stop every socket for that
time. Sent to gevent's native thread pool, it runs beside the loop instead.
Without gevent patching (tests, threading mode) the call simply runs inline.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def _gevent_active() -> bool:
    try:
        from gevent import monkey
    except ImportError:  # pragma: no cover - gevent is a dependency
        return False
    return bool(monkey.is_module_patched("threading"))


def run_blocking(fn: Callable[..., T], *args: object) -> T:
    if _gevent_active():
        import gevent

        return gevent.get_hub().threadpool.apply(fn, args)
    return fn(*args)

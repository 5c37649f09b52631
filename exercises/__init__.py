"""Tabletop exercises on the council's room engine: scenarios (MSEL), runs
with an exercise clock, inject release, player responses, evaluation.

Builds on council/ (never the reverse): ``init_app`` registers the slice's
blueprints, room event kinds, audiences, timed job and pages with the core.
"""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from exercises.setup import register

    register(app)

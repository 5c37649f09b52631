"""CERT Council: the platform on which a national CERT, its sectoral CERTs and
organisational CERTs coordinate incidents, decide together and exercise."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flask import Flask


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the app (see council.app). Imported lazily so that
    ``python -m council.server`` can let gevent patch the standard library
    before Flask and friends are imported."""
    from council.app import create_app as build

    return build(config)


__all__ = ["create_app"]

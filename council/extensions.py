"""Typed access to the per-app objects the factory creates.

Every app built by ``create_app`` gets its own Database, SocketIO server and
login manager (tests build many apps; none share state through a global).
"""

from __future__ import annotations

from flask import Flask, current_app
from flask_socketio import SocketIO

from council.config import Settings
from council.db import Database


def database(app: Flask | None = None) -> Database:
    return (app or current_app).extensions["council_db"]


def settings(app: Flask | None = None) -> Settings:
    return (app or current_app).extensions["council_settings"]


def socketio(app: Flask | None = None) -> SocketIO:
    return (app or current_app).extensions["socketio"]

"""The OpenAPI 3.1 document of /api/v1, written from the endpoints' declared
shapes (council/api/contract.py). A test keeps it true to the URL map.

``add_paths`` is for paths not yet declared with shapes (hand-written entries).
"""

from __future__ import annotations

from typing import Any

from council.api import contract

ERROR = {"$ref": "#/components/schemas/Error"}


def _json(schema: dict[str, Any]) -> dict[str, Any]:
    return {"content": {"application/json": {"schema": schema}}}


def _ok(schema: dict[str, Any], description: str = "OK") -> dict[str, Any]:
    return {"description": description, **_json(schema)}


ERRORS = {
    "401": {"description": "No or bad credentials", **_json(ERROR)},
    "404": {"description": "Absent, or not visible to the caller", **_json(ERROR)},
}
WRITE_ERRORS = {
    **ERRORS,
    "400": {"description": "Not a JSON object", **_json(ERROR)},
    "403": {"description": "Visible, but not the caller's to do", **_json(ERROR)},
    "409": {"description": "Clashes with the current state (e.g. closed room)", **_json(ERROR)},
    "422": {"description": "Invalid fields", **_json(ERROR)},
}
PATHS: dict[str, Any] = {}
SCHEMAS: dict[str, Any] = {}

INFO = {"title": "CERT Council API", "version": "1",
        "description": "Rooms, events and (with their modules) decisions, exercises and reports."}
SECURITY = {
    "bearer": {"type": "http", "scheme": "bearer", "description": "API token from the account page"},
    "session": {"type": "apiKey", "in": "cookie", "name": "council_session",
                "description": "Browser session; writes need the X-CSRFToken header"},
}


def add_paths(paths: dict[str, Any], schemas: dict[str, Any] | None = None) -> None:
    PATHS.update(paths)
    SCHEMAS.update(schemas or {})


def document() -> dict[str, Any]:
    doc = contract.document(INFO, SECURITY)
    for path, ops in PATHS.items():
        doc["paths"].setdefault(path, {}).update(ops)
    doc["components"]["schemas"].update(SCHEMAS)
    return doc

"""The OpenAPI 3 document of /api/v1. A test keeps it true to the URL map;
modules add their own paths with :func:`add_paths`."""

from __future__ import annotations

from typing import Any

from council.rooms.models import ACTION_STATUSES, SEVERITIES, TIMELINE_CATEGORIES, TLPS

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
ROOM_ID = {"name": "room_id", "in": "path", "required": True, "schema": {"type": "integer"}}

SCHEMAS: dict[str, Any] = {
    "Error": {"type": "object", "required": ["error"], "properties": {
        "error": {"type": "string"},
        "fields": {"type": "object", "additionalProperties": {"type": "string"}}}},
    "Org": {"type": "object", "required": ["id", "name", "tier", "sector", "parent_id"], "properties": {
        "id": {"type": "integer"}, "name": {"type": "string"},
        "tier": {"type": "string", "enum": ["national", "sectoral", "organizational"]},
        "sector": {"type": ["string", "null"]}, "parent_id": {"type": ["integer", "null"]}}},
    "Room": {"type": "object", "required": ["id", "title", "severity", "status", "tlp", "orgs", "latest_seq"],
             "properties": {
                 "id": {"type": "integer"}, "kind": {"type": "string", "enum": ["incident", "exercise"]},
                 "exercise": {"type": "boolean"}, "title": {"type": "string"}, "summary": {"type": "string"},
                 "summary_html": {"type": "string"}, "severity": {"type": "string", "enum": list(SEVERITIES)},
                 "status": {"type": "string", "enum": ["open", "monitoring", "closed"]},
                 "tlp": {"type": "string", "enum": list(TLPS)},
                 "orgs": {"type": "array", "items": {"type": "object"}},
                 "members": {"type": "array", "items": {"type": "object"}},
                 "latest_seq": {"type": "integer"}, "role": {"type": ["string", "null"]},
                 "sitrep_cadence_min": {"type": ["integer", "null"]}}},
    "NewRoom": {"type": "object", "required": ["title", "severity", "tlp", "orgs"], "properties": {
        "title": {"type": "string", "maxLength": 200}, "summary": {"type": "string"},
        "severity": {"type": "string", "enum": list(SEVERITIES)}, "tlp": {"type": "string", "enum": list(TLPS)},
        "orgs": {"type": "array", "items": {"type": "integer"}},
        "members": {"type": "array", "items": {"type": "string", "format": "email"}}}},
    "Event": {"type": "object", "required": ["room", "seq", "kind", "id", "author", "created_at", "body",
                                             "body_html", "client_id", "exercise"],
              "additionalProperties": True, "properties": {
                  "room": {"type": "integer"}, "seq": {"type": "integer"}, "kind": {"type": "string"},
                  "id": {"type": "integer"},
                  "author": {"type": ["object", "null"], "properties": {
                      "id": {"type": "integer"}, "name": {"type": "string"}, "org": {"type": "string"}}},
                  "created_at": {"type": "string", "format": "date-time"}, "body": {"type": "string"},
                  "body_html": {"type": "string"}, "client_id": {"type": ["string", "null"]},
                  "exercise": {"type": "boolean"}}},
    "NewEvent": {"type": "object", "required": ["kind"], "additionalProperties": True, "description": (
        "kind message: body (markdown), edits? (seq), redacts? (seq), reason?. "
        "timeline: body, occurred_at (ISO 8601), category. "
        "action: title, assignee_org_id?, assignee_user_id?, due_at?, status?; with action_id to update. "
        "sitrep: situation, impact, actions_taken, next_steps, requests. "
        "status (lead): status?, severity?, tlp?, title?, summary?, sitrep_cadence_min?, orgs_add?, orgs_remove?. "
        "member (lead): op add|remove|role, email or user_id, role."),
        "properties": {
            "kind": {"type": "string"}, "body": {"type": "string"},
            "client_id": {"type": "string", "maxLength": 64},
            "category": {"type": "string", "enum": list(TIMELINE_CATEGORIES)},
            "status": {"type": "string", "enum": [*ACTION_STATUSES, "open", "monitoring", "closed"]}}},
    "Action": {"type": "object", "properties": {
        "id": {"type": "integer"}, "title": {"type": "string"},
        "status": {"type": "string", "enum": list(ACTION_STATUSES)},
        "assignee_org_id": {"type": ["integer", "null"]}, "assignee_user_id": {"type": ["integer", "null"]},
        "due_at": {"type": ["string", "null"], "format": "date-time"}}},
}

PATHS: dict[str, Any] = {
    "/orgs": {"get": {"summary": "Organisations of the council", "responses": {
        "200": _ok({"type": "object", "properties": {
            "orgs": {"type": "array", "items": {"$ref": "#/components/schemas/Org"}}}}),
        **ERRORS}}},
    "/people": {"get": {"summary": "People the caller may name (search as you type)", "parameters": [
        {"name": "q", "in": "query", "required": True, "schema": {"type": "string", "minLength": 2, "maxLength": 200}},
        {"name": "room", "in": "query", "schema": {"type": "integer"},
         "description": "Only people who may be named in this room (and are not yet)"}],
        "responses": {"200": _ok({"type": "object", "required": ["people"], "properties": {"people": {
            "type": "array", "items": {"type": "object", "required": ["id", "name", "email", "org_id", "org"],
                                       "properties": {"id": {"type": "integer"}, "name": {"type": "string"},
                                                      "email": {"type": "string"}, "org_id": {"type": "integer"},
                                                      "org": {"type": "string"}}}}}}),
                      "422": {"description": "Query too short or too long", **_json(ERROR)}, **ERRORS}}},
    "/rooms": {
        "get": {"summary": "Rooms visible to the caller", "parameters": [
            {"name": "status", "in": "query",
             "schema": {"type": "string", "enum": ["open", "monitoring", "closed", "active"]}},
            {"name": "tlp", "in": "query", "schema": {"type": "string", "enum": list(TLPS)}},
            {"name": "mine", "in": "query", "schema": {"type": "boolean"}},
            {"name": "kind", "in": "query", "schema": {"type": "string", "enum": ["incident", "exercise", "all"]}}],
            "responses": {"200": _ok({"type": "object", "properties": {
                "rooms": {"type": "array", "items": {"$ref": "#/components/schemas/Room"}}}}), **ERRORS}},
        "post": {"summary": "Open a room (the caller becomes its lead)",
                 "requestBody": {"required": True, **_json({"$ref": "#/components/schemas/NewRoom"})},
                 "responses": {"201": _ok({"$ref": "#/components/schemas/Room"}, "Created"), **WRITE_ERRORS}}},
    "/rooms/{room_id}": {"get": {"summary": "One room", "parameters": [ROOM_ID], "responses": {
        "200": _ok({"$ref": "#/components/schemas/Room"}), **ERRORS}}},
    "/rooms/{room_id}/events": {
        "get": {"summary": "Events after `since` (or before `before`), oldest first", "parameters": [
            ROOM_ID, {"name": "since", "in": "query", "schema": {"type": "integer"}},
            {"name": "before", "in": "query", "schema": {"type": "integer"}},
            {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 500}}],
            "responses": {"200": _ok({"type": "object", "properties": {
                "events": {"type": "array", "items": {"$ref": "#/components/schemas/Event"}},
                "latest_seq": {"type": "integer"}, "has_more": {"type": "boolean"}}}), **ERRORS}},
        "post": {"summary": "Post an event; a repeated client_id returns the first event (200)",
                 "parameters": [ROOM_ID],
                 "requestBody": {"required": True, **_json({"$ref": "#/components/schemas/NewEvent"})},
                 "responses": {"201": _ok({"$ref": "#/components/schemas/Event"}, "Created"),
                               "200": _ok({"$ref": "#/components/schemas/Event"}, "Retry of an earlier post"),
                               **WRITE_ERRORS}}},
    "/rooms/{room_id}/read": {"post": {
        "summary": "The caller has read the room up to seq (unread counts; never moves back)",
        "parameters": [ROOM_ID],
        "requestBody": {"required": True, **_json({"type": "object", "required": ["seq"], "properties": {
            "seq": {"type": "integer", "minimum": 0}}})},
        "responses": {"200": _ok({"type": "object", "required": ["room", "seq"], "properties": {
            "room": {"type": "integer"}, "seq": {"type": "integer"}}}), **WRITE_ERRORS}}},
    "/rooms/{room_id}/actions": {"get": {"summary": "Action items, current state", "parameters": [ROOM_ID],
        "responses": {"200": _ok({"type": "object", "properties": {
            "actions": {"type": "array", "items": {"$ref": "#/components/schemas/Action"}}}}), **ERRORS}}},
    "/rooms/{room_id}/sitreps": {"get": {"summary": "Sitrep state per participating organisation",
        "parameters": [ROOM_ID], "responses": {"200": _ok({"type": "object", "properties": {
            "orgs": {"type": "array", "items": {"type": "object", "properties": {
                "org_id": {"type": "integer"}, "org": {"type": "string"},
                "state": {"type": "string", "enum": ["reported", "due", "overdue", "none"]},
                "last_seq": {"type": ["integer", "null"]}}}}}}), **ERRORS}}},
    "/preview": {"post": {"summary": "Render markdown through the platform's sanitiser",
        "requestBody": {"required": True, **_json({"type": "object", "properties": {"body": {"type": "string"}}})},
        "responses": {"200": _ok({"type": "object", "properties": {"html": {"type": "string"}}}), **WRITE_ERRORS}}},
    "/openapi.json": {"get": {"summary": "This document", "security": [],
                              "responses": {"200": {"description": "OpenAPI 3 document"}}}},
}


def add_paths(paths: dict[str, Any], schemas: dict[str, Any] | None = None) -> None:
    PATHS.update(paths)
    SCHEMAS.update(schemas or {})


def document() -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {"title": "CERT Council API", "version": "1",
                 "description": "Rooms, events and (with their modules) decisions, exercises and reports."},
        "servers": [{"url": "/api/v1"}],
        "security": [{"bearer": []}, {"session": []}],
        "paths": PATHS,
        "components": {
            "schemas": SCHEMAS,
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer", "description": "API token from the account page"},
                "session": {"type": "apiKey", "in": "cookie", "name": "council_session",
                            "description": "Browser session; writes need the X-CSRFToken header"},
            },
        },
    }

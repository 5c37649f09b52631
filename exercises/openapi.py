"""OpenAPI paths of the exercise API."""

from __future__ import annotations

from typing import Any

from council.api.openapi import ERRORS, WRITE_ERRORS, _json, _ok, add_paths

EX = {"name": "exercise_id", "in": "path", "required": True, "schema": {"type": "integer"}}
SC = {"name": "scenario_id", "in": "path", "required": True, "schema": {"type": "integer"}}
MSEL = {"name": "msel_id", "in": "path", "required": True, "schema": {"type": "string"}}
ROW_ERRORS = {"type": "object", "properties": {"error": {"type": "string"}, "rows": {"type": "array", "items": {
    "type": "object", "properties": {"row": {"type": "integer"}, "column": {"type": "string"},
                                     "message": {"type": "string"}}}}}}
CLOCK = {"type": "object", "properties": {"state": {"type": "string"}, "t_plus_s": {"type": "number"}}}
INJECT = {"type": "object", "description": "An exercise inject with its release state (staff view)"}


def add_openapi() -> None:
    paths = {
        "/scenarios": {
            "get": {"summary": "The scenario library (latest versions)", "parameters": [
                {"name": "sector", "in": "query", "schema": {"type": "string"}},
                {"name": "capability", "in": "query", "schema": {"type": "string"}}],
                "responses": {"200": _ok({"type": "object"}), **ERRORS}},
            "post": {"summary": "Import a scenario as JSON (metadata and MSEL rows)",
                     "requestBody": {"required": True, **_json({"type": "object"})},
                     "responses": {"201": _ok({"type": "object", "properties": {
                         "id": {"type": "integer"}, "injects": {"type": "integer"}}}),
                         "422": {"description": "Bad rows", **_json(ROW_ERRORS)}, **ERRORS}}},
        "/scenarios/import": {"post": {
            "summary": "Import an MSEL CSV as a new scenario; any bad row imports nothing",
            "parameters": [{"name": "title", "in": "query", "required": True, "schema": {"type": "string"}}],
            "requestBody": {"required": True, "content": {"text/csv": {"schema": {"type": "string"}}}},
            "responses": {"201": _ok({"type": "object", "properties": {
                "id": {"type": "integer"}, "injects": {"type": "integer"}}}, "Imported"),
                "422": {"description": "Errors with row and column", **_json(ROW_ERRORS)}, **ERRORS}}},
        "/scenarios/{scenario_id}": {"get": {"summary": "A scenario with its MSEL (JSON export)",
                                            "parameters": [SC], "responses": {"200": _ok({"type": "object"}),
                                                                              **ERRORS}}},
        "/scenarios/{scenario_id}/msel.csv": {"get": {"summary": "The MSEL as CSV", "parameters": [SC],
            "responses": {"200": {"description": "CSV", "content": {"text/csv": {"schema": {"type": "string"}}}},
                          **ERRORS}}},
        "/exercises": {"post": {"summary": "Create a run from a scenario version (the caller directs it)",
            "requestBody": {"required": True, **_json({"type": "object", "required": ["scenario_id", "title", "orgs"],
                "properties": {"scenario_id": {"type": "integer"}, "title": {"type": "string"},
                               "orgs": {"type": "array", "items": {"type": "integer"}},
                               "controllers": {"type": "array", "items": {"type": "string"}},
                               "evaluators": {"type": "array", "items": {"type": "string"}},
                               "players": {"type": "object", "additionalProperties": {
                                   "type": "array", "items": {"type": "string"}}, "description": (
                                   "Team name -> player emails. Omitted or empty: one team per participating "
                                   "organisation with its active members who have no other role. A team "
                                   "without players is refused (422, field players).")},
                               "observers": {"type": "array", "items": {"type": "string"}},
                               "speed": {"type": "number", "minimum": 1, "maximum": 60},
                               "tlp": {"type": "string"}}})},
            "responses": {"201": _ok({"type": "object", "properties": {
                "id": {"type": "integer"}, "room_id": {"type": "integer"}}}, "Created"), **WRITE_ERRORS}}},
        "/exercises/{exercise_id}": {"get": {"summary": "The run as the caller may see it (staff: the MSEL)",
                                            "parameters": [EX], "responses": {"200": _ok({"type": "object"}),
                                                                              **ERRORS}}},
        "/exercises/{exercise_id}/injects": {"post": {"summary": "Write and release an ad-hoc inject",
            "parameters": [EX], "requestBody": {"required": True, **_json({"type": "object"})},
            "responses": {"201": _ok(INJECT, "Released"), **WRITE_ERRORS}}},
    }
    for op, what in (("start", "STARTEX"), ("pause", "Pause the clock"), ("resume", "Resume the clock"),
                     ("end", "ENDEX"), ("stop", "Real-world emergency stop (director)")):
        paths[f"/exercises/{{exercise_id}}/{op}"] = {"post": {"summary": what, "parameters": [EX],
            "responses": {"200": _ok(CLOCK), **WRITE_ERRORS}}}
    for op, what in (("release", "Release now (early, held or during a pause)"),
                     ("hold", "Hold or un-hold ({\"held\": bool})"), ("edit", "Edit before release")):
        paths[f"/exercises/{{exercise_id}}/injects/{{msel_id}}/{op}"] = {"post": {"summary": what,
            "parameters": [EX, MSEL], "responses": {"200": _ok(INJECT), **WRITE_ERRORS}}}
    add_paths(paths)


REPORT = {"name": "report_id", "in": "path", "required": True, "schema": {"type": "integer"}}
CA = {"name": "action_id", "in": "path", "required": True, "schema": {"type": "integer"}}
OBJ = {"type": "object"}


def add_report_openapi() -> None:
    def post(summary: str, params: list[Any], code: str = "200", schema: dict[str, Any] | None = None) -> dict:
        return {"post": {"summary": summary, "parameters": params,
                         "requestBody": {"required": True, **_json(schema or OBJ)},
                         "responses": {code: _ok(OBJ), **WRITE_ERRORS}}}

    add_paths({
        "/reports": {
            "get": {"summary": "The reviewers' library: latest published versions the caller may read", "parameters": [
                {"name": n, "in": "query", "schema": {"type": t}} for n, t in (
                    ("q", "string"), ("type", "string"), ("sector", "string"), ("year", "integer"),
                    ("capability", "string"), ("org", "integer"))],
                "responses": {"200": _ok(OBJ), **ERRORS}},
            **post("Start a report drafted from the record of a closed incident room or an ended exercise", [],
                   "201", {"type": "object", "required": ["room_id"], "properties": {"room_id": {"type": "integer"}}})},
        "/reports/{report_id}": {"get": {"summary": "A report with its sections, figures and improvement plan",
                                         "parameters": [REPORT], "responses": {"200": _ok(OBJ), **ERRORS}}},
        "/reports/{report_id}/sections/{key}": post(
            "Save a section; refused with 409 and the current text when its version moved on",
            [REPORT, {"name": "key", "in": "path", "required": True, "schema": {"type": "string"}}], "200",
            {"type": "object", "required": ["body", "version"], "properties": {
                "body": {"type": "string"}, "version": {"type": "integer"}}}),
        "/reports/{report_id}/actions": post("Add a corrective action to the improvement plan", [REPORT], "201"),
        "/reports/{report_id}/submit": post("Send for review to named reviewers", [REPORT], "200", {
            "type": "object", "properties": {"reviewers": {"type": "array", "items": {"type": "string"}}}}),
        "/reports/{report_id}/comments": post("Comment on a section (threaded with parent_id)", [REPORT], "201"),
        "/reports/{report_id}/review": post("Approve (sign off) or request changes", [REPORT], "200", {
            "type": "object", "properties": {"decision": {"type": "string", "enum": ["approve", "changes"]},
                                             "note": {"type": "string"}}}),
        "/reports/{report_id}/publish": post("Publish (over missing sign-offs only with override_reason)", [REPORT]),
        "/reports/{report_id}/revise": post("Start a new version from a published report", [REPORT], "201"),
        "/corrective-actions": {"get": {"summary": "The council's corrective actions register", "parameters": [
            {"name": n, "in": "query", "schema": {"type": t}} for n, t in (
                ("org", "integer"), ("status", "string"), ("overdue", "boolean"), ("capability", "string"))],
            "responses": {"200": _ok(OBJ), **ERRORS}}},
        "/corrective-actions/{action_id}": {"get": {"summary": "A corrective action with its history and links",
                                                    "parameters": [CA], "responses": {"200": _ok(OBJ), **ERRORS}}},
        "/corrective-actions/{action_id}/status": post(
            "Owners update the status with a note (done needs an evidence note)", [CA]),
        "/corrective-actions/{action_id}/links": post(
            "Link to an inject that re-tests it (validates) or an incident (reappeared / shown_fixed)", [CA], "201"),
    })

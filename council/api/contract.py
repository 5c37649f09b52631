"""REST endpoints declared with their shapes, and the OpenAPI document written from them.

``endpoint`` registers a Flask view and its contract at once: the path's ids
(positive 64-bit integers), the query model, the body model and the answer
model of each status. The view gets the validated ``args`` and ``data``; under
TESTING every JSON answer is checked against the model of its status, so the
document cannot drift from what the server says. Error answers are documented
by the status list in ``errors`` (the one error handler writes them).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask import Blueprint, current_app, request
from pydantic import BaseModel, TypeAdapter, ValidationError

from council.api.shapes import MAX_ID, In, NotJson, Out, QueryArgs, adapter, not_json, parse_args, parse_json

ERROR_TEXT = {
    400: "Not a JSON object, or a malformed one", 401: "No or bad credentials",
    403: "Visible, but not the caller's to do", 404: "Absent, or not visible to the caller",
    409: "Clashes with the current state", 410: "The row exists, its content is gone", 413: "Too large",
    422: "Invalid fields (named in `fields`)",
    503: "Not available on this server",
}
READ = (401, 404)
WRITE = (400, 401, 403, 404, 409, 422)


class Error(Out):
    error: str
    fields: dict[str, str] | None = None


@dataclass
class Operation:
    rule: str
    method: str
    summary: str
    body: Any  # an In model, or a function returning a type (shapes registered later, e.g. event kinds)
    query: type[QueryArgs] | None
    responses: dict[int, Any]
    errors: tuple[int, ...]
    description: str = ""
    raw_body: dict[str, Any] | None = None  # a non-JSON body (CSV, multipart): its OpenAPI content
    public: bool = False
    extra_content: dict[int, dict[str, Any]] = field(default_factory=dict)  # other media types of an answer
    refusal: str = "The request was not accepted."  # the error text of a 422 from the shapes


OPERATIONS: list[Operation] = []


def endpoint(bp: Blueprint, rule: str, method: str, *, summary: str, body: Any = None,
             query: type[QueryArgs] | None = None, responses: dict[int, Any] | None = None,
             errors: tuple[int, ...] | None = None, description: str = "",
             raw_body: dict[str, Any] | None = None, public: bool = False,
             extra_content: dict[int, dict[str, Any]] | None = None,
             refusal: str = "The request was not accepted.") -> Callable[[Callable[..., Any]], Any]:
    """Declare a REST endpoint: ``rule`` relative to the blueprint's prefix."""
    method = method.upper()
    op = Operation(f"{bp.url_prefix or ''}{rule}", method, summary, body, query, responses or {200: None},
                   errors if errors is not None else (READ if method == "GET" else WRITE), description,
                   raw_body, public, extra_content or {}, refusal)
    OPERATIONS.append(op)

    def wrap(view: Callable[..., Any]) -> Any:
        @functools.wraps(view)
        def handler(**path: Any) -> Any:
            kwargs = dict(path)
            if query is not None:
                kwargs["args"] = parse_args(query, request.args)
            if body is not None:
                if not request.is_json:
                    raise NotJson(not_json())
                kwargs["data"] = parse_json(resolve(body), request.get_data(cache=True), op.refusal)
            answer = view(**kwargs)
            if current_app.testing:
                check_answer(op, answer)
            return answer

        bp.add_url_rule(rule, view.__name__, handler, methods=[method])
        return handler

    return wrap


def resolve(shape: Any) -> Any:
    """A declared shape, or the one a function builds now (kinds register after routes)."""
    return shape if isinstance(shape, type) and issubclass(shape, In) else shape()


def check_answer(op: Operation, answer: Any) -> None:
    """Under TESTING: a JSON answer must fit the model its status documents."""
    body, status = (answer if isinstance(answer, tuple) else (answer, 200))[:2]
    if not isinstance(body, dict | list):
        return
    model = op.responses.get(status, ...)
    if model is ...:
        raise AssertionError(f"{op.method} {op.rule} answered {status}, which its contract does not list")
    if model is None:
        return
    try:
        adapter(model).validate_python(body)
    except ValidationError as err:
        raise AssertionError(f"{op.method} {op.rule} {status} does not fit its contract: {err}") from None


# --- the document --------------------------------------------------------------------------------

_PARAM = re.compile(r"<(?:(\w+):)?(\w+)>")


def openapi_path(rule: str, prefix: str = "/api/v1") -> str:
    return _PARAM.sub(lambda m: "{" + m.group(2) + "}", rule[len(prefix):] if rule.startswith(prefix) else rule)


class Schemas:
    """Collects the components/schemas of the models the document names."""

    def __init__(self) -> None:
        self.components: dict[str, Any] = {}

    def of(self, model: Any) -> dict[str, Any]:
        schema = TypeAdapter(model).json_schema(ref_template="#/components/schemas/{model}", mode="serialization"
                                                if _is_answer(model) else "validation")
        self.components.update(schema.pop("$defs", {}))
        if isinstance(model, type) and issubclass(model, BaseModel):
            self.components[model.__name__] = schema
            return {"$ref": f"#/components/schemas/{model.__name__}"}
        return schema


def _is_answer(model: Any) -> bool:
    return isinstance(model, type) and issubclass(model, Out)


def _parameters(op: Operation, schemas: Schemas) -> list[dict[str, Any]]:
    params = []
    for converter, name in _PARAM.findall(op.rule):
        schema: dict[str, Any] = {"type": "integer", "minimum": 1, "maximum": MAX_ID} if converter == "int" else {
            "type": "string", "minLength": 1, "maxLength": 64}
        params.append({"name": name, "in": "path", "required": True, "schema": schema})
    if op.query is not None:
        full = schemas.of(op.query)
        props = schemas.components[op.query.__name__].get("properties", {})
        required = set(schemas.components[op.query.__name__].get("required", []))
        del full
        for name, schema in props.items():
            schema = {k: v for k, v in schema.items() if k != "title"}
            param = {"name": name, "in": "query", "required": name in required, "schema": schema}
            if schema.get("type") == "array":
                param.update({"style": "form", "explode": True})
            if "description" in schema:
                param["description"] = schema.pop("description")
            params.append(param)
        schemas.components.pop(op.query.__name__, None)
    return params


def _operation(op: Operation, schemas: Schemas) -> dict[str, Any]:
    out: dict[str, Any] = {"summary": op.summary, "operationId": f"{op.method.lower()}_{op.rule}"}
    if op.description:
        out["description"] = op.description
    params = _parameters(op, schemas)
    if params:
        out["parameters"] = params
    if op.body is not None:
        out["requestBody"] = {"required": True, "content": {"application/json": {
            "schema": schemas.of(resolve(op.body))}}}
    elif op.raw_body is not None:
        out["requestBody"] = {"required": True, "content": op.raw_body}
    responses: dict[str, Any] = {}
    for status, model in op.responses.items():
        entry: dict[str, Any] = {"description": "OK" if status < 300 else str(status)}
        if model is not None:
            entry["content"] = {"application/json": {"schema": schemas.of(model)}}
        if status in op.extra_content:
            entry.setdefault("content", {}).update(op.extra_content[status])
        responses[str(status)] = entry
    error_ref = schemas.of(Error)
    for status in op.errors:
        responses.setdefault(str(status), {"description": ERROR_TEXT[status],
                                           "content": {"application/json": {"schema": error_ref}}})
    out["responses"] = responses
    if op.public:
        out["security"] = []
    return out


def document(info: dict[str, Any], security: dict[str, Any]) -> dict[str, Any]:
    schemas = Schemas()
    paths: dict[str, Any] = {}
    for op in OPERATIONS:
        paths.setdefault(openapi_path(op.rule), {})[op.method.lower()] = _operation(op, schemas)
    return {"openapi": "3.1.0", "info": info, "servers": [{"url": "/api/v1"}],
            "security": [{"bearer": []}, {"session": []}], "paths": paths,
            "components": {"schemas": schemas.components, "securitySchemes": security}}

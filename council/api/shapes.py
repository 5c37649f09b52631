"""Shapes declared once: the types every REST body, query string, socket payload
and event kind's payload is validated with, and from which the OpenAPI document
is written (council/api/contract.py). Bounds live in the types: ids are positive
64-bit integers, text has a maximum length, enums are closed, and a body names
exactly the fields a caller may set (anything else is refused, never copied).

Validation failures become one Invalid error (422) naming each field; a body
that is not a JSON object at all (or is malformed, or nested beyond reason) is
a 400: it is not the API's language.
"""

from __future__ import annotations

from datetime import date
from functools import lru_cache
from typing import Annotated, Any

from flask_babel import gettext as _
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    TypeAdapter,
    ValidationError,
    WithJsonSchema,
)

from council.errors import N_, DomainError, Invalid
from council.text import clean_line, clean_text

MAX_ID = 2**63 - 1
Id = Annotated[int, Field(ge=1, le=MAX_ID)]
Seq = Annotated[int, Field(ge=0, le=MAX_ID)]
Count = Annotated[int, Field(ge=0, le=MAX_ID)]
ClientId = Annotated[str, StringConstraints(max_length=64)]
TimeText = Annotated[str, StringConstraints(max_length=64)]  # ISO 8601; services parse it (with ``tz``)
ZoneName = Annotated[str, StringConstraints(max_length=64)]
Email = Annotated[str, StringConstraints(max_length=254)]




# The default refusal of a body (endpoints name their own: council/api/contract.py).
REFUSED = N_("The request was not accepted.")


def _iso_date(value: Any) -> Any:
    """Only YYYY-MM-DD is a date here (pydantic would also read "0" as 1970-01-01)."""
    if isinstance(value, date):
        return value
    if not isinstance(value, str) or len(value) != 10:
        raise ValueError(_("A date (YYYY-MM-DD)."))
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValueError(_("A date (YYYY-MM-DD) that exists.")) from None


DateText = Annotated[date, BeforeValidator(_iso_date), WithJsonSchema({"type": "string", "format": "date"})]


def text(max_length: int, min_length: int = 0, *, line: bool = False) -> Any:
    """A text field of at most ``max_length`` characters, without NUL; ``line``: a name
    or title, without bidi controls either (council/text.py says why)."""
    return Annotated[str, StringConstraints(max_length=max_length, min_length=min_length),
                     AfterValidator(clean_line if line else clean_text)]


class In(BaseModel):
    """A request body or socket payload: JSON types only (no coercion), no unknown fields."""

    model_config = ConfigDict(strict=True, extra="forbid")

    def given(self) -> dict[str, Any]:
        """The fields the caller sent (services tell "absent" from "null")."""
        return self.model_dump(exclude_unset=True)


class QueryArgs(BaseModel):
    """A query string: text converted to the declared types; unknown filters refused."""

    model_config = ConfigDict(extra="forbid")


class Out(BaseModel):
    """An answer's shape: documents the contract; the tests check every answer against it."""

    model_config = ConfigDict(extra="allow")


class NotJson(DomainError):
    """400: the body is not a JSON object (malformed, another type, or nested too deep)."""


NOT_JSON = "Send a JSON object (Content-Type: application/json)."  # English; answered as not_json()


def not_json() -> str:
    return _("Send a JSON object (Content-Type: application/json).")


def _field(loc: tuple[Any, ...]) -> str:
    """The field a problem is in: its path without list positions ("options", "audience.orgs")."""
    return ".".join(str(part) for part in loc if not isinstance(part, int)) or "body"


SIMPLE = {
    "missing": N_("Required."), "extra_forbidden": N_("Not a field of this request."),
    "string_type": N_("Must be text."), "int_type": N_("Must be a whole number."), "bool_type": N_("true or false."),
    "list_type": N_("Must be a list."), "dict_type": N_("Must be an object."), "model_type": N_("Must be an object."),
    "float_type": N_("Must be a number."), "int_parsing": N_("Must be a whole number."),
    "bool_parsing": N_("true or false."), "date_from_datetime_parsing": N_("A date (YYYY-MM-DD)."),
    "date_parsing": N_("A date (YYYY-MM-DD)."), "datetime_parsing": N_("An ISO 8601 time."),
}
BOUNDS = {"greater_than_equal": N_("Must be greater than or equal to %(limit)s."),
          "less_than_equal": N_("Must be less than or equal to %(limit)s."),
          "greater_than": N_("Must be greater than %(limit)s."), "less_than": N_("Must be less than %(limit)s.")}


def message(problem: Any) -> str:
    """A reader's sentence for one validation problem, in the reader's language."""
    kind, ctx = problem["type"], problem.get("ctx") or {}
    if kind == "value_error":  # our validators' own sentences (through gettext where raised)
        return str(ctx.get("error", problem["msg"])).removeprefix("Value error, ")
    if kind in SIMPLE:
        return _(SIMPLE[kind])
    if kind == "string_too_long":
        return _("At most %(num)s characters.", num=ctx.get("max_length"))
    if kind == "string_too_short":
        return (_("Must not be empty.") if ctx.get("min_length") == 1
                else _("At least %(num)s characters.", num=ctx.get("min_length")))
    if kind == "too_long":
        return _("At most %(num)s items.", num=ctx.get("max_length"))
    if kind == "too_short":
        return _("At least %(num)s items.", num=ctx.get("min_length"))
    if kind in BOUNDS:
        # pydantic says "Input should be greater than or equal to 1": the bound is its last word.
        return _(BOUNDS[kind], limit=problem["msg"].rsplit(" ", 1)[-1])
    if kind in ("literal_error", "enum"):
        return _("Use one of: %(choices)s.", choices=str(ctx.get("expected", "")).replace("'", ""))
    return problem["msg"]


def fields_of(err: ValidationError, tagged: bool = False) -> dict[str, str]:
    """Field name -> message. ``tagged``: a union told apart by a tag field, whose
    errors are located under the tag's value (dropped) or at the tag itself."""
    out: dict[str, str] = {}
    for problem in err.errors(include_url=False):
        loc = problem["loc"]
        if problem["type"] in ("union_tag_invalid", "union_tag_not_found"):
            name = str(problem.get("ctx", {}).get("discriminator", "kind")).strip("'")
            tags = problem.get("ctx", {}).get("expected_tags", "")
            out.setdefault(name, _("Unknown or missing. Use one of: %(choices)s.", choices=tags) if tags
                           else problem["msg"])
            continue
        out.setdefault(_field(loc[1:] if tagged and loc else loc), message(problem))
    return out


def _is_tagged(shape: Any) -> bool:
    return not (isinstance(shape, type) and issubclass(shape, BaseModel))


@lru_cache(maxsize=256)
def adapter(shape: Any) -> TypeAdapter[Any]:
    """One validator per shape (building one costs more than using it)."""
    return TypeAdapter(shape)


def parse_json(shape: Any, raw: bytes | str, what: str = REFUSED) -> Any:
    """Validate JSON text against ``shape`` (pydantic's own parser: no recursion limit to blow)."""
    try:
        return adapter(shape).validate_json(raw)
    except ValidationError as err:
        problems = err.errors(include_url=False)
        kinds = {e["type"] for e in problems}
        not_an_object = any(not e["loc"] and not e["type"].startswith("union_tag") for e in problems)
        if kinds & {"json_invalid", "recursion_loop"} or not_an_object:
            raise NotJson(not_json()) from None
        raise Invalid(_(what), fields_of(err, _is_tagged(shape))) from None


def parse_data(shape: Any, data: Any, what: str = REFUSED) -> Any:
    """Validate already-decoded data (a socket payload) against ``shape``."""
    if not isinstance(data, dict):
        raise Invalid(_(what), {"body": _("An object.")})
    try:
        return adapter(shape).validate_python(data)
    except ValidationError as err:
        raise Invalid(_(what), fields_of(err, _is_tagged(shape))) from None


def parse_args(model: type[QueryArgs], args: Any, *, form: bool = False) -> Any:
    """A query string (a MultiDict) against ``model``: repeated keys become lists where declared.
    ``form``: a page's filter form, whose empty fields mean "any" (the API refuses them)."""
    data: dict[str, Any] = {}
    for key in args:
        values = [v for v in args.getlist(key) if v != ""] if form else args.getlist(key)
        if not values:
            continue
        field = model.model_fields.get(key)
        many = field is not None and "list" in str(field.annotation)
        data[key] = values if many else values[-1]
    try:
        return model.model_validate(data)
    except ValidationError as err:
        raise Invalid(_("Bad query parameter."), fields_of(err)) from None

"""The interface's languages: which one a request speaks, its writing direction, and
the catalogues behind gettext.

English is the source language (the msgids). Each other language has one catalogue,
``council/translations/<code>/LC_MESSAGES/messages.po``, for the templates, the Python
code and the browser scripts alike (``babel.cfg`` says what is extracted). The .po file
is compiled in memory once per process: no build step and no compiled file to drift
from its source. The browser gets the part of the catalogue its scripts use
(the context processor's ``script_catalogue``) inside the page, as it gets the labels.

Language of a request: the person's setting, else the choice made on the sign-in page
(kept in a cookie, which outlives the session), else the browser's ``Accept-Language``, else COUNCIL_LANGUAGE.
"""

from __future__ import annotations

import io
import re
from functools import cache
from pathlib import Path
from typing import Any

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations
from flask import Flask, has_request_context, request
from flask_babel import Babel, Domain, get_locale
from jinja2 import pass_context
from markupsafe import Markup
from werkzeug.utils import cached_property

from council.bidi import has_right_to_left

LANGUAGES: dict[str, str] = {"en": "English", "ur": "اردو"}
RIGHT_TO_LEFT = frozenset({"ur"})
LANGUAGE_COOKIE = "council_language"
CATALOGUES = Path(__file__).parent / "translations"
SCRIPTS = "static/js/"


def catalogue_path(code: str) -> Path:
    return CATALOGUES / code / "LC_MESSAGES" / "messages.po"


@cache
def _compiled(code: str) -> tuple[NullTranslations, dict[str, str]]:
    """The language's translations and the scripts' share of them (msgid -> text)."""
    path = catalogue_path(code)
    if code == "en" or not path.exists():
        return NullTranslations(), {}
    with path.open("rb") as fp:
        catalog = read_po(fp, locale=code)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    scripts = {str(m.id): str(m.string) for m in catalog
               if m.id and m.string and isinstance(m.id, str)
               and any(str(where).startswith(SCRIPTS) for where, _line in m.locations)}
    return Translations(fp=buffer), scripts


class _Catalogues(Domain):
    """Flask-Babel's domain, reading our .po catalogues compiled in memory."""

    def get_translations(self) -> NullTranslations:
        return _compiled(str(get_locale() or "en"))[0]


class _Babel(Babel):
    @cached_property
    def domain_instance(self) -> Domain:  # type: ignore[override]
        return _Catalogues()


def choose(preferred: str | None, chosen: str | None, accept: Any, default: str) -> str:
    """The language from the person's setting, the session's choice, Accept-Language, the default."""
    for code in (preferred, chosen):
        if code in LANGUAGES:
            return code  # type: ignore[return-value]
    best = accept.best_match(list(LANGUAGES)) if accept is not None else None
    return best or default


def _select() -> str:
    """Flask-Babel's locale selector (outside a request: mail, the scheduler, the CLI use
    ``flask_babel.force_locale`` with the reader's language, else the deployment's)."""
    from flask_login import current_user

    from council.extensions import settings

    if not has_request_context():
        return settings().language
    if getattr(request, "sid", None) is not None:
        # A socket event: the browser's choice (the switch sets the cookie for signed-in people
        # too), never the person's row — loading it would hold a pooled connection per event.
        return browser_choice()

    user = getattr(current_user, "user", None) if current_user and current_user.is_authenticated else None
    return choose(getattr(user, "language", None), request.cookies.get(LANGUAGE_COOKIE),
                  request.accept_languages, settings().language)


def browser_choice() -> str:
    """The request's language from the browser alone (cookie, Accept-Language, the default):
    for socket events and for the page shown when the database is down."""
    from council.extensions import settings

    return choose(None, request.cookies.get(LANGUAGE_COOKIE), request.accept_languages, settings().language)


def language() -> str:
    return str(get_locale() or "en")


def direction(code: str | None = None) -> str:
    return "rtl" if (code or language()) in RIGHT_TO_LEFT else "ltr"


@pass_context
def _template_gettext(context: Any, string: str, **variables: Any) -> str:
    return _filled(context, _compiled(language())[0].ugettext(string), variables)


@pass_context
def _template_ngettext(context: Any, singular: str, plural: str, num: int, **variables: Any) -> str:
    variables.setdefault("num", num)
    return _filled(context, _compiled(language())[0].ungettext(singular, plural, num), variables)


_PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def _outside_tags(text: str) -> set[str]:
    """The placeholders of ``text`` that stand in its text, not inside a tag (an href, a title)."""
    names, depth = set(), 0
    at = 0
    for match in _PLACEHOLDER.finditer(text):
        between = text[at:match.start()]
        depth = max(0, depth + between.count("<") - between.count(">"))
        if depth == 0:
            names.add(match.group(1))
        at = match.start()
    return names


def _isolated(value: str) -> str:
    """``value`` between Unicode isolates (LRI or FSI … PDI): its own direction inside the
    sentence, valid in text, titles and attributes alike (unlike markup)."""
    return ("\u2068" if has_right_to_left(value) else "\u2066") + value + "\u2069"


def _filled(context: Any, text: str, variables: dict[str, Any]) -> str:
    """As Jinja's own (new-style) gettext: the message is trusted markup, the values are
    escaped. In a right-to-left page each text value standing in the sentence's text is also
    isolated, so a date, an address or an English name inside an Urdu sentence keeps its
    order ("2026-12-01" never becomes "01-12-2026"); values inside a tag (links) are not."""
    if not context.eval_ctx.autoescape:
        return text % variables
    if variables and direction() == "rtl":
        inside_text = _outside_tags(text)
        variables = {key: _isolated(value) if isinstance(value, str) and key in inside_text and value else value
                     for key, value in variables.items()}
    return Markup(text) % variables


def init_app(app: Flask) -> None:
    _Babel(app, locale_selector=_select, default_locale="en")
    app.jinja_env.globals.update(_=_template_gettext, gettext=_template_gettext, ngettext=_template_ngettext)

    @app.context_processor
    def _language() -> dict[str, Any]:
        code = language()
        return {"lang": code, "text_dir": direction(code), "languages": LANGUAGES,
                "script_catalogue": _compiled(code)[1]}

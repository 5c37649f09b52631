"""The new-room form."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from council.rooms.models import SEVERITIES, TLPS

TLP_HELP = {
    "CLEAR": _l("Anyone on the platform; no limit on disclosure."),
    "GREEN": _l("Every signed-in council member."),
    "AMBER": _l("Participating organisations and the organisations below them."),
    "AMBER+STRICT": _l("Participating organisations only."),
    "RED": _l("Named members only."),
}


class RoomForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    summary = TextAreaField(_l("Summary (markdown)"), validators=[Length(max=20_000)])
    severity = SelectField(_l("Severity"), choices=[(s, s.capitalize()) for s in SEVERITIES], default="medium")
    tlp = SelectField("TLP", choices=[(t, f"TLP:{t}") for t in TLPS], default="AMBER")
    orgs = SelectMultipleField(_l("Participating organisations"), coerce=int)
    members = TextAreaField(_l("Named members (emails, one a line)"), validators=[Length(max=5000)])

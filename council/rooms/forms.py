"""The new-room form."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from council.rooms.models import SEVERITIES, TLPS

TLP_HELP = {
    "CLEAR": "Anyone on the platform; no limit on disclosure.",
    "GREEN": "Every signed-in council member.",
    "AMBER": "Participating organisations and the organisations below them.",
    "AMBER+STRICT": "Participating organisations only.",
    "RED": "Named members only.",
}


class RoomForm(FlaskForm):
    title = StringField("Title", validators=[DataRequired(), Length(max=200)])
    summary = TextAreaField("Summary (markdown)", validators=[Length(max=20_000)])
    severity = SelectField("Severity", choices=[(s, s.capitalize()) for s in SEVERITIES], default="medium")
    tlp = SelectField("TLP", choices=[(t, f"TLP:{t}") for t in TLPS], default="AMBER")
    orgs = SelectMultipleField("Participating organisations", coerce=int)
    members = TextAreaField("Named members (emails, one a line)", validators=[Length(max=5000)])

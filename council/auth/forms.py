"""Sign-in and account forms (Flask-WTF: every form carries a CSRF token)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Length


class LoginForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=1024)])
    remember = BooleanField(_l("Keep me signed in on this device"))


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(_l("Current password"), validators=[DataRequired()])
    new_password = PasswordField(_l("New password"), validators=[DataRequired(), Length(max=1024)])


class TokenForm(FlaskForm):
    label = StringField(_l("Label"), validators=[Length(max=100)])


class ActionForm(FlaskForm):
    """A bare form for buttons (revoke, deactivate…): only the CSRF token."""


class UserForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[DataRequired(), Length(max=254)])
    name = StringField(_l("Display name"), validators=[DataRequired(), Length(max=200)])
    org_id = SelectField(_l("Organisation"), coerce=int)
    role = SelectField(_l("Platform role"), choices=[("member", _l("Member")), ("admin", _l("Platform admin"))])
    org_admin = BooleanField(_l("Organisation admin (overdue acknowledgements escalate to them)"))
    password = PasswordField(_l("Initial password"), validators=[Length(max=1024)])


class ResetPasswordForm(FlaskForm):
    password = PasswordField(_l("New password"), validators=[DataRequired(), Length(max=1024)])


class OrgForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    kind = SelectField(_l("Kind"), default="cert")
    tier = SelectField(_l("Tier"))
    sector = SelectField(_l("Sector"))
    parent_id = SelectField(_l("Parent organisation"), coerce=int)
    short_name = StringField(_l("Short name (for @mentions)"), validators=[Length(max=40)])


class CodeForm(FlaskForm):
    """A code from the authenticator app, or a recovery code."""

    code = StringField(_l("Code"), validators=[DataRequired(), Length(max=64)])


class IdentityForm(FlaskForm):
    """Password and a current code: what enrolling, replacing and removing a second factor ask."""

    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=1024)])
    code = StringField(_l("Code from your app"), validators=[DataRequired(), Length(max=64)])

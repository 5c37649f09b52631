"""Sign-in and account forms (Flask-WTF: every form carries a CSRF token)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Length


class LoginForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(), Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=1024)])
    remember = BooleanField("Keep me signed in on this device")


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField("Current password", validators=[DataRequired()])
    new_password = PasswordField("New password", validators=[DataRequired(), Length(max=1024)])


class TokenForm(FlaskForm):
    label = StringField("Label", validators=[Length(max=100)])


class ActionForm(FlaskForm):
    """A bare form for buttons (revoke, deactivate…): only the CSRF token."""


class UserForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(), Length(max=254)])
    name = StringField("Display name", validators=[DataRequired(), Length(max=200)])
    org_id = SelectField("Organisation", coerce=int)
    role = SelectField("Platform role", choices=[("member", "Member"), ("admin", "Platform admin")])
    org_admin = BooleanField("Organisation admin (overdue acknowledgements escalate to them)")
    password = PasswordField("Initial password", validators=[Length(max=1024)])


class ResetPasswordForm(FlaskForm):
    password = PasswordField("New password", validators=[DataRequired(), Length(max=1024)])


class OrgForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired(), Length(max=200)])
    kind = SelectField("Kind", default="cert")
    tier = SelectField("Tier")
    sector = SelectField("Sector")
    parent_id = SelectField("Parent organisation", coerce=int)
    short_name = StringField("Short name (for @mentions)", validators=[Length(max=40)])


class CodeForm(FlaskForm):
    """A code from the authenticator app, or a recovery code."""

    code = StringField("Code", validators=[DataRequired(), Length(max=64)])


class IdentityForm(FlaskForm):
    """Password and a current code: what enrolling, replacing and removing a second factor ask."""

    password = PasswordField("Password", validators=[DataRequired(), Length(max=1024)])
    code = StringField("Code from your app", validators=[DataRequired(), Length(max=64)])

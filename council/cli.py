"""`flask --app wsgi council …`: the operator's commands.

Names and arguments are a contract (scripts rely on them). Bad input gives one
line on stderr and a non-zero exit, with nothing written.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy.orm import Session

from council import realtime
from council.actors import SYSTEM
from council.errors import DomainError
from council.extensions import database, settings
from council.orgs.models import KINDS, SECTORS, TIERS

cli = AppGroup("council", help="Administer the CERT Council platform.")


def fail(message: str) -> None:
    click.echo(f"error: {message}", err=True)
    sys.exit(1)


def describe(err: DomainError) -> str:
    if not err.fields:
        return err.message
    details = "; ".join(f"{field}: {msg}" for field, msg in err.fields.items())
    return f"{err.message} {details}"


@contextmanager
def transaction() -> Iterator[Session]:
    """One write transaction; domain errors become one stderr line and exit 1."""
    try:
        with database().transaction(after_commit=realtime.flush) as session:
            yield session
    except DomainError as err:
        fail(describe(err))


@cli.command("init")
def init_command() -> None:
    """Apply database migrations (safe to run again)."""
    from council.migrate import current_revision, upgrade

    url = settings().database_url
    upgrade(url)
    click.echo(f"Database ready at revision {current_revision(url)}.")


@cli.command("create-org")
@click.argument("name")
@click.option("--tier", default=None, help=f"A CERT's tier, one of: {', '.join(TIERS)}.")
@click.option("--kind", default="cert", show_default=True,
              help=f"One of: {', '.join(KINDS)}; a body that is not a CERT has no tier.")
@click.option("--sector", default=None, help=f"One of: {', '.join(SECTORS)}.")
@click.option("--parent", default=None, help="Name of the parent organisation.")
def create_org_command(name: str, tier: str | None, kind: str, sector: str | None, parent: str | None) -> None:
    """Create an organisation."""
    from council.orgs.services import create_org, find_org_by_name

    with transaction() as session:
        parent_id = None
        if parent:
            parent_org = find_org_by_name(session, parent)
            if parent_org is None:
                fail(f"no organisation named {parent!r}")
                return
            parent_id = parent_org.id
        org = create_org(session, actor=SYSTEM, name=name, tier=tier, sector=sector,
                         parent_id=parent_id, kind=kind)
    click.echo(f"Created organisation {org.name} (id {org.id}, {org.tier_label}).")


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return str(click.prompt("Password", hide_input=True, confirmation_prompt=True))


@cli.command("create-user")
@click.argument("email")
@click.option("--name", required=True, help="Display name.")
@click.option("--org", "org_name", required=True, help="Organisation name.")
@click.option("--role", type=click.Choice(["admin", "member"]), required=True)
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def create_user_command(email: str, name: str, org_name: str, role: str, password_stdin: bool) -> None:
    """Create a user (prompts for the password unless --password-stdin)."""
    from council.auth.services import create_user
    from council.orgs.services import find_org_by_name

    password = _read_password(password_stdin)
    with transaction() as session:
        org = find_org_by_name(session, org_name)
        if org is None:
            fail(f"no organisation named {org_name!r}")
            return
        user = create_user(session, actor=SYSTEM, email=email, name=name, org_id=org.id,
                           role=role, password=password)
    click.echo(f"Created user {user.email} (id {user.id}) in {org.name} as {role}.")


@cli.command("create-token")
@click.argument("email")
@click.option("--label", default="cli", help="What the token is for.")
def create_token_command(email: str, label: str) -> None:
    """Create an API token; prints it once, as the last word of the last line."""
    from council.auth.services import find_user
    from council.auth.tokens import create_token

    with transaction() as session:
        user = find_user(session, email)
        if user is None or not user.active:
            fail(f"no active user with email {email!r}")
            return
        _token, text = create_token(session, actor=SYSTEM, user=user, label=label)
    click.echo(f"Token for {user.email} ({label}), shown once: {text}")


@cli.command("reset-second-factor")
@click.argument("email")
def reset_second_factor_command(email: str) -> None:
    """Remove a person's second factor (audited, the person is told): the way back in for an
    admin who lost theirs, or for everyone after the secret key changed."""
    from council.auth.mfa import admin_reset
    from council.auth.services import find_user
    from council.errors import Invalid

    with transaction() as session:
        user = find_user(session, email)
        if user is None:
            fail(f"no user with email {email!r}")
            return
        try:
            admin_reset(session, actor=SYSTEM, user_id=user.id)
        except Invalid as err:
            fail(f"{email}: {err.message}")
            return
    click.echo(f"Second factor of {user.email} reset; they set up a new one at their next sign-in.")


@cli.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
def serve_command(host: str, port: int) -> None:
    """Serve the app with Socket.IO in the configured async mode.

    Runs in a fresh interpreter (council.server): gevent must patch the
    standard library before anything imports it, and the flask CLI has
    imported plenty by now; a fresh process also avoids FLASK_RUN_FROM_CLI.
    """
    from council.config import child_environment

    args = [sys.executable, "-m", "council.server", "--host", host, "--port", str(port)]
    os.execve(sys.executable, args, child_environment())


@cli.command("seed-demo")
def seed_demo_command() -> None:
    """Load the demo council (idempotent: existing records are kept)."""
    from council.demo import DEMO_PASSWORD, seed

    runners: list[Callable[[Session], Any]] = current_app.extensions.get("council_demo_seeders", [])
    with transaction() as session:
        logins = seed(session, history=runners)
    click.echo("Demo data ready. Sign in with any of these (password for all: "
               f"{DEMO_PASSWORD}):")
    for email, what in logins:
        click.echo(f"  {email:<32} {what}")
    click.echo("Platform admins need a second factor (COUNCIL_MFA): admin@ncert.example is asked to set up "
               "an authenticator app at first sign-in.")


@cli.command("verify-audit")
def verify_audit_command() -> None:
    """Recompute the audit hash chain; exit 1 naming the first bad row."""
    from council.audit.services import verify

    session = database().session(write=False)
    try:
        result = verify(session)
    finally:
        session.close()
    if result.ok:
        click.echo(f"Audit chain intact: {result.count} rows; tip {result.last_hash}")
        return
    fail(f"audit chain broken at row {result.bad_id}: {result.reason} "
         f"({result.count} rows verified before it)")

"""`flask --app wsgi council …`: the operator's commands.

Names and arguments are a contract (scripts rely on them). Bad input gives one
line on stderr and a non-zero exit, with nothing written.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, NoReturn

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy.orm import Session

from council import realtime
from council.actors import SYSTEM
from council.errors import DomainError
from council.extensions import database, settings
from council.orgs.models import KINDS, SECTORS, TIERS

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    from council.audit.anchors import Anchor
    from council.config import AnchorSettings

cli = AppGroup("council", help="Administer the CERT Council platform.")


def fail(message: str) -> NoReturn:
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
@click.option("--anchors", "anchors_path", default=None, metavar="FILE",
              help="Also check the chain against every signed anchor in FILE (one JSON object a line).")
@click.option("--public-key", "public_key_path", default=None, metavar="FILE",
              help="Verify the anchors with this public key (PEM or base64) instead of the configured signing key.")
def verify_audit_command(anchors_path: str | None, public_key_path: str | None) -> None:
    """Recompute the audit hash chain; exit 1 naming the first bad row.

    With --anchors, the chain must also still hold every anchored tip: a rewrite
    of the whole chain and its head verifies on its own, but not against anchors
    published before it. Inputs are read before the chain is walked, so bad input
    fails at once."""
    from council.audit.services import verify

    anchors: list[Anchor] | None = None
    public: Ed25519PublicKey | None = None
    if public_key_path is not None and anchors_path is None:
        fail("--public-key needs --anchors FILE")
    if anchors_path is not None:
        anchors, public = _anchors_and_key(anchors_path, public_key_path)
    session = database().session(write=False)
    try:
        result = verify(session)
        checked = None
        if result.ok and anchors is not None and public is not None:
            from council.audit.anchors import check

            checked = check(session, anchors, public)
    finally:
        session.close()
    if not result.ok:
        fail(f"audit chain broken at row {result.bad_id}: {result.reason} "
             f"({result.count} rows verified before it)")
    if checked is not None and not checked.ok:
        if checked.bad_id is None:
            fail(f"anchor on line {checked.line} of {anchors_path}: {checked.reason} "
                 f"({checked.checked} anchors read)")
        fail(f"audit chain does not match its anchors at row {checked.bad_id} (anchor on line {checked.line} "
             f"of {anchors_path}): {checked.reason} ({checked.checked} anchors checked)")
    click.echo(f"Audit chain intact: {result.count} rows; tip {result.last_hash}")
    if checked is not None and checked.newest is not None:
        from council.audit.signing import fingerprint

        assert public is not None
        click.echo(f"Anchors intact: {checked.checked} checked with key {fingerprint(public)}; newest anchors "
                   f"row {checked.newest['last_id']} at {checked.newest['at']}")


def _anchors_and_key(anchors_path: str, public_key_path: str | None) -> tuple[list[Anchor], Ed25519PublicKey]:
    """The anchors to check and the key to check them with (never the key a line names)."""
    from council.audit.anchors import AnchorError, read_anchors
    from council.audit.signing import SigningKeyError, load, read_public

    try:
        anchors = read_anchors(anchors_path)
        if public_key_path is not None:
            public = read_public(public_key_path)
        else:
            conf = _anchor_settings()
            if not os.path.exists(conf.key_path):
                fail(f"no audit signing key at {conf.key_path}: pass the public key with --public-key FILE")
            public = load(conf.key_path).public_key()
        return anchors, public
    except (AnchorError, SigningKeyError) as err:
        fail(str(err))


def _anchor_settings() -> AnchorSettings:
    conf = settings().anchor
    if conf is None:
        fail("audit anchoring is not configured")
    return conf


@cli.command("anchor-audit")
def anchor_audit_command() -> None:
    """Anchor the audit chain's tip now: sign it, append it to the anchors file, mail and log it."""
    from council.audit.anchors import AnchorError, publish

    conf = _anchor_settings()
    try:
        with transaction() as session:
            doc = publish(session, conf, origin=settings().base_url, trigger="manual")
    except AnchorError as err:
        fail(str(err))
        return
    mailed = f"; mailed to {', '.join(conf.mail_to)}" if conf.mail_to else ""
    rows = f"{doc['count']} row{'' if doc['count'] == 1 else 's'}"
    click.echo(f"Anchored row {doc['last_id']} ({rows}), hash {doc['hash']}, at {doc['at']}, "
               f"key {doc['key']}: appended to {conf.anchors_path}{mailed}")


@cli.command("audit-public-key")
@click.option("--base64", "as_base64", is_flag=True, help="The 32 raw key bytes in base64 instead of PEM.")
@click.option("--fingerprint", "as_fingerprint", is_flag=True, help="Only the key's SHA256 fingerprint.")
def audit_public_key_command(as_base64: bool, as_fingerprint: bool) -> None:
    """Print the public half of the audit signing key (made now if there is none), for an auditor."""
    from council.audit import signing

    conf = _anchor_settings()
    try:
        public = signing.load_or_create(conf.key_path).public_key()
    except (signing.SigningKeyError, OSError) as err:
        fail(str(err))
        return
    if as_fingerprint:
        click.echo(signing.fingerprint(public))
    elif as_base64:
        click.echo(signing.public_b64(public))
    else:
        click.echo(signing.public_pem(public), nl=False)


@cli.command("backup")
@click.argument("path", type=click.Path(file_okay=True, dir_okay=True, path_type=str))
def backup_command(path: str) -> None:
    """Back up the database and evidence files into PATH (a new or empty directory),
    while the platform runs."""
    from pathlib import Path

    from sqlalchemy.exc import SQLAlchemyError

    from council.backup.services import backup

    try:
        done = backup(database_url=settings().database_url, files_dir=settings().files_dir, path=Path(path))
    except DomainError as err:
        fail(describe(err))
        return
    except (SQLAlchemyError, OSError) as err:
        fail(f"backup failed, nothing kept in {path}: {str(err).splitlines()[0]}")
        return
    made = done.manifest
    tip = made.facts.audit_tip
    click.echo(f"Backup of the {made.database_kind} database at revision {made.facts.revision} written to {path}: "
               f"{sum(made.facts.tables.values())} rows in {len(made.facts.tables)} tables, "
               f"{len(made.file_parts)} evidence files, audit tip {tip.get('last_id', 0)} {tip.get('last_hash', '')}")
    for name in made.missing_files:
        click.echo(f"warning: evidence file {name} is named by the database but missing from the store", err=True)


@cli.command("restore")
@click.argument("path", type=click.Path(file_okay=False, dir_okay=True, path_type=str))
@click.option("--force", is_flag=True, help="Overwrite a database that is not empty.")
def restore_command(path: str, force: bool) -> None:
    """Restore a backup made by `council backup` into the configured (empty) database.
    Stop the platform first."""
    from pathlib import Path

    from sqlalchemy.exc import SQLAlchemyError

    from council.backup.services import restore

    database().dispose()  # this process's own connections: the restore replaces what they point at
    try:
        done = restore(database_url=settings().database_url, files_dir=settings().files_dir, path=Path(path),
                       force=force)
    except DomainError as err:
        fail(describe(err))
        return
    except (SQLAlchemyError, OSError) as err:
        fail(f"restore failed: {str(err).splitlines()[0]}")
        return
    facts = done.facts
    click.echo(f"Restored the backup of {done.manifest.created_at} at revision {facts.revision}: "
               f"{sum(facts.tables.values())} rows in {len(facts.tables)} tables (as the manifest counts), "
               f"{len(facts.room_seqs)} rooms, {done.files_restored} evidence files copied "
               f"({len(done.manifest.file_parts)} in the backup).")
    click.echo(f"Audit chain intact: {done.audit.count} rows; tip {done.audit.last_hash}")
    if done.needs_migration:
        click.echo(f"The database is at revision {facts.revision}, older than this version's {done.head}: "
                   "run `flask --app wsgi council init` to migrate it.")

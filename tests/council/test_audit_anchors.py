"""Anchoring the audit chain: a rewrite of the whole chain and its head verifies
on its own but not against anchors published before it; anchors are signed by a
key kept outside the database (made 0600), appended to a file, mailed through the
outbox to a real SMTP server, logged; the schedule anchors once per period across
processes; bad input gives one error line."""

from __future__ import annotations

import json
import logging
import os
import stat
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update

from council.audit.anchors import scheduled
from council.audit.models import AuditEntry, AuditHead
from council.audit.services import GENESIS, compute_hash, record
from council.config import ConfigError, from_env
from council.db import utcnow
from council.extensions import database, settings
from council.notifications import outbox
from council.notifications.models import MailOutbox
from tests.conftest import make_app
from tests.council.test_notifications import Smtp


@pytest.fixture
def cli(app):
    runner = app.test_cli_runner()
    return lambda *args: runner.invoke(args=["council", *args])


def instance(app) -> Path:
    return Path(app.instance_path)


def anchors_file(app) -> Path:
    return instance(app) / "audit_anchors.jsonl"


def append(app, n: int) -> None:
    with database(app).transaction() as s:
        for i in range(n):
            record(s, action="test.event", target_type="thing", target_id=i, details={"n": i})


def rewrite_from(app, first: int, *, last: int | None = None) -> None:
    """Rewrite rows ``first``… and the head as someone who knows the scheme would: every
    hash recomputed and linked, so plain verification passes. With ``last``, the rows
    after it are dropped and the head moved back to it (a rewritten, shorter history)."""
    table = AuditEntry.__table__
    with database(app).write_engine.begin() as conn:
        if last is not None:
            conn.execute(table.delete().where(table.c.id > last))
        rows = conn.execute(select(table).order_by(table.c.id)).mappings().all()
        prev = GENESIS if first == 1 else rows[first - 2]["hash"]
        for row in rows[first - 1:]:
            new = {**row, "details": json.dumps({"rewritten": row["id"]}), "prev_hash": prev}
            new["hash"] = compute_hash(new)
            conn.execute(update(table).where(table.c.id == row["id"]).values(
                details=new["details"], prev_hash=prev, hash=new["hash"]))
            prev = new["hash"]
        conn.execute(update(AuditHead.__table__).values(last_id=len(rows), count=len(rows), last_hash=prev))


def one_error(result, *fragments: str) -> str:
    assert result.exit_code == 1, (result.output, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    for fragment in fragments:
        assert fragment in lines[0], lines[0]
    return lines[0]


@pytest.fixture
def anchored(app, cli):
    """Rows 1–3, an anchor, rows 4–6, an anchor."""
    append(app, 3)
    assert cli("anchor-audit").exit_code == 0
    append(app, 3)
    result = cli("anchor-audit")
    assert result.exit_code == 0, result.stderr
    assert "Anchored row 6 (6 rows)" in result.output
    return anchors_file(app)


def test_anchors_are_signed_lines_appended_with_the_key_made_0600(app, cli, anchored, caplog):
    key = instance(app) / "audit_signing_key"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert b"PRIVATE KEY" in key.read_bytes()
    fingerprint = cli("audit-public-key", "--fingerprint").output.strip()
    docs = [json.loads(line) for line in anchored.read_text().splitlines()]
    assert [(d["last_id"], d["count"], d["key"]) for d in docs] == [(3, 3, fingerprint), (6, 6, fingerprint)]
    with database(app).session(write=False) as s:
        assert docs[1]["hash"] == s.get(AuditHead, 1).last_hash == s.get(AuditEntry, 6).hash
    assert docs[0]["public_key"] == cli("audit-public-key", "--base64").output.strip()
    assert cli("audit-public-key").output.startswith("-----BEGIN PUBLIC KEY-----")
    assert not cli("audit-public-key").stderr  # nothing but the key on stdout, nothing on stderr
    with caplog.at_level(logging.INFO, logger="council.audit.anchor"):
        cli("anchor-audit")
    logged = [r for r in caplog.records if r.name == "council.audit.anchor" and "audit anchor {" in r.getMessage()]
    assert len(logged) == 1
    assert json.loads(logged[0].getMessage().removeprefix("audit anchor ")) == json.loads(
        anchored.read_text().splitlines()[2])
    assert "PRIVATE" not in caplog.text


def test_a_lost_key_is_never_silently_replaced(app, cli, anchored):
    key = instance(app) / "audit_signing_key"
    key.unlink()
    one_error(cli("anchor-audit"), "no audit signing key", "holds anchors signed before")
    assert not key.exists() and len(anchored.read_text().splitlines()) == 2


def test_an_untouched_chain_passes_against_every_anchor(app, cli, anchored):
    append(app, 2)  # rows after the last anchor are fine
    result = cli("verify-audit", "--anchors", str(anchored))
    assert result.exit_code == 0, result.stderr
    assert "Audit chain intact: 8 rows" in result.output
    assert "Anchors intact: 2 checked" in result.output and "newest anchors row 6" in result.output


@pytest.mark.parametrize(("first", "named", "span"), [(1, 3, "rows 1–3"), (5, 6, "rows 4–6")])
def test_a_consistent_rewrite_passes_plain_verification_but_not_the_anchors(app, cli, anchored, first, named, span):
    rewrite_from(app, first)
    assert cli("verify-audit").exit_code == 0  # what the chain alone cannot see
    line = one_error(cli("verify-audit", "--anchors", str(anchored)),
                     f"does not match its anchors at row {named} ", span, "2 anchors checked")
    assert "no longer the one anchored" in line


def test_a_shorter_rewritten_history_names_the_anchored_row_that_is_gone(app, cli, anchored):
    rewrite_from(app, 5, last=5)
    assert cli("verify-audit").exit_code == 0
    one_error(cli("verify-audit", "--anchors", str(anchored)), "at row 6 ", "gone (the chain now ends at row 5)")


def test_a_broken_chain_is_reported_as_before_with_anchors_given(app, cli, anchored):
    with database(app).write_engine.begin() as conn:
        conn.exec_driver_sql("UPDATE audit_log SET details = '{\"n\":99}' WHERE id = 2")
    one_error(cli("verify-audit", "--anchors", str(anchored)), "audit chain broken at row 2: content does not match")


def test_an_altered_anchor_line_fails_on_its_signature(app, cli, anchored, tmp_path):
    lines = anchored.read_text().splitlines()
    doc = json.loads(lines[1])
    with database(app).session(write=False) as s:
        doc["last_id"], doc["hash"] = 4, s.get(AuditEntry, 4).hash  # a true row, but not what was signed
    forged = tmp_path / "forged.jsonl"
    forged.write_text(lines[0] + "\n" + json.dumps(doc) + "\n")
    one_error(cli("verify-audit", "--anchors", str(forged)), "anchor on line 2", "signature does not verify")


def test_anchors_are_checked_with_the_given_key_not_the_key_a_line_names(app, cli, anchored, tmp_path):
    auditor_copy = tmp_path / "audit.pub"
    auditor_copy.write_text(cli("audit-public-key").output)
    assert cli("verify-audit", "--anchors", str(anchored), "--public-key", str(auditor_copy)).exit_code == 0
    raw_copy = tmp_path / "audit.b64"
    raw_copy.write_text(cli("audit-public-key", "--base64").output)
    assert cli("verify-audit", "--anchors", str(anchored), "--public-key", str(raw_copy)).exit_code == 0
    # Someone who rewrote the chain, made a key of their own and re-signed the file:
    # the lines agree with themselves, but not with the key the auditor holds.
    rewrite_from(app, 1)
    key = instance(app) / "audit_signing_key"
    key.unlink()
    anchored.unlink()
    assert cli("anchor-audit").exit_code == 0
    assert cli("verify-audit", "--anchors", str(anchored)).exit_code == 0  # the new key on the host agrees
    one_error(cli("verify-audit", "--anchors", str(anchored), "--public-key", str(auditor_copy)),
              "anchor on line 1", "not by the verifying key")


def test_bad_input_gives_one_error_line(app, cli, tmp_path):
    append(app, 1)
    one_error(cli("verify-audit", "--anchors", str(tmp_path / "missing.jsonl")), "cannot read the anchors file")
    one_error(cli("verify-audit", "--public-key", str(tmp_path / "none.pub")), "--public-key needs --anchors")
    assert cli("anchor-audit").exit_code == 0
    good = anchors_file(app).read_text()
    some = tmp_path / "some.jsonl"
    some.write_text(good + "{not json\n")
    one_error(cli("verify-audit", "--anchors", str(some)), "line 2: not JSON")
    some.write_text('{"kind": "something else"}\n' + good)
    one_error(cli("verify-audit", "--anchors", str(some)), "line 1: not an audit anchor")
    some.write_text("\n\n")
    one_error(cli("verify-audit", "--anchors", str(some)), "holds no anchors")
    one_error(cli("verify-audit", "--anchors", str(anchors_file(app)), "--public-key", str(tmp_path / "none.pub")),
              "cannot read the public key")
    bad_key = tmp_path / "bad.pub"
    bad_key.write_text("not a key\n")
    one_error(cli("verify-audit", "--anchors", str(anchors_file(app)), "--public-key", str(bad_key)),
              "neither a PEM public key nor 32 bytes of base64")
    (instance(app) / "audit_signing_key").unlink()  # verifying never makes a key of its own
    one_error(cli("verify-audit", "--anchors", str(anchors_file(app))), "no audit signing key at", "--public-key")
    assert not (instance(app) / "audit_signing_key").exists()


def test_an_anchors_file_that_cannot_be_written_fails_and_queues_nothing(tmp_path, template_db, smtp):
    blocked = tmp_path / "blocked"
    blocked.write_text("a file where a folder should be")
    app = make_app(tmp_path, template_db, COUNCIL_AUDIT_ANCHORS_PATH=str(blocked / "anchors.jsonl"),
                   **mail_config(smtp, "archive@audit.example"))
    try:
        result = app.test_cli_runner().invoke(args=["council", "anchor-audit"])
        one_error(result, "cannot append to the anchors file")
        with database(app).session(write=False) as s:
            assert s.scalars(select(MailOutbox)).all() == []
    finally:
        database(app).dispose()


def test_the_schedule_anchors_once_per_period_across_processes(tmp_path, template_db):
    first, second = make_app(tmp_path, template_db), make_app(tmp_path, template_db)  # one database, one instance
    try:
        append(first, 2)
        for app in (first, second):
            job = next(j for j in app.extensions["council_jobs"] if j.name == "audit anchor")
            with database(app).transaction() as s:
                job.run(s)
        lines = anchors_file(first).read_text().splitlines()
        assert len(lines) == 1 and json.loads(lines[0])["last_id"] == 2
        conf = settings(first).anchor
        later = utcnow() + timedelta(minutes=conf.every_minutes, seconds=1)
        with database(second).transaction() as s:
            assert scheduled(s, conf, origin="x", now=later) is not None  # the next period is due
        with database(first).transaction() as s:
            assert scheduled(s, conf, origin="x", now=later) is None  # and taken once
        assert len(anchors_file(first).read_text().splitlines()) == 2
    finally:
        database(first).dispose()
        database(second).dispose()


def test_no_anchor_job_when_anchoring_is_on_demand_only(tmp_path, template_db):
    app = make_app(tmp_path, template_db, COUNCIL_AUDIT_ANCHOR_MINUTES="0")
    try:
        assert "audit anchor" not in [j.name for j in app.extensions.get("council_jobs", [])]
    finally:
        database(app).dispose()


def mail_config(smtp: Smtp, to: str) -> dict[str, str]:
    return {"COUNCIL_SMTP_HOST": "127.0.0.1", "COUNCIL_SMTP_PORT": str(smtp.port), "COUNCIL_SMTP_SECURITY": "none",
            "COUNCIL_MAIL_FROM": "council@ncert.example", "COUNCIL_AUDIT_ANCHOR_MAIL": to}


@pytest.fixture
def smtp():
    server = Smtp()
    server.start()
    yield server
    server.stop()


def test_anchor_mail_goes_through_the_outbox_to_each_address(tmp_path, template_db, smtp):
    app = make_app(tmp_path, template_db, **mail_config(smtp, "archive@audit.example, auditor@else.example"))
    try:
        append(app, 2)
        runner = app.test_cli_runner()
        result = runner.invoke(args=["council", "anchor-audit"])
        assert "mailed to archive@audit.example, auditor@else.example" in result.output
        with database(app).session(write=False) as s:
            queued = s.scalars(select(MailOutbox).order_by(MailOutbox.id)).all()
            assert [(m.user_id, m.to_address, m.status) for m in queued] == [
                (None, "archive@audit.example", "pending"), (None, "auditor@else.example", "pending")]
        assert outbox.deliver(app)["sent"] == 2
        assert sorted(m["To"] for m in smtp.mails) == ["archive@audit.example", "auditor@else.example"]
        mail = smtp.mails[0]
        assert mail["Subject"].startswith("Audit anchor: row 2 at ")
        body = mail.get_payload(decode=True).decode()
        line = anchors_file(app).read_text().strip()
        assert line in body
        # What the auditor kept from the mail is enough to check the record.
        kept = tmp_path / "from-mail.jsonl"
        kept.write_text(next(b for b in body.splitlines() if b.startswith("{")) + "\n")
        assert runner.invoke(args=["council", "verify-audit", "--anchors", str(kept)]).exit_code == 0
    finally:
        database(app).dispose()


@pytest.mark.parametrize(("env", "fragment"), [
    ({"COUNCIL_AUDIT_ANCHOR_MINUTES": "often"}, "COUNCIL_AUDIT_ANCHOR_MINUTES must be a number of minutes"),
    ({"COUNCIL_AUDIT_ANCHOR_MAIL": "archive@audit.example"}, "COUNCIL_AUDIT_ANCHOR_MAIL needs COUNCIL_SMTP_HOST"),
    ({"COUNCIL_AUDIT_ANCHOR_MAIL": "not an address", "COUNCIL_SMTP_HOST": "mail", "COUNCIL_MAIL_FROM": "a@b.example"},
     "is not a mail address"),
    ({"COUNCIL_AUDIT_KEY_PATH": "."}, "COUNCIL_AUDIT_KEY_PATH must name a file"),
])
def test_anchor_settings_are_checked_at_start_up(tmp_path, env, fragment):
    with pytest.raises(ConfigError, match=fragment):
        from_env(tmp_path, environ={"COUNCIL_SECRET_KEY": "k", **env})


def test_anchor_settings_default_to_the_instance_folder(tmp_path):
    conf = from_env(tmp_path, environ={"COUNCIL_SECRET_KEY": "k"}).anchor
    assert conf is not None
    assert (conf.key_path, conf.anchors_path, conf.mail_to, conf.every_minutes) == (
        str(tmp_path / "audit_signing_key"), str(tmp_path / "audit_anchors.jsonl"), (), 60)
    assert not os.path.exists(conf.key_path)  # made on first use, not at start-up

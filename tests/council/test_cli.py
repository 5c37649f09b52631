"""`flask council …`: the operator's commands. Bad input gives one 'error:'
line on stderr, a non-zero exit, and nothing written."""

from __future__ import annotations

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import func, select

from council import create_app
from council.audit.models import AuditEntry
from council.auth.models import ApiToken, User
from council.auth.tokens import resolve_token
from council.extensions import database
from council.migrate import alembic_config
from council.orgs.models import Organization
from council.orgs.services import find_org_by_name

STRONG = "a strong passphrase here"


@pytest.fixture
def cli(app):
    runner = app.test_cli_runner()

    def invoke(*args: str, stdin: str | None = None):
        return runner.invoke(args=["council", *args], input=stdin)

    return invoke


def counts(app) -> tuple[int, int, int, int]:
    with database(app).session(write=False) as s:
        return tuple(s.scalar(select(func.count()).select_from(m)) for m in (Organization, User, ApiToken, AuditEntry))


def assert_one_error_line(result, *fragments: str) -> None:
    assert result.exit_code != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    for fragment in fragments:
        assert fragment in lines[0]


def test_init_on_an_empty_database_is_idempotent_and_prints_the_revision(tmp_path):
    db_path = tmp_path / "fresh.db"
    app = create_app({"COUNCIL_DATABASE_URL": f"sqlite:///{db_path}", "COUNCIL_SECRET_KEY": "k",
                      "COUNCIL_ASYNC_MODE": "threading", "INSTANCE_PATH": str(tmp_path / "i"), "TESTING": True})
    try:
        runner = app.test_cli_runner()
        first = runner.invoke(args=["council", "init"])
        second = runner.invoke(args=["council", "init"])
        assert first.exit_code == second.exit_code == 0, first.output
        head = ScriptDirectory.from_config(alembic_config(database(app).url)).get_current_head()
        assert first.stdout == second.stdout == f"Database ready at revision {head}.\n"
        with database(app).session(write=False) as s:
            assert s.scalar(select(func.count()).select_from(User)) == 0
    finally:
        database(app).dispose()


def test_create_org_with_a_parent(app, cli):
    assert cli("create-org", "National CERT", "--tier", "national").exit_code == 0
    result = cli("create-org", "Banking Sector CERT", "--tier", "sectoral", "--sector", "banking-finance",
                 "--parent", "national cert")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("Created organisation Banking Sector CERT (id 2, Sectoral CERT)")
    with database(app).session(write=False) as s:
        org = find_org_by_name(s, "Banking Sector CERT")
        assert (org.tier, org.sector, org.parent.name) == ("sectoral", "banking-finance", "National CERT")


@pytest.mark.parametrize(("args", "fragment"), [
    (["Bad CERT", "--tier", "galactic"], "Tier must be one of: national, sectoral, provincial, organizational"),
    (["Bad CERT", "--tier", "sectoral", "--sector", "crypto"], "Sector must be one of"),
    (["Bad CERT", "--tier", "sectoral", "--parent", "Nowhere"], "no organisation named 'Nowhere'"),
    (["   ", "--tier", "sectoral"], "Name is required."),
])
def test_create_org_with_bad_input_fails_with_one_line_and_writes_nothing(app, cli, args, fragment):
    before = counts(app)
    result = cli("create-org", *args)
    assert_one_error_line(result, fragment)
    assert result.stdout == ""
    assert counts(app) == before


def test_create_user_reads_the_password_from_stdin(app, cli):
    cli("create-org", "Telecom CERT", "--tier", "sectoral")
    result = cli("create-user", "Omar@Telco.example", "--name", "Omar Farooq", "--org", "Telecom CERT",
                 "--role", "member", "--password-stdin", stdin=STRONG + "\n")
    assert result.exit_code == 0, result.output
    assert result.stdout == "Created user omar@telco.example (id 1) in Telecom CERT as member.\n"
    client = app.test_client()
    from tests.conftest import login

    assert login(client, "omar@telco.example", STRONG).status_code == 302
    assert "Omar Farooq" in client.get("/").get_data(as_text=True)


@pytest.mark.parametrize(("email", "org", "password", "fragment"), [
    ("x@telco.example", "No Such Org", STRONG, "no organisation named 'No Such Org'"),
    ("TAKEN@telco.example", "Telecom CERT", STRONG, "email: A user with this email already exists."),
    ("x@telco.example", "Telecom CERT", "short", "password: Use at least 12 characters."),
    ("not-an-email", "Telecom CERT", STRONG, "email: Enter a valid email address."),
])
def test_create_user_with_bad_input_fails_with_one_line_and_writes_nothing(app, cli, email, org, password, fragment):
    cli("create-org", "Telecom CERT", "--tier", "sectoral")
    cli("create-user", "taken@telco.example", "--name", "T", "--org", "Telecom CERT", "--role", "member",
        "--password-stdin", stdin=STRONG + "\n")
    before = counts(app)
    result = cli("create-user", email, "--name", "X", "--org", org, "--role", "member", "--password-stdin",
                 stdin=password + "\n")
    assert_one_error_line(result, fragment)
    assert counts(app) == before


def test_create_user_refuses_an_unknown_role_before_asking_for_a_password(app, cli):
    before = counts(app)
    result = cli("create-user", "x@example.org", "--name", "X", "--org", "Any", "--role", "god",
                 "--password-stdin", stdin=STRONG + "\n")
    assert result.exit_code == 2 and "'god' is not one of 'admin', 'member'" in result.stderr
    assert counts(app) == before


def test_create_token_prints_a_token_that_resolves(app, cli):
    cli("create-org", "Energy CERT", "--tier", "sectoral")
    cli("create-user", "soc@energy.example", "--name", "Hina", "--org", "Energy CERT", "--role", "member",
        "--password-stdin", stdin=STRONG + "\n")
    result = cli("create-token", "soc@energy.example", "--label", "SIEM")
    assert result.exit_code == 0, result.output
    text = result.stdout.strip().splitlines()[-1].split()[-1]
    with database(app).session(write=False) as s:
        token = resolve_token(s, text)
        assert token is not None and token.label == "SIEM" and token.user.email == "soc@energy.example"


def test_create_token_for_an_unknown_user_fails(app, cli):
    before = counts(app)
    assert_one_error_line(cli("create-token", "ghost@example.org"), "no active user with email 'ghost@example.org'")
    assert counts(app) == before


def test_seed_demo_is_idempotent_and_builds_a_council(app, cli):
    first = cli("seed-demo")
    assert first.exit_code == 0, first.output
    after_first = counts(app)
    second = cli("seed-demo")
    assert second.exit_code == 0
    assert counts(app) == after_first
    assert first.stdout == second.stdout and "admin@ncert.example" in first.stdout
    with database(app).session(write=False) as s:
        tiers = dict(s.execute(select(Organization.tier, func.count()).group_by(Organization.tier)).all())
        admins = s.scalar(select(func.count()).select_from(User).where(User.role == "admin"))
    assert sum(tiers.values()) >= 10
    assert tiers["national"] == 1 and tiers["sectoral"] >= 5 and tiers["organizational"] >= 1
    assert admins >= 1 and after_first[1] >= 10


def test_verify_audit_reports_an_intact_chain_with_its_count(app, cli):
    cli("create-org", "A CERT", "--tier", "sectoral")
    cli("create-org", "B CERT", "--tier", "sectoral")
    result = cli("verify-audit")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("Audit chain intact: 2 rows; tip ")


def test_verify_audit_on_an_empty_chain_is_ok(app, cli):
    result = cli("verify-audit")
    assert result.exit_code == 0 and "Audit chain intact: 0 rows" in result.stdout

"""Administering organisations and people: admins may, members may not."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from council.audit.models import AuditEntry
from council.auth import services as users
from council.auth.models import User
from council.db import utcnow
from council.errors import Forbidden, Invalid
from council.extensions import database
from council.orgs import services as orgs
from council.orgs.models import Organization
from tests.conftest import csrf, login
from tests.factories import PASSWORD

NEW_PASSWORD = "a fresh strong passphrase"


@pytest.fixture
def admin_client(app, make):
    home = make.org("National CERT", tier="national", sector="government")
    admin = make.user("admin@ncert.example", org=home, role="admin", name="Ayesha Siddiqui")
    client = app.test_client()
    login(client, admin.email, PASSWORD)
    client.admin = admin
    client.home = home
    return client


def count(app, model) -> int:
    with database(app).session(write=False) as s:
        return s.scalar(select(func.count()).select_from(model))


def fetch(app, model, ident):
    with database(app).session(write=False) as s:
        return s.get(model, ident)


def org_named(app, name: str) -> Organization | None:
    with database(app).session(write=False) as s:
        return orgs.find_org_by_name(s, name)


def user_by_email(app, email: str) -> User | None:
    with database(app).session(write=False) as s:
        return users.find_user(s, email)


# --- members are refused ----------------------------------------------------

@pytest.mark.parametrize("path", ["/admin/users/", "/admin/orgs/", "/admin/users/1", "/admin/orgs/1"])
def test_member_gets_403_on_admin_pages(app, client, make, path):
    make.user("member@example.org")
    login(client, "member@example.org", PASSWORD)
    response = client.get(path)
    assert response.status_code == 403
    html = response.get_data(as_text=True)
    assert "Only platform admins may do this." in html
    assert "People</a>" not in client.get("/").get_data(as_text=True)  # no admin links in the nav


def test_member_cannot_create_orgs_or_users_and_nothing_is_written(app, client, make):
    org = make.org()
    make.user("member@example.org", org=org)
    login(client, "member@example.org", PASSWORD)
    orgs_before, users_before, audit_before = count(app, Organization), count(app, User), count(app, AuditEntry)
    token = csrf(client, "/")
    r1 = client.post("/admin/orgs/", data={"csrf_token": token, "name": "Rogue CERT", "tier": "sectoral",
                                           "sector": "", "parent_id": "0"})
    r2 = client.post("/admin/users/", data={"csrf_token": token, "email": "rogue@example.org", "name": "Rogue",
                                            "org_id": str(org.id), "role": "admin", "password": NEW_PASSWORD})
    assert r1.status_code == r2.status_code == 403
    assert (count(app, Organization), count(app, User), count(app, AuditEntry)) == (
        orgs_before, users_before, audit_before)
    assert org_named(app, "Rogue CERT") is None and user_by_email(app, "rogue@example.org") is None


def test_member_cannot_edit_deactivate_or_reset_anyone(app, client, make):
    org = make.org()
    make.user("member@example.org", org=org)
    victim = make.user("victim@example.org", org=org)
    login(client, "member@example.org", PASSWORD)
    token = csrf(client, "/")
    assert client.post(f"/admin/users/{victim.id}", data={
        "csrf_token": token, "name": "Pwned", "org_id": str(org.id), "role": "admin"}).status_code == 403
    assert client.post(f"/admin/users/{victim.id}/active", data={"csrf_token": token}).status_code == 403
    assert client.post(f"/admin/users/{victim.id}/password",
                       data={"csrf_token": token, "password": NEW_PASSWORD}).status_code == 403
    assert client.post(f"/admin/orgs/{org.id}", data={
        "csrf_token": token, "name": "Renamed", "tier": "national", "sector": "", "parent_id": "0"}).status_code == 403
    after = fetch(app, User, victim.id)
    assert (after.name, after.role, after.active) == (victim.name, "member", True)
    assert fetch(app, Organization, org.id).name == org.name
    assert login(app.test_client(), "victim@example.org", PASSWORD).status_code == 302


@pytest.mark.parametrize(("service", "kwargs"), [
    (orgs.create_org, {"name": "X", "tier": "sectoral"}),
    (orgs.update_org, {"org_id": 1, "name": "X", "tier": "sectoral"}),
    (users.create_user, {"email": "x@example.org", "name": "X", "org_id": 1, "role": "admin",
                         "password": NEW_PASSWORD}),
    (users.update_user, {"user_id": 1, "name": "X", "org_id": 1, "role": "admin"}),
    (users.set_active, {"user_id": 1, "active": False}),
    (users.reset_password, {"user_id": 1, "new_password": NEW_PASSWORD}),
    (users.list_users, {}),
])
def test_services_called_by_a_member_raise_forbidden(app, make, service, kwargs):
    member = make.user()
    audit_before = count(app, AuditEntry)
    with pytest.raises(Forbidden, match="Only platform admins"):
        make.run(service, actor=member, **kwargs)
    assert count(app, AuditEntry) == audit_before


# --- organisations ------------------------------------------------------------

def test_admin_creates_an_org_under_a_parent_and_sees_its_sector_label(app, admin_client):
    response = admin_client.post("/admin/orgs/", data={
        "csrf_token": csrf(admin_client, "/admin/orgs/"), "name": "Banking Sector CERT", "tier": "sectoral",
        "sector": "banking-finance", "parent_id": str(admin_client.home.id),
    }, follow_redirects=True)
    html = response.get_data(as_text=True)
    assert "Organisation “Banking Sector CERT” created." in html
    row = html[html.index('<td dir="auto">Banking Sector CERT</td>'):].split("</tr>")[0]
    assert "Sectoral CERT" in row and "Banking &amp; finance" in row and "National CERT" in row
    org = org_named(app, "Banking Sector CERT")
    assert (org.tier, org.sector, org.parent_id) == ("sectoral", "banking-finance", admin_client.home.id)


def test_admin_org_form_errors_are_shown_and_nothing_is_written(app, admin_client):
    before = count(app, Organization)
    response = admin_client.post("/admin/orgs/", data={
        "csrf_token": csrf(admin_client, "/admin/orgs/"), "name": "national cert", "tier": "sectoral",
        "sector": "", "parent_id": "0",
    })
    assert response.status_code == 422
    assert "An organisation named &#39;national cert&#39; already exists." in response.get_data(as_text=True)
    assert count(app, Organization) == before


def test_admin_edits_an_org(app, admin_client, make):
    org = make.org("Telecom CERT", tier="sectoral", sector="telecom")
    page = admin_client.get(f"/admin/orgs/{org.id}").get_data(as_text=True)
    assert 'value="Telecom CERT"' in page
    response = admin_client.post(f"/admin/orgs/{org.id}", data={
        "csrf_token": csrf(admin_client, f"/admin/orgs/{org.id}"), "name": "Telecom Sector CERT",
        "tier": "sectoral", "sector": "ict", "parent_id": str(admin_client.home.id),
    }, follow_redirects=True)
    assert "Organisation saved." in response.get_data(as_text=True)
    saved = fetch(app, Organization, org.id)
    assert (saved.name, saved.sector, saved.parent_id) == ("Telecom Sector CERT", "ict", admin_client.home.id)


def test_an_org_cannot_be_placed_below_its_own_descendant(app, admin_client, make):
    top = make.org("Top CERT", tier="sectoral")
    middle = make.org("Middle CSIRT", tier="organizational", parent=top)
    bottom = make.org("Bottom CSIRT", tier="organizational", parent=middle)
    response = admin_client.post(f"/admin/orgs/{top.id}", data={
        "csrf_token": csrf(admin_client, f"/admin/orgs/{top.id}"), "name": "Top CERT",
        "tier": "sectoral", "sector": "", "parent_id": str(bottom.id),
    })
    assert response.status_code == 422
    assert "An organisation cannot sit below itself." in response.get_data(as_text=True)
    assert fetch(app, Organization, top.id).parent_id is None


def test_an_org_cannot_be_its_own_parent(app, make):
    from council.actors import SYSTEM

    org = make.org()
    with pytest.raises(Invalid) as err:
        make.run(orgs.update_org, actor=SYSTEM, org_id=org.id, name=org.name, tier=org.tier, parent_id=org.id)
    assert err.value.fields == {"parent": "An organisation cannot sit below itself."}
    assert fetch(app, Organization, org.id).parent_id is None


def test_the_edit_form_does_not_offer_the_org_as_its_own_parent(admin_client, make):
    org = make.org("Lonely CERT")
    html = admin_client.get(f"/admin/orgs/{org.id}").get_data(as_text=True)
    select_html = html[html.index('id="parent_id"'):].split("</select>")[0]
    assert f'value="{org.id}"' not in select_html
    assert f'value="{admin_client.home.id}"' in select_html


# --- people -------------------------------------------------------------------

def new_user_form(client, org_id: int, **fields: str) -> dict[str, str]:
    data = {"csrf_token": csrf(client, "/admin/users/"), "email": "new@bank.example", "name": "New Person",
            "org_id": str(org_id), "role": "member", "password": NEW_PASSWORD}
    data.update(fields)
    return data


def test_admin_creates_a_user_who_can_then_sign_in(app, admin_client):
    response = admin_client.post("/admin/users/", data=new_user_form(admin_client, admin_client.home.id),
                                 follow_redirects=True)
    html = response.get_data(as_text=True)
    assert "User new@bank.example created." in html
    assert '<td dir="auto">New Person</td><td>new@bank.example</td><td dir="auto">National CERT</td>' in html
    assert login(app.test_client(), "new@bank.example", NEW_PASSWORD).status_code == 302


def test_weak_password_is_refused_with_a_clear_message(app, admin_client):
    before = count(app, User)
    response = admin_client.post("/admin/users/", data=new_user_form(
        admin_client, admin_client.home.id, password="short"))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "The user could not be created." in html
    assert "Password: Use at least 12 characters." in html
    assert count(app, User) == before


def test_duplicate_email_is_refused_case_insensitively(app, admin_client, make):
    make.user("taken@bank.example")
    before = count(app, User)
    response = admin_client.post("/admin/users/", data=new_user_form(
        admin_client, admin_client.home.id, email="  TAKEN@Bank.Example "))
    assert response.status_code == 422
    assert "Email: A user with this email already exists." in response.get_data(as_text=True)
    assert count(app, User) == before


def test_admin_edits_a_user_and_a_changed_org_ends_their_session(app, admin_client, make):
    other_org = make.org("Energy CERT")
    user = make.user("mover@example.org", org=admin_client.home, name="Old Name")
    theirs = app.test_client()
    login(theirs, "mover@example.org", PASSWORD)
    response = admin_client.post(f"/admin/users/{user.id}", data={
        "csrf_token": csrf(admin_client, f"/admin/users/{user.id}"), "name": "New Name",
        "org_id": str(other_org.id), "role": "member",
    }, follow_redirects=True)
    assert "User saved." in response.get_data(as_text=True)
    saved = fetch(app, User, user.id)
    assert (saved.name, saved.org_id) == ("New Name", other_org.id)
    assert theirs.get("/").status_code == 302


def test_admin_cannot_change_their_own_role(app, admin_client):
    admin = admin_client.admin
    response = admin_client.post(f"/admin/users/{admin.id}", data={
        "csrf_token": csrf(admin_client, f"/admin/users/{admin.id}"), "name": admin.name,
        "org_id": str(admin.org_id), "role": "member",
    })
    assert "Role: You cannot change your own platform role." in response.get_data(as_text=True)
    assert fetch(app, User, admin.id).role == "admin"


def test_admin_deactivates_and_reactivates_a_user(app, admin_client, make):
    user = make.user("leaver@example.org", org=admin_client.home)
    path = f"/admin/users/{user.id}/active"
    response = admin_client.post(path, data={"csrf_token": csrf(admin_client, f"/admin/users/{user.id}")},
                                 follow_redirects=True)
    html = response.get_data(as_text=True)
    assert "leaver@example.org deactivated." in html and "<dd>Deactivated</dd>" in html
    assert login(app.test_client(), "leaver@example.org", PASSWORD).status_code == 401
    response = admin_client.post(path, data={"csrf_token": csrf(admin_client, f"/admin/users/{user.id}")},
                                 follow_redirects=True)
    assert "leaver@example.org reactivated." in response.get_data(as_text=True)
    assert login(app.test_client(), "leaver@example.org", PASSWORD).status_code == 302


def test_admin_cannot_deactivate_themselves(app, admin_client):
    admin = admin_client.admin
    response = admin_client.post(f"/admin/users/{admin.id}/active",
                                 data={"csrf_token": csrf(admin_client, f"/admin/users/{admin.id}")},
                                 follow_redirects=True)
    assert "You cannot deactivate your own account." in response.get_data(as_text=True)
    assert fetch(app, User, admin.id).active is True
    assert admin_client.get("/").status_code == 200


def test_admin_reset_password_replaces_the_old_one_and_clears_the_lockout(app, admin_client, make):
    user = make.user("locked@example.org", org=admin_client.home)
    with database(app).transaction() as s:
        row = s.get(User, user.id)
        row.failed_logins, row.locked_until = 9, utcnow().replace(year=2100)
    theirs = app.test_client()
    response = admin_client.post(f"/admin/users/{user.id}/password", data={
        "csrf_token": csrf(admin_client, f"/admin/users/{user.id}"), "password": NEW_PASSWORD,
    }, follow_redirects=True)
    assert "Password reset; the user&#39;s sessions have ended." in response.get_data(as_text=True)
    saved = fetch(app, User, user.id)
    assert (saved.failed_logins, saved.locked_until) == (0, None)
    assert login(theirs, "locked@example.org", PASSWORD).status_code == 401
    assert login(app.test_client(), "locked@example.org", NEW_PASSWORD).status_code == 302


def test_admin_reset_with_a_weak_password_changes_nothing(app, admin_client, make):
    user = make.user("keep@example.org", org=admin_client.home)
    response = admin_client.post(f"/admin/users/{user.id}/password", data={
        "csrf_token": csrf(admin_client, f"/admin/users/{user.id}"), "password": "keep@example.org",
    }, follow_redirects=True)
    html = response.get_data(as_text=True)
    assert "The password was not changed." in html and "Use at least 12 characters." not in html
    assert "The password must not be your email address." in html
    assert login(app.test_client(), "keep@example.org", PASSWORD).status_code == 302


def test_admin_actions_are_audited(app, admin_client, make):
    user = make.user("audited@example.org", org=admin_client.home)
    admin_client.post(f"/admin/users/{user.id}/active",
                      data={"csrf_token": csrf(admin_client, f"/admin/users/{user.id}")})
    with database(app).session(write=False) as s:
        entry = s.scalars(select(AuditEntry).where(AuditEntry.action == "user.deactivate")).one()
    assert (entry.actor_id, entry.target_id) == (admin_client.admin.id, str(user.id))

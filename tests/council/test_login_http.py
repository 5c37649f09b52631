"""Sign-in over HTTP: CSRF, redirects, generic failures, session endings."""

from __future__ import annotations

from tests.conftest import csrf, login
from tests.factories import PASSWORD


def test_anonymous_page_request_redirects_to_login(client):
    response = client.get("/account")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=/account")


def test_sign_in_shows_dashboard_with_name_and_org(client, make):
    org = make.org("Banking Sector CERT")
    make.user("sana@bank.example", org=org, name="Sana Qureshi")
    response = login(client, "Sana@Bank.example", PASSWORD)
    assert response.status_code == 302
    page = client.get("/").get_data(as_text=True)
    assert "Sana Qureshi" in page and "Banking Sector CERT" in page


def test_login_without_csrf_token_is_refused(client, make):
    make.user("a@example.org")
    response = client.post("/login", data={"email": "a@example.org", "password": PASSWORD})
    assert response.status_code == 400
    assert "Reload the page" in response.get_data(as_text=True)
    assert client.get("/").status_code == 302


def test_logout_ends_every_copy_of_the_session(app, make):
    make.user("a@example.org")
    first, second = app.test_client(), app.test_client()
    login(first, "a@example.org")
    login(second, "a@example.org")
    assert second.get("/").status_code == 200
    first.post("/logout", data={"csrf_token": csrf(first)})
    assert second.get("/").status_code == 302

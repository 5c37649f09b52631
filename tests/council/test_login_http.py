"""Sign-in over HTTP: CSRF, redirects, generic failures, session endings."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import pytest

from council.auth.signin import GENERIC_FAILURE
from council.extensions import database
from tests.conftest import csrf, csrf_from, login, make_app
from tests.factories import PASSWORD, Factory


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


# --- cookies ---------------------------------------------------------------

def _sign_in_remembered(client, make, email="r@example.org"):
    make.user(email)
    response = login(client, email, PASSWORD, remember="y")
    assert response.status_code == 302
    return response


def test_remember_me_cookie_is_httponly_lax_and_lasts_about_seven_days(client, make):
    before = datetime.now(UTC)
    _sign_in_remembered(client, make)
    cookie = client.get_cookie("council_remember")
    assert cookie is not None
    assert cookie.http_only is True
    assert cookie.same_site == "Lax"
    assert cookie.secure is False  # plain HTTP deployment
    assert timedelta(days=6, hours=23) < cookie.expires - before <= timedelta(days=7, minutes=1)


def test_remember_me_cookie_restores_the_session_until_logout(app, client, make):
    _sign_in_remembered(client, make)
    remember = client.get_cookie("council_remember").value
    client.delete_cookie("council_session")
    assert client.get("/").status_code == 200  # signed back in from the remember cookie
    assert client.get("/account").status_code == 200  # …and still signed in on the next request

    client.post("/logout", data={"csrf_token": csrf(client)})
    stale = app.test_client()
    stale.set_cookie("council_remember", remember)
    assert stale.get("/").status_code == 302  # the old remember cookie died with the session version


def test_without_remember_me_no_remember_cookie_is_set(client, make):
    make.user("n@example.org")
    login(client, "n@example.org", PASSWORD)
    assert client.get_cookie("council_remember") is None
    assert client.get_cookie("council_session") is not None


def test_session_cookie_is_httponly_and_lax(client, make):
    make.user("s@example.org")
    response = login(client, "s@example.org", PASSWORD)
    header = next(h for h in response.headers.getlist("Set-Cookie") if h.startswith("council_session="))
    assert "HttpOnly" in header and "SameSite=Lax" in header
    assert "Secure" not in header


def test_cookies_are_secure_and_hsts_sent_only_with_https(tmp_path, template_db):
    (tmp_path / "https").mkdir()
    https_app = make_app(tmp_path / "https", template_db, COUNCIL_HTTPS="1")
    try:
        Factory(https_app).user("tls@example.org")
        client = https_app.test_client()
        response = login(client, "tls@example.org", PASSWORD, remember="y")
        assert response.status_code == 302
        assert client.get_cookie("council_session").secure is True
        assert client.get_cookie("council_remember").secure is True
        page = client.get("/")
        assert page.headers["Strict-Transport-Security"].startswith("max-age=31536000")
    finally:
        database(https_app).dispose()


# --- headers ---------------------------------------------------------------

def test_pages_carry_security_headers_and_no_hsts_over_plain_http(client, make):
    make.user("h@example.org")
    for response in (client.get("/login"), login(client, "h@example.org", PASSWORD), client.get("/")):
        csp = response.headers["Content-Security-Policy"]
        directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
        assert directives["script-src"] == "'self'"
        assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
        assert directives["frame-ancestors"] == "'none'"
        assert directives["object-src"] == "'none'"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "same-origin"
        assert response.headers["X-Frame-Options"] == "DENY"
        assert "Strict-Transport-Security" not in response.headers


def test_pages_contain_no_inline_script(client, make):
    make.user("i@example.org")
    login(client, "i@example.org", PASSWORD)
    for path in ("/", "/account", "/login"):
        html = client.get(path).get_data(as_text=True)
        for tag in re.findall(r"<script\b[^>]*>", html):
            # JSON data blocks are not scripts (the CSP never runs them); anything else has a src.
            assert "src=" in tag or 'type="application/json"' in tag, f"inline script on {path}: {tag}"
        assert " on" + "click=" not in html and "javascript:" not in html


# --- sessions end ----------------------------------------------------------

def test_password_change_ends_other_sessions_but_keeps_this_one(app, make):
    make.user("pw@example.org")
    here, elsewhere = app.test_client(), app.test_client()
    login(here, "pw@example.org", PASSWORD)
    login(elsewhere, "pw@example.org", PASSWORD)
    response = here.post("/account/password", data={
        "csrf_token": csrf(here), "current_password": PASSWORD, "new_password": "a brand new passphrase",
    }, follow_redirects=True)
    assert "Password changed" in response.get_data(as_text=True)
    assert here.get("/").status_code == 200
    assert elsewhere.get("/").status_code == 302
    assert login(app.test_client(), "pw@example.org", PASSWORD).status_code == 401
    assert login(app.test_client(), "pw@example.org", "a brand new passphrase").status_code == 302


def test_password_change_with_wrong_current_password_changes_nothing(app, client, make):
    make.user("pw2@example.org")
    login(client, "pw2@example.org", PASSWORD)
    response = client.post("/account/password", data={
        "csrf_token": csrf(client), "current_password": "not my password", "new_password": "a brand new passphrase",
    }, follow_redirects=True)
    assert "The current password is not correct." in response.get_data(as_text=True)
    assert client.get("/").status_code == 200
    assert login(app.test_client(), "pw2@example.org", PASSWORD).status_code == 302


def test_admin_deactivation_ends_the_users_session(app, make):
    org = make.org()
    make.user("boss@example.org", org=org, role="admin")
    target = make.user("leaver@example.org", org=org)
    admin, leaver = app.test_client(), app.test_client()
    login(admin, "boss@example.org", PASSWORD)
    login(leaver, "leaver@example.org", PASSWORD)
    assert leaver.get("/").status_code == 200
    response = admin.post(f"/admin/users/{target.id}/active",
                          data={"csrf_token": csrf(admin, f"/admin/users/{target.id}")}, follow_redirects=True)
    assert "leaver@example.org deactivated." in response.get_data(as_text=True)
    assert leaver.get("/").headers["Location"].startswith("/login")
    assert login(app.test_client(), "leaver@example.org", PASSWORD).status_code == 401


# --- redirects and failures ------------------------------------------------

@pytest.mark.parametrize("target", [
    "//evil.example", "https://evil.example", "https://evil.example/account", "///evil.example",
    "/\\evil.example", "\\\\evil.example", "/\t/evil.example", "javascript:alert(1)", "evil.example",
])
def test_next_never_redirects_off_site(client, make, target):
    make.user("n@example.org")
    page = client.get("/login", query_string={"next": target})
    token = csrf_from(page.get_data(as_text=True))
    response = client.post("/login", query_string={"next": target},
                           data={"email": "n@example.org", "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 302
    location = response.headers["Location"]
    parts = urlsplit(location)
    assert not parts.scheme and not parts.netloc
    assert location.startswith("/") and not location.startswith("//") and "\\" not in location
    assert "evil" not in location or location.startswith("/%5C")


def test_next_to_a_local_page_is_followed(client, make):
    make.user("n2@example.org")
    first = client.get("/account")
    assert first.headers["Location"] == "/login?next=/account"
    token = csrf_from(client.get(first.headers["Location"]).get_data(as_text=True))
    response = client.post("/login?next=/account",
                           data={"email": "n2@example.org", "password": PASSWORD, "csrf_token": token})
    assert response.headers["Location"] == "/account"


def _normalised(html: str) -> str:
    html = re.sub(r'(name="csrf_token" type="hidden" value=")[^"]+', r"\1", html)
    html = re.sub(r'(name="csrf-token" content=")[^"]+', r"\1", html)
    return re.sub(r'(id="email"[^>]*value=")[^"]*', r"\1", html)


def test_wrong_password_and_unknown_email_get_the_same_401_page(app, make):
    make.user("real@example.org")
    wrong = login(app.test_client(), "real@example.org", "not the password at all")
    unknown = login(app.test_client(), "ghost@example.org", "not the password at all")
    assert wrong.status_code == unknown.status_code == 401
    body = wrong.get_data(as_text=True)
    assert GENERIC_FAILURE in body
    assert _normalised(body) == _normalised(unknown.get_data(as_text=True))
    assert "real@example.org" in body  # the form keeps what was typed…
    # …and reveals nothing (the vocabulary every page carries for its scripts is not a message)
    text = re.sub(r'<script type="application/json" id="council-labels">.*?</script>', "", body, flags=re.S)
    assert "no such" not in text.lower() and "unknown" not in text.lower()


def test_empty_sign_in_form_is_refused_with_the_generic_message(client):
    token = csrf_from(client.get("/login").get_data(as_text=True))
    response = client.post("/login", data={"email": "", "password": "", "csrf_token": token})
    assert response.status_code == 401
    assert GENERIC_FAILURE in response.get_data(as_text=True)


def test_unknown_page_renders_the_error_template_without_internals(client, make):
    make.user("e@example.org")
    login(client, "e@example.org", PASSWORD)
    response = client.get("/no/such/page")
    assert response.status_code == 404
    html = response.get_data(as_text=True)
    assert '<p class="error-code">404</p>' in html and "<h1>Not found</h1>" in html
    assert "Back to the dashboard" in html
    for leak in ("Traceback", "werkzeug", "File \"", "NotFound"):
        assert leak not in html


def test_json_clients_get_json_errors(client, make):
    make.user("j@example.org")
    login(client, "j@example.org", PASSWORD)
    response = client.get("/no/such/page", headers={"Accept": "application/json"})
    assert response.status_code == 404
    assert response.get_json() == {"error": "There is nothing here, or it is not shared with you."}


def test_healthz_answers_without_sign_in(client):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.get_json() == {"status": "ok"}


def test_an_unexpected_error_renders_the_500_page_without_a_traceback(tmp_path, template_db):
    (tmp_path / "prod").mkdir()
    prod_app = make_app(tmp_path / "prod", template_db, TESTING=False)

    def boom():  # type: ignore[no-untyped-def]
        raise RuntimeError("secret internal detail")

    prod_app.add_url_rule("/boom", "boom", boom)
    prod_app.logger.disabled = True  # the traceback goes to the log, which this test does not need
    try:
        Factory(prod_app).user("boom@example.org")
        client = prod_app.test_client()
        login(client, "boom@example.org", PASSWORD)
        response = client.get("/boom")
        assert response.status_code == 500
        html = response.get_data(as_text=True)
        assert "<h1>Something went wrong</h1>" in html and "The error has been logged." in html
        assert "secret internal detail" not in html and "Traceback" not in html and "RuntimeError" not in html
        assert "Content-Security-Policy" in response.headers
    finally:
        database(prod_app).dispose()


def _age_session(client, hours):
    with client.session_transaction() as sess:
        sess["signed_in_at"] -= hours * 3600


def test_session_ends_after_twelve_hours_without_remember_me(client, make):
    make.user("old@example.org")
    login(client, "old@example.org", PASSWORD)
    _age_session(client, 11)
    assert client.get("/").status_code == 200
    _age_session(client, 2)
    response = client.get("/")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")


def test_remember_me_starts_a_fresh_session_after_twelve_hours(client, make):
    _sign_in_remembered(client, make, "old-remembered@example.org")
    _age_session(client, 13)
    assert client.get("/").status_code == 200
    with client.session_transaction() as sess:
        assert time.time() - sess["signed_in_at"] < 60


def test_strong_protection_ends_a_session_moved_to_another_browser(client, make):
    make.user("moved@example.org")
    login(client, "moved@example.org", PASSWORD)
    assert client.get("/").status_code == 200
    response = client.get("/", headers={"User-Agent": "Stolen-Cookie-Browser/1.0"})
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")

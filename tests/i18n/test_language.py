"""Which language a page speaks, and the switch: the person's setting, then the
browser's cookie, then Accept-Language, then COUNCIL_LANGUAGE."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from council.auth.models import User
from council.config import ConfigError, from_env
from council.extensions import database
from council.i18n import LANGUAGE_COOKIE, choose
from tests.conftest import csrf_from, login

URDU = {"Accept-Language": "ur-PK,ur;q=0.9,en;q=0.5"}


def html_tag(response) -> str:
    return response.get_data(as_text=True).split("<head>", 1)[0]


def test_the_order_of_choice():
    class Accept:
        def __init__(self, best):
            self.best = best

        def best_match(self, offered):
            return self.best if self.best in offered else None

    assert choose("ur", "en", Accept("en"), "en") == "ur"  # the person's setting first
    assert choose(None, "ur", Accept("en"), "en") == "ur"  # then the browser's cookie
    assert choose(None, None, Accept("ur"), "en") == "ur"  # then Accept-Language
    assert choose(None, "xx", Accept(None), "ur") == "ur"  # then the deployment's default
    assert choose("fr", None, Accept("de"), "en") == "en"  # never a language we do not have


def test_a_browser_asking_for_urdu_gets_a_right_to_left_page(client):
    assert '<html lang="ur" dir="rtl">' in html_tag(client.get("/login", headers=URDU))
    assert '<html lang="en" dir="ltr">' in html_tag(client.get("/login"))
    assert '<html lang="en" dir="ltr">' in html_tag(client.get("/login", headers={"Accept-Language": "fr"}))


def test_the_switch_on_the_sign_in_page_sets_a_cookie_and_the_page_follows(client):
    page = client.get("/login").get_data(as_text=True)
    assert 'name="language" value="ur" lang="ur"' in page  # the other language, named in its own script
    done = client.post("/language", data={"csrf_token": csrf_from(page), "language": "ur", "next": "/login"})
    assert done.status_code == 302 and done.headers["Location"] == "/login"
    cookie = client.get_cookie(LANGUAGE_COOKIE)
    assert cookie is not None and cookie.value == "ur" and cookie.http_only
    urdu = client.get("/login")
    assert '<html lang="ur" dir="rtl">' in html_tag(urdu)
    assert 'name="language" value="en" lang="en"' in urdu.get_data(as_text=True)


def test_the_switch_refuses_without_csrf_or_an_unknown_language_and_never_leaves_the_site(client):
    page = client.get("/login").get_data(as_text=True)
    refused = client.post("/language", data={"language": "ur", "next": "/login"})
    assert refused.status_code == 400 and client.get_cookie(LANGUAGE_COOKIE) is None  # CSRF
    client.post("/language", data={"csrf_token": csrf_from(page), "language": "xx"})
    assert client.get_cookie(LANGUAGE_COOKIE) is None
    away = client.post("/language", data={"csrf_token": csrf_from(page), "language": "ur",
                                          "next": "https://evil.example/"})
    assert away.headers["Location"] == "/"


def test_a_signed_in_person_keeps_the_choice_on_every_device(app, client, make):
    person = make.user("urdu@example.org")
    login(client, person.email)
    page = client.get("/").get_data(as_text=True)
    client.post("/language", data={"csrf_token": csrf_from(page), "language": "ur", "next": "/"})
    with database(app).session(write=False) as s:
        assert s.scalar(select(User.language).where(User.id == person.id)) == "ur"
    elsewhere = app.test_client()  # another browser, asking for English
    login(elsewhere, person.email)
    assert '<html lang="ur" dir="rtl">' in html_tag(elsewhere.get("/", headers={"Accept-Language": "en"}))


def test_labels_reach_the_page_and_its_scripts_in_the_readers_language(app, client, make):
    lead = make.user("lead@example.org")
    make.room(lead, title="Phishing wave", severity="critical")
    login(client, lead.email)
    urdu = client.get("/rooms/", headers=URDU).get_data(as_text=True)
    assert "انتہائی سنگین" in urdu  # the severity "Critical", through the label filter
    assert '"critical": "\\u0627' in urdu or '"critical": "انتہائی سنگین"' in urdu  # the scripts' vocabulary
    english = client.get("/rooms/").get_data(as_text=True)
    assert "Critical" in english and "انتہائی" not in english


def test_the_default_language_is_checked_at_start_up(tmp_path):
    with pytest.raises(ConfigError, match="COUNCIL_LANGUAGE"):
        from_env(tmp_path, {"COUNCIL_LANGUAGE": "fr"})
    assert from_env(tmp_path, {"COUNCIL_LANGUAGE": "UR"}).language == "ur"


def test_values_in_an_urdu_sentence_are_isolated_but_never_inside_a_tag(app):
    from flask import render_template_string

    source = ("{{ _('See <a href=\"%(url)s\">%(title)s</a> at %(when)s.', url='/rooms/7', title='Phishing wave', "
              "when='2026-12-01 14:02') }}")
    with app.test_request_context("/", headers=URDU):
        urdu = render_template_string(source)
    assert 'href="/rooms/7"' in urdu  # the link works
    assert "\u2066Phishing wave\u2069" in urdu and "\u20662026-12-01 14:02\u2069" in urdu
    with app.test_request_context("/"):
        english = render_template_string(source)
    assert english == 'See <a href="/rooms/7">Phishing wave</a> at 2026-12-01 14:02.'
    with app.test_request_context("/", headers=URDU):
        hostile = render_template_string("{{ _('At %(when)s.', when='<script>x</script>') }}")
    assert "<script>" not in hostile and "&lt;script&gt;" in hostile

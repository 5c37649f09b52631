"""The admin page of the audit record: verification, filters, paging, and rows withheld by room."""

from __future__ import annotations

import html as html_lib
import json
import re

import pytest

from council.audit.browse import PAGE
from council.audit.services import record
from council.extensions import database
from council.rooms import stream
from council.rooms.services import create_room
from tests.conftest import login

ROW_ID = re.compile(r'<td class="num">(\d+)</td>')
OLDER = re.compile(r'<a class="btn" href="\?([^"]*)">Older rows')


@pytest.fixture
def world(make):
    national = make.org("National CERT", tier="national")
    sector = make.org("Banking Sector CERT")
    admin = make.user("admin@cert.example", org=national, name="Admin", role="admin")
    lead = make.user("lead@bank.example", org=sector, name="Lead")
    member = make.user("member@bank.example", org=sector, name="Member")
    hidden = make.run(create_room, actor=lead, title="Quiet breach at the bank", severity="high", tlp="AMBER",
                      org_ids=[sector.id])
    shared = make.run(create_room, actor=lead, title="Public advisory", severity="low", tlp="GREEN",
                      org_ids=[sector.id])
    return {"national": national, "sector": sector, "admin": admin, "lead": lead, "member": member,
            "hidden": hidden, "shared": shared}


@pytest.fixture
def signed_in(app):
    def _as(email):
        client = app.test_client()
        assert login(client, email).status_code == 302
        return client

    return _as


def page(client, query=""):
    response = client.get(f"/admin/audit/{query}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def ids(html):
    return [int(i) for i in ROW_ID.findall(html)]


def sql(app, statement):
    with database(app).write_engine.begin() as conn:
        conn.exec_driver_sql(statement)


def test_admin_sees_verified_chain_and_rows(signed_in, world):
    html = page(signed_in("admin@cert.example"))
    assert "Chain verified" in html and "Chain broken" not in html
    shown = ids(html)
    assert shown == sorted(shown, reverse=True) and len(shown) >= 10  # newest first
    assert "<code>user.create</code>" in html and "<code>auth.login</code>" in html
    assert "<code>room.event.status</code>" in html
    assert f"{len(shown)} matching rows; showing #{shown[0]} to #{shown[-1]}." in html
    assert "Older rows" not in html  # fewer than a page


def test_members_and_anonymous_users_are_refused(client, signed_in, world):
    response = signed_in("member@bank.example").get("/admin/audit/")
    assert response.status_code == 403
    body = response.get_data(as_text=True)
    assert "Only platform admins may do this." in body and "Chain verified" not in body
    anonymous = client.get("/admin/audit/")
    assert anonymous.status_code == 302 and anonymous.headers["Location"].startswith("/login")


def test_filters_by_action_prefix_and_actor(signed_in, world):
    client = signed_in("admin@cert.example")
    by_action = page(client, "?action=room.event.")
    actions = set(re.findall(r"<td><code>([^<]+)</code></td>", by_action))
    assert actions == {"room.event.status", "room.event.member"}
    assert len(ids(by_action)) == 4  # two rooms: opened + lead named, each
    assert 'value="room.event."' in by_action  # the filter stays in the form

    by_actor = page(client, "?actor=LEAD@bank")
    labels = set(re.findall(r'<td class="nowrap">[^<]*</td>\s*<td>([^<]+)</td>', by_actor))
    assert labels == {"lead@bank.example"} and len(ids(by_actor)) == 4

    both = page(client, "?actor=lead@&action=auth.")
    assert "<code>auth.login</code>" not in both and "No rows match." in both  # the lead never signed in
    assert "0 matching rows" in both
    assert "Bad page" in client.get("/admin/audit/?before=abc").get_data(as_text=True)


def test_tampering_shows_the_broken_row(app, signed_in, world):
    client = signed_in("admin@cert.example")
    assert "Chain verified" in page(client)
    sql(app, "UPDATE audit_log SET details = '{\"forged\":true}' WHERE id = 3")
    html = page(client)
    assert "Chain broken at row 3" in html and "Chain verified" not in html
    assert "content does not match its hash" in html and "(2 rows verified before it)" in html


def test_rows_of_rooms_the_admin_cannot_see_are_withheld(signed_in, world):
    html = page(signed_in("admin@cert.example"), "?action=room.event.")
    hidden, shared = world["hidden"].id, world["shared"].id
    assert "Quiet breach at the bank" not in html
    assert html.count("withheld: room not visible to you") == 2
    assert html.count(f'<span class="muted">room {hidden}</span>') == 2
    details = [json.loads(html_lib.unescape(d)) for d in re.findall(r'<code class="details">([^<]*)</code>', html)]
    assert sorted(details, key=lambda d: d["seq"]) == [
        {"kind": "incident", "op": "opened", "seq": 1, "title": "Public advisory", "tlp": "GREEN"},
        {"op": "add", "role": "lead", "seq": 2, "user_id": world["lead"].id},
    ]
    assert html.count(f"<td>room {shared}</td>") == 2 and f"<td>room {hidden}</td>" not in html


def test_a_red_decision_in_a_visible_room_stays_unnamed_in_the_audit(make, signed_in, world):
    # The admin's organisation participates in this AMBER room, but the admin is not named.
    room = make.run(create_room, actor=world["lead"], title="Joint response", severity="high", tlp="AMBER",
                    org_ids=[world["sector"].id, world["national"].id])
    make.run(stream.post, actor=world["lead"], room_id=room.id, kind="decision",
             payload={"op": "propose", "title": "Takedown of host X", "tlp": "RED"})
    html = page(signed_in("admin@cert.example"), "?action=room.event.decision")
    [row_id] = ids(html)
    assert "Joint response" not in html  # a decision row names its decision by id only
    assert "Takedown" not in html
    detail = json.loads(html_lib.unescape(re.search(r'<code class="details">([^<]*)</code>', html).group(1)))
    assert (detail["op"], detail["tlp"], detail["decision_id"]) == ("proposed", "RED", 1)
    assert row_id > 0 and "title" not in detail


def test_paging_with_before(app, signed_in, world):
    with database(app).transaction() as s:
        for i in range(PAGE + 30):
            record(s, action="test.bulk", target_type="thing", target_id=i, details={"n": i})
    client = signed_in("admin@cert.example")
    first = page(client, "?action=test.")
    first_ids = ids(first)
    assert len(first_ids) == PAGE and first_ids == sorted(first_ids, reverse=True)
    assert f"{PAGE + 30} matching rows" in first
    link = html_lib.unescape(OLDER.search(first).group(1))
    assert link == f"action=test.&before={first_ids[-1]}"
    second = page(client, f"?{link}")
    second_ids = ids(second)
    assert len(second_ids) == 30 and max(second_ids) == first_ids[-1] - 1
    assert not set(first_ids) & set(second_ids)
    assert f"{PAGE + 30} matching rows" in second  # the total ignores the page
    assert "Older rows" not in second
    assert "Chain verified" in second

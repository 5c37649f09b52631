"""Technical tokens inside Urdu text are marked to read left to right, once, on write,
by the one sanitiser; English text is stored exactly as before."""

from __future__ import annotations

import pytest

from council.bidi import split_tokens
from council.text import render_markdown

LTR = '<bdi class="ltr" dir="ltr">{}</bdi>'


@pytest.mark.parametrize("token", [
    "198.51.100.7", "198.51.100.7:443", "10.0.0.0/8", "198[.]51[.]100[.]7", "2001:db8::1", "fe80::1/64",
    "evil.example", "mail.bank.example:8443/login", "hxxps://bad[.]example/x",
    "44d88612fea8a8f36de82e1278abb02f", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "CVE-2024-3094", "INC-2026-0007", "T+01:30", "T+00:05:30", "TLP:AMBER+STRICT", "TLP:RED", "soc@bank.example",
])
def test_each_kind_of_token_in_an_urdu_sentence_is_marked_whole(token):
    html = render_markdown(f"سرور {token} پر حملہ")
    assert html == f"<p>سرور {LTR.format(token)} پر حملہ</p>"


def test_english_text_is_left_as_written():
    assert render_markdown("Block 198.51.100.7 and evil.example (CVE-2024-3094)") == (
        "<p>Block 198.51.100.7 and evil.example (CVE-2024-3094)</p>")


def test_code_is_left_alone_and_a_links_address_is_marked_inside_the_link():
    html = render_markdown("`198.51.100.7` دیکھیں اور https://cert.gov.pk/x بھی")
    assert html == ('<p><code>198.51.100.7</code> دیکھیں اور <a href="https://cert.gov.pk/x" rel="noopener nofollow">'
                    f'{LTR.format("https://cert.gov.pk/x")}</a> بھی</p>')


def test_a_written_bdi_keeps_only_a_direction_and_the_renderers_class():
    html = render_markdown('<bdi dir="ltr" class="evil" onclick="alert(1)" style="x">abc</bdi> ہے')
    assert html == '<p><bdi dir="ltr">abc</bdi> ہے</p>'
    assert render_markdown('<bdi dir="javascript:x">a</bdi> ہ') == "<p><bdi>a</bdi> ہ</p>"


def test_pieces_join_back_to_the_text():
    text = "رابطہ soc@bank.example، 2001:db8::1 اور 14:30 پر CVE-2024-3094"
    assert "".join(piece for piece, _ in split_tokens(text)) == text
    assert [p for p, token in split_tokens(text) if token] == ["soc@bank.example", "2001:db8::1", "CVE-2024-3094"]


def test_a_word_longer_than_any_token_is_left_alone_so_the_cost_stays_linear():
    """The pattern runs word by word; a 20,000-character "word" (a.a.a.…) is no token and,
    scanned as one, would have cost seconds of CPU per post (quadratic backtracking)."""
    html = render_markdown("ا " + "a." * 10_000 + " evil.example")
    assert html.count("<bdi") == 1 and LTR.format("evil.example") in html


def test_an_address_with_a_query_is_marked_whole():
    html = render_markdown("پابندی evil.example/x?a=1&b=2 پر")
    assert html == f"<p>پابندی {LTR.format('evil.example/x?a=1&amp;b=2')} پر</p>"

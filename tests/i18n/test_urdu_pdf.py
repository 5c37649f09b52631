"""An Urdu reader's PDF: Nastaleeq embedded and used, laid out right to left, the
marking in English on every page, the page count in Urdu — looked at as an image."""

from __future__ import annotations

import io

import pypdfium2
from pypdf import PdfReader

from tests.conftest import login
from tests.council.test_governance import api, convene, council  # noqa: F401 (fixtures)

URDU = {"Accept-Language": "ur"}
BODY = "سرور 198.51.100.7 پر حملہ ہوا۔ کونسل نے فوری اقدامات کی منظوری دی۔"


def ink_centre(pdf: bytes) -> float:
    """Where the ink of the first page's body sits across the page: 0 left edge, 1 right edge
    (the running head and foot, centred, are left out)."""
    page = pypdfium2.PdfDocument(pdf)[0]
    image = page.render(scale=1).to_pil().convert("L")
    width, height = image.size
    body = image.crop((0, int(height * 0.12), width, int(height * 0.5)))
    columns = [0] * width
    pixels = body.load()
    for x in range(width):
        columns[x] = sum(1 for y in range(body.size[1]) if pixels[x, y] < 128)
    total = sum(columns)
    assert total > 0, "nothing drawn on the page"
    return sum(x * n for x, n in enumerate(columns)) / total / width


def fonts(pdf: bytes) -> set[str]:
    found = set()
    for page in PdfReader(io.BytesIO(pdf)).pages:
        for font in (page["/Resources"].get("/Font") or {}).values():
            found.add(str(font.get_object()["/BaseFont"]))
    return found


def test_an_urdu_pdf_is_nastaleeq_right_to_left_and_marked_on_every_page(api, council, app):  # noqa: F811
    meeting = convene(api, council.secretary, title="Urdu minutes", tlp="AMBER+STRICT")
    minutes = api(council.secretary).post(f"/council/meetings/{meeting['id']}/minutes").get_json()
    saved = api(council.secretary).put(f"/council/minutes/{minutes['id']}", {"body": BODY, "version": 1})
    assert saved.status_code == 200, saved.get_json()
    reader = app.test_client()
    login(reader, "rep@telecom.example")
    urdu = reader.get(f"/council/minutes/{minutes['id']}/export.pdf", headers=URDU)
    english = reader.get(f"/council/minutes/{minutes['id']}/export.pdf")
    assert urdu.status_code == english.status_code == 200
    assert any("Nastaliq" in name for name in fonts(urdu.data)), fonts(urdu.data)
    pages = PdfReader(io.BytesIO(urdu.data)).pages
    for page in pages:
        text = page.extract_text()
        assert text.count("TLP:AMBER+STRICT") >= 2  # head and foot, in English
    assert "page 1 of" in PdfReader(io.BytesIO(english.data)).pages[0].extract_text()
    assert "page 1 of" not in pages[0].extract_text()  # the Urdu foot: صفحہ 1 از N
    # Right to left: the Urdu reader's page carries its text on the right, the English one on the left.
    assert ink_centre(urdu.data) > 0.55 > 0.45 > ink_centre(english.data)

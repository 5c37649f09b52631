from tests.browser.test_screens import demo  # noqa: F401
from tests.browser.conftest import open_page
from council.demo import DEMO_PASSWORD

def test_shots(demo, browser):
    page = open_page(browser, demo, "duty@ncert.example", "/", ready=None, password=DEMO_PASSWORD, locale="ur-PK")
    for w in (1440, 390):
        page.set_viewport_size({"width": w, "height": 900})
        page.goto(demo.url("/"))
        page.screenshot(path=f"/tmp/ur-dash-{w}.png", full_page=False)
    page.set_viewport_size({"width": 1440, "height": 900})
    page.goto(demo.url("/rooms/"))
    page.screenshot(path="/tmp/ur-rooms.png")
    href = page.eval_on_selector("table a[href^='/rooms/']", "a => a.getAttribute('href')")
    page.goto(demo.url(href))
    page.wait_for_selector("[data-conn].conn-live")
    page.fill("[data-composer-text]", "سرور 198.51.100.7 پر حملہ، CVE-2024-3094 کا پیچ لگائیں")
    page.keyboard.press("Control+Enter")
    page.locator(".ev-message", has_text="پر حملہ").wait_for()
    page.screenshot(path="/tmp/ur-room.png")
    page.goto(demo.url("/login"))

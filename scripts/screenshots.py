"""Screenshots of the readers' site for the README, from the demo data.

    DEBUG=true .venv/bin/python manage.py migrate && DEBUG=true .venv/bin/python manage.py load_demo
    DEBUG=true .venv/bin/python manage.py runserver 127.0.0.1:8000 &
    .venv/bin/python scripts/screenshots.py --base-url http://127.0.0.1:8000

Writes docs/screenshots/{home,commentary-desktop,commentary-375,search,
search-number,search-suggestion,commentary-dark-375}.png with the system
Chromium (CHROMIUM_PATH, default /usr/bin/chromium). The search pictures need
PostgreSQL (the suggestion comes from its word list).
"""

import argparse
import os
import re
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "screenshots"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base-url", default="http://127.0.0.1:8000")
    parser.add_argument("--query", default="coast guard cooperation")
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"),
            args=["--no-sandbox", "--disable-gpu"],
        )
        desktop = browser.new_page(viewport={"width": 1280, "height": 900})
        desktop.goto(args.base_url + "/")
        desktop.screenshot(path=OUT / "home.png")
        # A response with its original: shows "In response to" and the bylines.
        desktop.goto(args.base_url + "/pacnet/")
        href = desktop.locator(".item-title a", has_text=re.compile("response")).first
        url = args.base_url + href.get_attribute("href")
        desktop.goto(url)
        desktop.screenshot(path=OUT / "commentary-desktop.png", full_page=True)
        desktop.goto(args.base_url + "/search/?q=" + args.query.replace(" ", "+"))
        desktop.screenshot(path=OUT / "search.png")
        # The number a piece is cited by, taken from the page just shown.
        label = desktop.locator(".item-title a").first.inner_text().split(" – ")[0]
        desktop.goto(args.base_url + "/search/?q=" + label.replace("#", "%23").replace(" ", "+"))
        desktop.screenshot(path=OUT / "search-number.png")
        desktop.goto(args.base_url + "/search/?q=maritme+securty")
        desktop.screenshot(path=OUT / "search-suggestion.png")
        phone = browser.new_page(viewport={"width": 375, "height": 812})
        phone.goto(url)
        phone.screenshot(path=OUT / "commentary-375.png", full_page=True)
        dark = browser.new_page(viewport={"width": 375, "height": 812}, color_scheme="dark")
        dark.goto(url)
        dark.screenshot(path=OUT / "commentary-dark-375.png")
        browser.close()
    for name in sorted(OUT.glob("*.png")):
        print(name.relative_to(ROOT), name.stat().st_size // 1024, "KiB")


if __name__ == "__main__":
    main()

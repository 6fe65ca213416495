"""What a newcomer's `make run` does, on whichever database the suite runs on.

`make run` migrates (the test database is built by the same migrations), then
runs the commands of the Makefile's `demo` target (setup_roles, load_demo, …),
and serves the site. A reader then reaches every kind of public page
by following links from the home page.
"""

import re
import shlex
from io import StringIO
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.contrib import admin
from django.core.management import call_command
from django.test import RequestFactory
from django.urls import Resolver404, resolve, reverse

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite]

MAKEFILE = Path(__file__).resolve().parent.parent / "Makefile"
LINK = re.compile(r'(?:href="|<loc>|^Sitemap: )([^"<#\s]+)', re.MULTILINE)
NOT_FOR_READERS = ("/admin/", "/static/", "/media/")

# Every page type a reader (or a crawler) reaches by following links from the
# home page and from robots.txt, which crawlers ask for by name.
PAGE_TYPES = {
    "commentaries:home",
    "commentaries:series",
    "commentaries:series_year",
    "commentaries:detail",
    "commentaries:cite",
    "commentaries:topics",
    "commentaries:topic",
    "commentaries:search",
    "commentaries:feed_rss",
    "commentaries:feed_atom",
    "commentaries:series_feed_rss",
    "commentaries:series_feed_atom",
    "commentaries:author_feed_rss",
    "commentaries:author_feed_atom",
    "commentaries:topic_feed_rss",
    "commentaries:topic_feed_atom",
    "authors:index",
    "authors:detail",
    "subscriptions:subscribe",
    "sitemap",
    "sitemap_section",
    "robots",
    "favicon",
    "webmanifest",
}


def demo_commands():
    """The manage.py commands of the Makefile's `demo` target, in order, so
    this test follows the Makefile when a step is added."""
    recipe = re.search(r"^demo:.*\n((?:\t.*\n)+)", MAKEFILE.read_text(), re.MULTILINE)[1]
    return [shlex.split(line.split("manage.py", 1)[1]) for line in recipe.splitlines()]


def crawl(client, start):
    """Visit the first address found for each page type, following links
    (href, robots.txt's Sitemap line, the sitemaps' <loc>) breadth first.
    Returns {page type: address}."""
    seen, queue = {}, list(start)
    while queue:
        address = queue.pop(0)
        try:
            page_type = resolve(urlsplit(address).path).view_name
        except Resolver404:
            continue
        if page_type in seen:
            continue
        response = client.get(address)
        assert response.status_code == 200, (address, response.status_code)
        seen[page_type] = address
        if response["Content-Type"].startswith("image/"):  # the favicon
            continue
        for link in LINK.findall(response.content.decode()):
            parts = urlsplit(link.replace("&amp;", "&"))
            if parts.netloc not in ("", "testserver") or parts.path.startswith(NOT_FOR_READERS):
                continue
            queue.append(parts.path + (f"?{parts.query}" if parts.query else ""))
    return seen


def test_make_run_sets_up_roles_and_demo_content_and_every_page_type_renders(
    client, django_user_model
):
    out = StringIO()
    commands = demo_commands()
    assert [args[0] for args in commands][:2] == ["setup_roles", "load_demo"]
    for args in commands:
        call_command(*args, stdout=out)
    assert "Demo content ready: created 3 series, 40 authors, 150 commentaries." in out.getvalue()

    reached = crawl(client, ["/", "/robots.txt", "/search/?q=security"])

    missing = PAGE_TYPES - set(reached)
    assert not missing, sorted(missing)

    # The admin `make run` points to: every list and add form, as a superuser.
    request = RequestFactory().get("/admin/")
    request.user = django_user_model.objects.create_superuser("admin", "admin@example.org")
    client.force_login(request.user)
    assert client.get(reverse("admin:index")).status_code == 200
    for model, model_admin in admin.site._registry.items():
        prefix = f"admin:{model._meta.app_label}_{model._meta.model_name}"
        assert client.get(reverse(f"{prefix}_changelist")).status_code == 200, prefix
        # Some records are only ever made by their own flow (a reader's subscription).
        added = 200 if model_admin.has_add_permission(request) else 403
        assert client.get(reverse(f"{prefix}_add")).status_code == added, prefix

"""No Content Security Policy violations where readers and editors work.

The browser enforces the real policy (Playwright does not bypass it); an init
script, which runs outside the page's policy, records every
`securitypolicyviolation` event, and console errors are collected too.
"""

import pytest
from django import forms
from django.contrib import admin
from django.http import HttpResponse
from django.template import RequestContext, Template
from django.urls import path
from django_ckeditor_5.widgets import CKEditor5Widget

from pacforum.urls import urlpatterns as site_urlpatterns
from tests.factories import BylineFactory, CommentaryFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(`${event.violatedDirective} blocked ${event.blockedURI}`);
});
"""


class _RichTextForm(forms.Form):
    body = forms.CharField(widget=CKEditor5Widget(config_name="default"), required=False)


def _ckeditor_in_admin_chrome(request):
    """CKEditor 5 inside the admin's own page, as a change form shows it."""
    template = Template(
        '{% extends "admin/base_site.html" %}{% block extrahead %}{{ block.super }}'
        "{{ form.media }}{% endblock %}{% block content %}<form method=post>{% csrf_token %}"
        "{{ form.as_div }}</form>{% endblock %}"
    )
    return HttpResponse(template.render(RequestContext(request, {"form": _RichTextForm()})))


urlpatterns = [
    path("admin/csp-check/ckeditor/", admin.site.admin_view(_ckeditor_in_admin_chrome)),
    *site_urlpatterns,
]


@pytest.fixture
def watched_page(page):
    page.add_init_script(RECORD_VIOLATIONS)
    page.console_errors = []
    page.on(
        "console",
        lambda message: message.type == "error" and page.console_errors.append(message.text),
    )
    return page


def violations(page):
    return page.evaluate("window.__cspViolations")


def sign_in(page, live_server, django_user_model):
    django_user_model.objects.create_superuser("editor", "editor@example.org", "a-long-passphrase!")
    page.goto(live_server.url + "/admin/login/")
    page.get_by_label("Username").fill("editor")
    page.get_by_label("Password").fill("a-long-passphrase!")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(live_server.url + "/admin/")


def test_home_and_commentary_pages_run_without_csp_violations(live_server, watched_page):
    piece = CommentaryFactory(published=True, title="Reading under a strict policy")
    BylineFactory(commentary=piece)
    for url in ("/", piece.get_absolute_url()):
        response = watched_page.goto(live_server.url + url)
        assert "'unsafe-inline'" not in response.headers["content-security-policy"]
        watched_page.wait_for_load_state("networkidle")
        assert violations(watched_page) == [], url
        assert [e for e in watched_page.console_errors if "Content Security" in e] == []


def test_admin_commentary_change_form_runs_without_csp_violations(
    live_server, watched_page, django_user_model
):
    piece = CommentaryFactory(title="Edited under the admin policy")
    sign_in(watched_page, live_server, django_user_model)
    watched_page.goto(live_server.url + f"/admin/commentaries/commentary/{piece.pk}/change/")
    watched_page.wait_for_load_state("networkidle")
    editable = watched_page.locator(".ck-editor__editable").first
    editable.click()
    watched_page.keyboard.type("Typed in CKEditor.")
    assert "Typed in CKEditor." in editable.inner_text()
    assert violations(watched_page) == []
    assert watched_page.console_errors == []


@pytest.mark.urls(__name__)
def test_ckeditor_5_works_in_the_admin_without_csp_violations(
    live_server, watched_page, django_user_model
):
    sign_in(watched_page, live_server, django_user_model)
    watched_page.goto(live_server.url + "/admin/csp-check/ckeditor/")
    editable = watched_page.locator(".ck-editor__editable")
    editable.wait_for()
    editable.click()
    watched_page.keyboard.type("Typed in CKEditor.")
    watched_page.keyboard.press("Control+b")
    watched_page.keyboard.type(" Bold too.")
    assert "Typed in CKEditor." in editable.inner_text()
    assert "Bold too." in editable.locator("strong").inner_text()
    watched_page.get_by_role("button", name="Insert table").click()
    watched_page.locator(".ck-insert-table-dropdown-grid-box").nth(12).click()
    assert editable.locator("table").count() == 1
    watched_page.get_by_role("button", name="Heading").first.click()
    watched_page.get_by_role("menuitemradio", name="Heading", exact=True).click()
    watched_page.wait_for_load_state("networkidle")
    assert violations(watched_page) == []
    assert [e for e in watched_page.console_errors if "Content Security" in e] == []

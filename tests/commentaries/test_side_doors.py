"""No side doors: every admin page, found from the admin site's registry (so a
new admin page is covered the day it is registered), refuses a Contributor's
crafted POST against pieces they may not change and the authors who sign
them. Each answer is 403, 405 (a page that only shows things), or the form
again with an error; and no table of the database changes."""

import hashlib
from datetime import timedelta

import lxml.html
import pytest
import reversion
from django.contrib import admin
from django.db import connection
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from reversion.models import Version

from commentaries.models import Commentary
from tests.factories import (
    AffiliationFactory,
    AuthorFactory,
    BylineFactory,
    CommentaryFactory,
    SeriesFactory,
    TopicFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

# Tables a logged-in client may write while being refused (its session).
NOT_CHECKED = {"django_session"}
# Form fields a crafted POST changes (by their last name part).
CHANGED_FIELDS = {"title", "summary", "body", "name", "short_bio", "long_bio", "bio", "role"}
# The buttons and confirmations the admin pages know.
INTENTS = [{}, {"_publish": "1"}, {"_unpublish": "1"}, {"_submit": "1"}, {"_return": "1"}]
CONFIRMATIONS = {"confirm": "yes", "post": "yes", "note": "Crafted.", "merge": "1"}


def checksum() -> str:
    """One digest over every row of every table."""
    digest = hashlib.sha256()
    with connection.cursor() as cursor:
        for table in sorted(connection.introspection.table_names()):
            if table in NOT_CHECKED:
                continue
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608
            rows = sorted(repr(row) for row in cursor.fetchall())
            digest.update(table.encode())
            digest.update("\n".join(rows).encode())
    return digest.hexdigest()


@pytest.fixture
def record():
    """Pieces in every state a contributor must not touch, with their authors
    (each also on the published piece) and an organization."""
    editor = UserFactory(username="editor", groups=["Editors"])
    contributor = UserFactory(username="contributor", groups=["Contributors"])
    series = SeriesFactory(name="PacNet", slug="pacnet", short_label="PacNet")
    topic = TopicFactory()
    first, second = AuthorFactory(), AuthorFactory()
    affiliation = AffiliationFactory(author=first)
    year = timezone.localtime().year
    pieces = {
        "draft": CommentaryFactory(series=series, created_by=editor),
        "review": CommentaryFactory(
            series=series, created_by=contributor, status=Commentary.Status.REVIEW
        ),
        "scheduled": CommentaryFactory(series=series, scheduled=True, number=2, year=year),
        "published": CommentaryFactory(series=series, published=True, number=1, year=year),
        "withdrawn": CommentaryFactory(
            series=series,
            published=True,
            number=3,
            year=year,
            status=Commentary.Status.WITHDRAWN,
            withdrawn_at=timezone.now() - timedelta(hours=1),
            withdrawal_note="Withdrawn.",
        ),
    }
    for piece in pieces.values():
        BylineFactory(commentary=piece, author=first, position=1)
        BylineFactory(commentary=piece, author=second, position=2)
        piece.topics.add(topic)
        for title in ("Earlier title", piece.title):
            with reversion.create_revision():
                reversion.set_user(editor)
                piece.title = title
                piece.save()
    for author in (first, second):
        with reversion.create_revision():
            author.save()
    return {
        "editor": editor,
        "contributor": contributor,
        "targets": {
            Commentary: list(pieces.values()),
            type(first): [first, second],
            type(affiliation.organization): [affiliation.organization],
            type(series): [series],
            type(topic): [topic],
        },
    }


def registry_urls(targets):
    """(url name, args) for every named URL of every registered admin, with
    the objects the rules protect in place of the ids."""
    for model, model_admin in admin.site._registry.items():
        objects = targets.get(model) or list(model._default_manager.all()[:1])
        for pattern in model_admin.get_urls():
            if not pattern.name:
                continue  # the bare "<id>/" redirect to the change page
            if pattern.name.endswith("_pulse_new"):
                continue  # the heartbeat of a new, unsaved form: no record behind it
            groups = pattern.pattern.regex.groups
            if groups == 0:
                yield model, pattern.name, ()
            elif pattern.name.endswith("_recover"):
                for obj in objects:
                    for version in Version.objects.get_for_object(obj)[:1]:
                        yield model, pattern.name, (version.pk,)
            elif groups == 1:
                for obj in objects:
                    yield model, pattern.name, (obj.pk,)
            elif groups == 2:
                for obj in objects:
                    for version in Version.objects.get_for_object(obj):
                        yield model, pattern.name, (obj.pk, version.pk)


def form_payload(client, url):
    """What a browser would post from the page at `url` (seen by an editor),
    with its text fields changed; empty when the page has no form."""
    response = client.get(url)
    if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
        return {}
    document = lxml.html.fromstring(response.content)
    forms = [
        f
        for f in document.forms
        if (f.method or "").lower() == "post" and "logout" not in (f.action or "")
    ]
    if not forms:
        return {}
    payload = {}
    for name, value in forms[0].form_values():
        if name.rsplit("-", 1)[-1] in CHANGED_FIELDS:
            value = f"{value} (crafted)"
        payload.setdefault(name, []).append(value)
    return payload


def changelist_payloads(model_admin, request_user_rf, targets):
    ids = [str(obj.pk) for obj in targets]
    for action in model_admin.get_actions(request_user_rf):
        yield {
            "action": action,
            "index": "0",
            "_selected_action": ids,
            "keep": ids[:1],
            **CONFIRMATIONS,
        }
    yield {"_save": "Save", "form-TOTAL_FORMS": "0", "form-INITIAL_FORMS": "0"}


def refused(response) -> bool:
    if response.status_code in (403, 405):
        return True
    if response.status_code != 200:
        return False
    context = response.context or {}
    errors = context.get("errors")
    form = context.get("form") or getattr(context.get("adminform"), "form", None)
    return bool(errors) or bool(form is not None and form.errors)


def test_a_contributor_gets_no_side_door_through_any_admin_page(client, rf, record):
    editor, contributor, targets = record["editor"], record["contributor"], record["targets"]
    editor_request = rf.post("/")
    editor_request.user = editor
    plans = []
    client.force_login(editor)
    for model, name, args in registry_urls(targets):
        try:
            url = reverse(f"admin:{name}", args=args)
        except NoReverseMatch:
            continue
        if name.endswith("_changelist"):
            model_admin = admin.site._registry[model]
            objects = targets.get(model) or list(model._default_manager.all()[:1])
            for payload in changelist_payloads(model_admin, editor_request, objects):
                plans.append((url, payload))
            continue
        base = {**form_payload(client, url), **CONFIRMATIONS}
        intents = INTENTS if name.endswith(("_change", "_add", "_revision")) else [{}]
        plans.extend((url, {**base, **intent}) for intent in intents)
    assert len(plans) > 100  # the registry was walked, not a handful of pages

    client.force_login(contributor)
    before = checksum()
    answered = []
    for url, payload in plans:
        response = client.post(url, payload)
        answered.append((url, sorted(payload)[:3], response.status_code, refused(response)))
    let_through = [row for row in answered if not row[3]]
    assert let_through == [], "\n".join(map(str, let_through))
    assert checksum() == before


def test_the_crafted_payloads_are_valid_ones_an_editor_may_send(client, record):
    """The same payload, sent by an editor, does change the record: the
    contributor's refusals above are the rules at work, not broken forms."""
    editor, targets = record["editor"], record["targets"]
    client.force_login(editor)
    published = targets[Commentary][3]
    author = targets[type(published.bylines.first().author)][0]
    for url in (
        reverse("admin:commentaries_commentary_change", args=[published.pk]),
        reverse("admin:authors_author_change", args=[author.pk]),
    ):
        before = checksum()
        response = client.post(url, form_payload(client, url))
        assert response.status_code == 302, url
        assert checksum() != before
    published.refresh_from_db()
    author.refresh_from_db()
    assert published.title.endswith("(crafted)")
    assert published.number == 1
    assert author.name.endswith("(crafted)")


def test_a_contributor_may_still_write_their_own_draft_and_new_authors(client, record):
    contributor = record["contributor"]
    client.force_login(contributor)
    own = CommentaryFactory(series=record["targets"][Commentary][0].series, created_by=contributor)
    new_author = AuthorFactory()
    for url in (
        reverse("admin:commentaries_commentary_change", args=[own.pk]),
        reverse("admin:authors_author_change", args=[new_author.pk]),
    ):
        response = client.post(url, form_payload(client, url))
        assert response.status_code == 302, url
    own.refresh_from_db()
    new_author.refresh_from_db()
    assert own.title.endswith("(crafted)")
    assert new_author.name.endswith("(crafted)")

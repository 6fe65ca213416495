"""Editing together: a form carries the version it was opened at; a stale
save is refused with a comparison and kept; advisory locks lapse by
themselves; autosave writes a draft, never the record."""

from datetime import timedelta

import pytest
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse
from django.utils import timezone

from authors.models import Author
from commentaries.models import Commentary
from pacforum.editing import services
from pacforum.editing.models import EditLock, FormDraft
from tests.commentaries.test_admin import form_data
from tests.factories import AuthorFactory, CommentaryFactory, SeriesFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def ana(client):
    user = UserFactory(username="ana", first_name="Ana", last_name="Lee", groups=["Editors"])
    client.force_login(user)
    return user


@pytest.fixture
def piece():
    return CommentaryFactory(series=SeriesFactory(slug="pacnet"), title="First title")


def change_url(piece):
    return reverse("admin:commentaries_commentary_change", args=[piece.pk])


def opened_version(client, url):
    html = client.get(url).content.decode()
    marker = 'name="opened_version" value="'
    start = html.index(marker) + len(marker)
    return html[start : html.index('"', start)]


def test_the_change_form_carries_the_version_it_was_opened_at(client, ana, piece):
    assert opened_version(client, change_url(piece)) == piece.updated_at.isoformat()


def test_a_save_from_the_current_version_goes_through(client, ana, piece):
    version = opened_version(client, change_url(piece))
    data = form_data(piece.series, title="Second title", opened_version=version)
    response = client.post(change_url(piece), data | {"_continue": "1"})
    assert response.status_code == 302
    piece.refresh_from_db()
    assert piece.title == "Second title"


def test_a_stale_save_is_refused_with_both_versions_and_kept_as_a_draft(client, ana, piece):
    bo = UserFactory(username="bo", first_name="Bo", last_name="Kim", groups=["Editors"])
    version = opened_version(client, change_url(piece))
    piece.title = "Bo’s title"
    piece.last_edited_by = bo
    piece.save()

    data = form_data(piece.series, title="Ana’s title", opened_version=version)
    response = client.post(change_url(piece), data | {"_continue": "1"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "Bo Kim saved this piece at" in html
    assert "Your changes were not saved" in html
    assert "<del>Bo’s</del>" in html and "<ins>Ana’s</ins>" in html
    piece.refresh_from_db()
    assert piece.title == "Bo’s title"
    kept = FormDraft.objects.get(kind=FormDraft.Kind.REFUSED, object_id=str(piece.pk))
    assert kept.data["title"] == ["Ana’s title"]
    assert kept.user == ana
    assert kept.base_version == version
    # Re-shown with the current version: saving again replaces Bo's, knowingly.
    assert f'name="opened_version" value="{piece.updated_at.isoformat()}"' in html
    again = client.post(
        change_url(piece), data | {"opened_version": piece.updated_at.isoformat(), "_continue": "1"}
    )
    assert again.status_code == 302
    piece.refresh_from_db()
    assert piece.title == "Ana’s title"


def test_a_save_that_does_not_say_which_version_it_was_opened_at_is_refused_and_kept(
    client, ana, piece
):
    data = form_data(piece.series, title="Ana’s title")
    assert "opened_version" not in data
    response = client.post(change_url(piece), data | {"_continue": "1"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "did not say which version of the piece it was opened at" in html
    assert "<del>First</del>" in html and "<ins>Ana’s</ins>" in html
    piece.refresh_from_db()
    assert piece.title == "First title"
    kept = FormDraft.objects.get(kind=FormDraft.Kind.REFUSED, object_id=str(piece.pk))
    assert kept.data["title"] == ["Ana’s title"]
    # Re-shown with the current version: Save again goes through, knowingly.
    version = piece.updated_at.isoformat()
    assert f'name="opened_version" value="{version}"' in html
    again = client.post(change_url(piece), data | {"opened_version": version, "_continue": "1"})
    assert again.status_code == 302
    piece.refresh_from_db()
    assert piece.title == "Ana’s title"


def test_a_stale_save_of_bylines_is_refused_too(client, ana, piece):
    version = opened_version(client, change_url(piece))
    Commentary.objects.get(pk=piece.pk).save()
    author = AuthorFactory(name="Ana Lee")
    data = form_data(piece.series, authors=[author], title=piece.title, opened_version=version)
    response = client.post(change_url(piece), data | {"_continue": "1"})
    assert response.status_code == 200
    html = response.content.decode()
    conflict = html[
        html.index('class="editing-conflict"') : html.index(
            "</table>", html.index('class="editing-conflict"')
        )
    ]
    assert "Authors, in byline order" in conflict
    assert "Ana Lee" in conflict
    assert piece.bylines.count() == 0


def test_the_author_form_carries_its_version_too(client, ana):
    author = AuthorFactory(name="Ana Lee", slug="ana-lee")
    url = reverse("admin:authors_author_change", args=[author.pk])
    version = opened_version(client, url)
    Author.objects.get(pk=author.pk).save()
    response = client.post(
        url,
        {
            "name": "Ana M. Lee",
            "slug": "ana-lee",
            "opened_version": version,
            "affiliations-TOTAL_FORMS": "0",
            "affiliations-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 200
    assert "saved this author at" in response.content.decode()
    author.refresh_from_db()
    assert author.name == "Ana Lee"


def test_opening_a_form_takes_the_lock_and_others_see_who_holds_it(client, ana, piece):
    client.get(change_url(piece))
    lock = EditLock.objects.get()
    assert lock.user == ana
    bo = UserFactory(username="bo", groups=["Editors"])
    client.force_login(bo)
    html = client.get(change_url(piece)).content.decode()
    assert f"Ana Lee has been editing since {timezone.localtime(lock.since):%H:%M}" in html
    assert EditLock.objects.get().user == ana


def test_a_lock_lapses_when_its_heartbeat_stops(ana, piece, settings):
    settings.EDIT_LOCK_SECONDS = 60
    bo = UserFactory(username="bo", groups=["Editors"])
    start = timezone.now()
    services.lock_touch(user=ana, model=Commentary, object_id=piece.pk, now=start)
    held = services.lock_touch(
        user=bo, model=Commentary, object_id=piece.pk, now=start + timedelta(seconds=59)
    )
    assert held.user == ana
    services.lock_touch(
        user=ana, model=Commentary, object_id=piece.pk, now=start + timedelta(seconds=100)
    )
    still = services.lock_touch(
        user=bo, model=Commentary, object_id=piece.pk, now=start + timedelta(seconds=159)
    )
    assert still.user == ana  # the heartbeat at +100 s kept it
    taken = services.lock_touch(
        user=bo, model=Commentary, object_id=piece.pk, now=start + timedelta(seconds=161)
    )
    assert (taken.user, taken.since) == (bo, start + timedelta(seconds=161))


def test_the_heartbeat_autosaves_a_draft_and_never_the_piece(client, ana, piece):
    pulse = reverse("admin:commentaries_commentary_pulse", args=[piece.pk])
    data = form_data(piece.series, title="Typed, not saved", body="<p>Half a thought</p>")
    answer = client.post(pulse, data | {"_autosave": "1", "opened_version": "v"}).json()
    assert answer["lock"]["mine"] is True
    assert "autosaved" in answer
    piece.refresh_from_db()
    assert piece.title == "First title"
    draft = FormDraft.objects.get(kind=FormDraft.Kind.AUTOSAVE)
    assert draft.data["body"] == ["<p>Half a thought</p>"]
    assert "csrfmiddlewaretoken" not in draft.data
    # A second autosave replaces the first.
    client.post(pulse, data | {"_autosave": "1", "title": "Typed again"})
    assert FormDraft.objects.get().data["title"] == ["Typed again"]


def test_an_autosaved_draft_is_offered_and_restored_into_the_form(client, ana, piece):
    pulse = reverse("admin:commentaries_commentary_pulse", args=[piece.pk])
    data = form_data(piece.series, title="Typed elsewhere", body="<p>Kept body</p>")
    client.post(pulse, data | {"_autosave": "1", "opened_version": piece.updated_at.isoformat()})
    draft = FormDraft.objects.get()
    html = client.get(change_url(piece)).content.decode()
    assert f'href="?restore={draft.pk}"' in html
    restored = client.get(change_url(piece), {"restore": draft.pk}).content.decode()
    assert 'value="Typed elsewhere"' in restored
    assert "Kept body" in restored
    assert "Nothing is saved until you press Save" in restored
    piece.refresh_from_db()
    assert piece.title == "First title"


def test_someone_elses_draft_cannot_be_restored(client, ana, piece):
    bo = UserFactory(username="bo", groups=["Editors"])
    draft = FormDraft.objects.create(
        content_type=ContentType.objects.get_for_model(Commentary),
        object_id=str(piece.pk),
        user=bo,
        kind=FormDraft.Kind.AUTOSAVE,
        data={"title": ["Bo’s secret"]},
    )
    html = client.get(change_url(piece), {"restore": draft.pk}).content.decode()
    assert "Bo’s secret" not in html


def test_a_successful_save_clears_the_autosaved_draft(client, ana, piece):
    pulse = reverse("admin:commentaries_commentary_pulse", args=[piece.pk])
    client.post(pulse, form_data(piece.series) | {"_autosave": "1"})
    version = opened_version(client, change_url(piece))
    client.post(
        change_url(piece), form_data(piece.series, opened_version=version) | {"_continue": "1"}
    )
    assert not FormDraft.objects.exists()


def test_the_heartbeat_needs_the_change_permission(client, piece):
    client.force_login(UserFactory(username="reader", is_staff=True))
    pulse = reverse("admin:commentaries_commentary_pulse", args=[piece.pk])
    assert client.post(pulse, {"_autosave": "1", "title": "x"}).status_code == 403
    assert not FormDraft.objects.exists()
    assert not EditLock.objects.exists()


def test_the_heartbeat_answers_only_posts(client, ana, piece):
    pulse = reverse("admin:commentaries_commentary_pulse", args=[piece.pk])
    assert client.get(pulse).status_code == 405

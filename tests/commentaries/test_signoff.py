"""Sign-off links: a piece that is not published, shown to an outside author
with no login, through a link that is unguessable, expires and can be revoked."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from pacforum.editing import services
from pacforum.editing.models import PreviewLink
from tests.factories import CommentaryFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def draft():
    return CommentaryFactory(title="A draft for sign-off", body="<p>Draft text.</p>")


def signoff_url(link):
    return reverse("commentaries:signoff", kwargs={"token": link.token})


def test_a_link_shows_the_draft_to_anyone_marked_and_never_indexed_or_cached(client, draft):
    link = services.preview_link_create(obj=draft, user=None)
    response = client.get(signoff_url(link))
    html = response.content.decode()
    assert response.status_code == 200
    assert "A draft for sign-off" in html
    assert "<strong>Not published: preview</strong>" in html
    assert "This link works until" in html
    assert '<meta name="robots" content="noindex, nofollow">' in html
    assert response["X-Robots-Tag"] == "noindex, nofollow"
    assert "no-store" in response["Cache-Control"]
    # Asked again, it is built again (a revoked link must stop at once).
    link.revoked_at = timezone.now()
    link.save()
    assert client.get(signoff_url(link)).status_code == 404


def test_links_are_unguessable_and_last_seven_days_by_default(draft):
    first = services.preview_link_create(obj=draft, user=None)
    second = services.preview_link_create(obj=draft, user=None)
    assert first.token != second.token
    assert len(first.token) >= 43  # 256 random bits
    assert timedelta(days=6, hours=23) < first.expires_at - timezone.now() <= timedelta(days=7)


def test_an_expired_link_fails(client, draft):
    link = services.preview_link_create(obj=draft, user=None)
    PreviewLink.objects.filter(pk=link.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert client.get(signoff_url(link)).status_code == 404


def test_an_unknown_token_fails(client, draft):
    services.preview_link_create(obj=draft, user=None)
    assert client.get("/preview/signoff/not-a-real-token/").status_code == 404


def test_once_published_the_link_leads_to_the_public_page(client):
    piece = CommentaryFactory(published=True)
    link = PreviewLink.objects.create(
        content_type_id=services._key(type(piece), piece.pk)["content_type"].pk,
        object_id=str(piece.pk),
        token="t" * 43,
        expires_at=timezone.now() + timedelta(days=1),
    )
    response = client.get(signoff_url(link))
    assert response.status_code == 302
    assert response["Location"] == piece.get_absolute_url()


def test_an_editor_creates_and_revokes_a_link_in_the_admin(client, draft):
    client.force_login(UserFactory(username="editor", groups=["Editors"]))
    page = reverse("admin:commentaries_commentary_signoff", args=[draft.pk])
    assert (
        "Sign-off links"
        in client.get(
            reverse("admin:commentaries_commentary_change", args=[draft.pk])
        ).content.decode()
    )
    client.post(page, {"create": "1", "days": "3"})
    link = PreviewLink.objects.get()
    assert timedelta(days=2, hours=23) < link.expires_at - timezone.now() <= timedelta(days=3)
    assert signoff_url(link) in client.get(page).content.decode()
    client.post(page, {"revoke": link.pk})
    link.refresh_from_db()
    assert link.revoked_at is not None


def test_a_link_lasts_one_to_sixty_days(client, draft):
    client.force_login(UserFactory(username="editor", groups=["Editors"]))
    page = reverse("admin:commentaries_commentary_signoff", args=[draft.pk])
    response = client.post(page, {"create": "1", "days": "365"}, follow=True)
    assert "A link lasts from 1 to 60 days." in response.content.decode()
    assert not PreviewLink.objects.exists()


def test_no_link_for_a_published_piece(client):
    piece = CommentaryFactory(published=True)
    client.force_login(UserFactory(username="editor", groups=["Editors"]))
    page = reverse("admin:commentaries_commentary_signoff", args=[piece.pk])
    client.post(page, {"create": "1"})
    assert not PreviewLink.objects.exists()


def test_the_signoff_page_needs_the_change_permission(client, draft):
    client.force_login(UserFactory(username="viewer", is_staff=True))
    page = reverse("admin:commentaries_commentary_signoff", args=[draft.pk])
    assert client.post(page, {"create": "1"}).status_code == 403
    assert not PreviewLink.objects.exists()

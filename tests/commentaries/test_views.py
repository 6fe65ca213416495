import json
import re
from datetime import timedelta

import pytest
from django.contrib.flatpages.models import FlatPage
from django.contrib.sites.models import Site
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from commentaries.models import Commentary, FormerAddress
from commentaries.services import commentary_publish, commentary_set_topics
from tests.factories import (
    AffiliationFactory,
    AuthorFactory,
    BylineFactory,
    CommentaryFactory,
    SeriesFactory,
    TopicFactory,
    piece_with,
)

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite]


def html(response):
    return response.content.decode()


# Pages and visibility


def test_home_page_lists_latest_pieces_newest_per_series_and_featured_topics(client):
    pacnet = SeriesFactory(name="PacNet", slug="pacnet")
    briefs = SeriesFactory(name="Briefs", slug="briefs")
    older = CommentaryFactory(published=True, series=pacnet, title="Older PacNet")
    CommentaryFactory(
        published=True,
        series=briefs,
        title="Newest brief",
        published_at=timezone.now() - timedelta(hours=1),
    )
    # A topic is public only while it has a published piece.
    older.topics.add(TopicFactory(name="Maritime security", featured=True))
    older.topics.add(TopicFactory(name="Not on the home page", featured=False))
    page = html(client.get(reverse("commentaries:home")))
    assert "Older PacNet" in page
    assert "Newest brief" in page
    assert "Maritime security" in page
    assert "Not on the home page" not in page


def test_draft_and_scheduled_pieces_are_hidden_from_every_listing(client):
    topic = TopicFactory(slug="alliances")
    author = AuthorFactory(slug="jane-doe")
    visible = CommentaryFactory(published=True, title="Visible piece")
    BylineFactory(commentary=visible, author=author)
    visible.topics.add(topic)
    for hidden in (
        CommentaryFactory(series=visible.series, title="Hidden draft"),
        CommentaryFactory(scheduled=True, series=visible.series, title="Hidden scheduled"),
    ):
        BylineFactory(commentary=hidden, author=author)
        hidden.topics.add(topic)
    urls = [
        reverse("commentaries:home"),
        reverse("commentaries:series", args=[visible.series.slug]),
        reverse("commentaries:series_year", args=[visible.series.slug, visible.year]),
        reverse("commentaries:topic", args=["alliances"]),
        reverse("authors:detail", args=["jane-doe"]),
    ]
    for url in urls:
        page = html(client.get(url))
        assert "Visible piece" in page, url
        assert "Hidden draft" not in page, url
        assert "Hidden scheduled" not in page, url


def test_draft_and_scheduled_pieces_are_404_for_readers(client):
    draft = CommentaryFactory(year=2026, title="Draft")
    scheduled = CommentaryFactory(scheduled=True)
    for piece in (draft, scheduled):
        assert client.get(piece.get_absolute_url()).status_code == 404


def test_commentary_page_shows_the_anatomy_of_a_piece(client):
    series = SeriesFactory(
        name="PacNet",
        slug="pacnet",
        short_label="PacNet",
        disclaimer="<p>Views are the authors’ own.</p>",
    )
    piece = CommentaryFactory(
        published=True,
        series=series,
        number=68,
        title="Resetting ties",
        body="<p>The body of the piece.</p>",
        original_publication="The Daily Example",
    )
    author = AuthorFactory(name="Saeme Kim", short_bio="is a PhD candidate.", show_email=True)
    BylineFactory(commentary=piece, author=author)
    topic = TopicFactory(name="Alliances")
    piece.topics.add(topic)
    page = html(client.get(piece.get_absolute_url()))
    assert "PacNet #68 – Resetting ties" in page
    assert "The body of the piece." in page
    assert f'href="{author.get_absolute_url()}"' in page
    assert f'href="{topic.get_absolute_url()}"' in page
    assert "is a PhD candidate." in page
    assert "Views are the authors’ own." in page
    assert "Originally published in The Daily Example" in page
    assert "Cite this" in page
    assert f'href="{reverse("subscriptions:subscribe")}?series=pacnet"' in page
    assert "Request a PacNet subscription" in page


def test_commentary_page_links_responses_both_ways(client):
    original = CommentaryFactory(published=True, title="The original")
    response = CommentaryFactory(
        published=True, series=original.series, responds_to=original, title="A reply"
    )
    original_page = html(client.get(original.get_absolute_url()))
    response_page = html(client.get(response.get_absolute_url()))
    assert f'href="{response.get_absolute_url()}"' in original_page
    assert "Responses" in original_page
    assert "In response to" in response_page
    assert f'href="{original.get_absolute_url()}"' in response_page


def test_a_draft_response_is_not_linked_from_the_original(client):
    original = CommentaryFactory(published=True)
    CommentaryFactory(series=original.series, responds_to=original, title="Unfinished reply")
    assert "Unfinished reply" not in html(client.get(original.get_absolute_url()))


def test_commentary_page_links_previous_and_next_in_the_series_and_related_pieces(client):
    now = timezone.now()
    series = SeriesFactory()
    topic = TopicFactory()
    older = CommentaryFactory(
        published=True, series=series, title="Older one", published_at=now - timedelta(days=3)
    )
    middle = CommentaryFactory(
        published=True, series=series, title="Middle one", published_at=now - timedelta(days=2)
    )
    newer = CommentaryFactory(
        published=True, series=series, title="Newer one", published_at=now - timedelta(days=1)
    )
    related = CommentaryFactory(published=True, title="Same topic elsewhere")
    for piece in (middle, related):
        commentary_set_topics(commentary=piece, topics=[topic])
    page = html(client.get(middle.get_absolute_url()))
    assert re.search(rf'href="{older.get_absolute_url()}" rel="prev"', page)
    assert re.search(rf'href="{newer.get_absolute_url()}" rel="next"', page)
    assert "Same topic elsewhere" in page


def test_email_is_shown_only_when_the_author_allows_it_and_never_as_plain_text(client):
    piece = CommentaryFactory(published=True)
    shown = AuthorFactory(email="open.person@example.org", show_email=True)
    hidden = AuthorFactory(email="private.person@example.org", show_email=False)
    BylineFactory(commentary=piece, author=shown)
    BylineFactory(commentary=piece, author=hidden)
    page = html(client.get(piece.get_absolute_url()))
    assert "open.person [at] example [dot] org" in page
    assert "open.person@example.org" not in page
    assert "private.person" not in page
    assert "[email protected]" not in page
    assert "email&#160;protected" not in page


def test_pdf_link_is_shown_when_there_is_one(client, settings, tmp_path):
    from django.core.files.base import ContentFile

    from tests.factories import pdf_bytes

    settings.MEDIA_ROOT = tmp_path
    piece = CommentaryFactory(published=True)
    piece.pdf.save("piece.pdf", ContentFile(pdf_bytes()), save=True)
    page = html(client.get(piece.get_absolute_url()))
    assert f'href="{piece.pdf.url}"' in page
    assert 'name="citation_pdf_url"' in page


def test_commentary_page_carries_search_engine_and_citation_metadata(client):
    piece = CommentaryFactory(
        published=True, number=68, title="Resetting ties", summary="What to do next."
    )
    author = AuthorFactory(name="Saeme Kim")
    AffiliationFactory(author=author, organization__name="Example Institute")
    BylineFactory(commentary=piece, author=author)
    page = html(client.get(piece.get_absolute_url()))
    url = f"http://testserver{piece.get_absolute_url()}"
    assert '<meta name="description" content="What to do next.">' in page
    assert f'<link rel="canonical" href="{url}">' in page
    assert '<meta property="og:type" content="article">' in page
    assert '<meta name="twitter:card" content="summary">' in page
    assert '<meta name="citation_title" content="Resetting ties">' in page
    assert '<meta name="citation_author" content="Saeme Kim">' in page
    assert '<meta name="citation_technical_report_number" content="68">' in page
    assert 'name="citation_publication_date"' in page
    data = json.loads(
        re.search(r'<script type="application/ld\+json">(.*?)</script>', page, re.S).group(1)
    )
    assert data["@type"] == "NewsArticle"
    assert data["url"] == url
    assert data["author"] == [
        {
            "@type": "Person",
            "name": "Saeme Kim",
            "url": f"http://testserver{author.get_absolute_url()}",
            "affiliation": {"@type": "Organization", "name": "Example Institute"},
        }
    ]


def test_structured_data_cannot_be_closed_early_by_a_title(client):
    piece = CommentaryFactory(published=True, title="</script><script>alert(1)</script>")
    page = html(client.get(piece.get_absolute_url()))
    assert "<script>alert(1)" not in page


def test_commentary_page_html_stays_under_60_kilobytes(client):
    piece = piece_with(authors=4, topics=5)
    piece.body = "".join(f"<p>Paragraph {n} of a long piece of analysis.</p>" for n in range(40))
    piece.save()
    assert len(client.get(piece.get_absolute_url()).content) < 60_000


# Addresses and redirects


def test_short_permalink_redirects_permanently_to_the_canonical_address(client):
    series = SeriesFactory(slug="pacnet")
    piece = CommentaryFactory(published=True, series=series, number=68, published_at=_in(2019))
    response = client.get("/pacnet/2019/68/")
    assert response.status_code == 301
    assert response["Location"] == piece.get_absolute_url()


def test_short_permalink_of_a_response_redirects_to_the_response(client):
    series = SeriesFactory(slug="pacnet")
    CommentaryFactory(published=True, series=series, number=68, published_at=_in(2019))
    reply = CommentaryFactory(
        published=True, series=series, number=68, suffix="R", published_at=_in(2019)
    )
    for url in ("/pacnet/2019/68r/", "/pacnet/2019/68R/"):
        response = client.get(url)
        assert response.status_code == 301
        assert response["Location"] == reply.get_absolute_url()


def test_short_permalink_of_a_scheduled_piece_is_404(client):
    series = SeriesFactory(slug="pacnet")
    CommentaryFactory(scheduled=True, series=series, number=69)
    assert client.get(f"/pacnet/{timezone.now().year}/69/").status_code == 404


def test_changing_a_published_slug_keeps_the_old_address_working(client):
    piece = CommentaryFactory(published=True, slug="first-title")
    old_url = piece.get_absolute_url()
    piece.slug = "better-title"
    piece.save()
    response = client.get(old_url)
    assert response.status_code == 301
    assert response["Location"] == piece.get_absolute_url()
    assert client.get(piece.get_absolute_url()).status_code == 200


def test_old_address_survives_a_slug_change_made_with_a_queryset_update(client):
    piece = CommentaryFactory(published=True, slug="first-title")
    old_url = piece.get_absolute_url()
    Commentary.objects.filter(pk=piece.pk).update(slug="renamed-in-bulk")
    piece.refresh_from_db()
    response = client.get(old_url)
    assert response.status_code == 301
    assert response["Location"] == piece.get_absolute_url()


def test_every_former_address_redirects_after_several_renames(client):
    piece = CommentaryFactory(published=True, slug="one")
    urls = [piece.get_absolute_url()]
    for slug in ("two", "three"):
        piece.slug = slug
        piece.save()
        urls.append(piece.get_absolute_url())
    for url in urls[:-1]:
        assert client.get(url)["Location"] == urls[-1]
    assert FormerAddress.objects.filter(commentary=piece).count() == 2


def test_a_live_piece_wins_over_another_pieces_former_address(client):
    piece = CommentaryFactory(published=True, slug="shared")
    piece.slug = "moved-away"
    piece.save()
    newcomer = CommentaryFactory(
        published=True, series=piece.series, year=piece.year, slug="shared"
    )
    assert client.get(newcomer.get_absolute_url()).status_code == 200


def test_former_address_of_a_piece_not_live_yet_is_404(client):
    piece = CommentaryFactory(scheduled=True, slug="first")
    old_url = piece.get_absolute_url()
    piece.slug = "second"
    piece.save()
    assert client.get(old_url).status_code == 404


def test_unknown_address_gets_the_friendly_404_page(client):
    response = client.get("/no-such-series/2019/nothing-here/")
    assert response.status_code == 404
    assert "We can’t find that page" in html(response)


def test_editors_redirects_still_work(client):
    from django.contrib.redirects.models import Redirect

    Redirect.objects.create(site_id=1, old_path="/old-about/", new_path="/about/")
    response = client.get("/old-about/")
    assert response.status_code == 301


# Series, year, topics, authors


def test_series_page_filters_by_year_topic_and_author(client):
    series = SeriesFactory(slug="pacnet")
    topic = TopicFactory(slug="energy")
    author = AuthorFactory(slug="ana-lim")
    old = CommentaryFactory(
        published=True, series=series, title="From 2019", published_at=_in(2019)
    )
    tagged = CommentaryFactory(published=True, series=series, title="Tagged piece")
    tagged.topics.add(topic)
    written = CommentaryFactory(published=True, series=series, title="Written piece")
    BylineFactory(commentary=written, author=author)
    url = reverse("commentaries:series", args=["pacnet"])
    by_year = html(client.get(url, {"year": 2019}))
    assert old.title in by_year and "Tagged piece" not in by_year
    by_topic = html(client.get(url, {"topic": "energy"}))
    assert "Tagged piece" in by_topic and "From 2019" not in by_topic
    by_author = html(client.get(url, {"author": "ana-lim"}))
    assert "Written piece" in by_author and "Tagged piece" not in by_author


def test_series_page_ignores_nonsense_filters_without_an_error(client):
    series = SeriesFactory(slug="pacnet")
    CommentaryFactory(published=True, series=series, title="Still listed")
    response = client.get("/pacnet/", {"year": "abc", "topic": "<script>", "page": "1"})
    assert response.status_code == 200
    assert "Still listed" in html(response)
    assert "<script>" not in html(response).split("<main", 1)[1]


def test_the_filter_menus_escape_topic_and_author_names_and_mark_the_chosen_one(client):
    series = SeriesFactory(slug="pacnet")
    topic = TopicFactory(slug="odd", name='<b>"Odd" & co</b>')
    piece = CommentaryFactory(published=True, series=series)
    commentary_set_topics(commentary=piece, topics=[topic])
    BylineFactory(commentary=piece, author=AuthorFactory(slug="o-neil", name="Ann <O'Neil>"))
    page = html(client.get("/pacnet/", {"topic": "odd"}))
    escaped = "&lt;b&gt;&quot;Odd&quot; &amp; co&lt;/b&gt;"
    assert f'<option value="odd" selected>{escaped}</option>' in page
    assert '<option value="o-neil">Ann &lt;O&#x27;Neil&gt;</option>' in page
    assert '<option value="" selected>Any topic</option>' not in page


def test_series_page_is_paginated_newest_first(client):
    series = SeriesFactory(slug="pacnet")
    now = timezone.now()
    for n in range(25):
        CommentaryFactory(
            published=True,
            series=series,
            title=f"Piece {n:02d}",
            published_at=now - timedelta(days=n + 1),
        )
    first = html(client.get("/pacnet/"))
    second = html(client.get("/pacnet/", {"page": 2}))
    assert "Piece 00" in first and "Piece 24" not in first
    assert "Piece 24" in second
    assert first.index("Piece 00") < first.index("Piece 01")
    assert client.get("/pacnet/", {"page": 99}).status_code == 404


def test_year_archive_lists_the_year_in_number_order(client):
    series = SeriesFactory(slug="pacnet")
    CommentaryFactory(
        published=True, series=series, number=2, title="Second", published_at=_in(2019, 3)
    )
    CommentaryFactory(
        published=True, series=series, number=1, title="First", published_at=_in(2019, 2)
    )
    CommentaryFactory(
        published=True, series=series, number=1, title="Twenty twenty", published_at=_in(2020)
    )
    page = html(client.get("/pacnet/2019/"))
    assert page.index("First") < page.index("Second")
    assert "Twenty twenty" not in page
    assert client.get("/pacnet/1999/").status_code == 404


def test_unknown_series_is_404(client):
    assert client.get("/no-such-series/").status_code == 404


def test_topics_index_counts_only_published_pieces(client):
    topic = TopicFactory(name="Energy")
    CommentaryFactory(published=True).topics.add(topic)
    CommentaryFactory().topics.add(topic)
    TopicFactory(name="Unused topic")
    page = html(client.get(reverse("commentaries:topics")))
    assert "Energy" in page and "(1)" in page
    assert "Unused topic" not in page


def test_static_pages_are_linked_in_the_navigation_when_they_exist(client):
    page = FlatPage.objects.create(url="/about/", title="About us", content="<p>We are.</p>")
    page.sites.add(Site.objects.get_current())
    home = html(client.get("/"))
    assert '<a href="/about/">About us</a>' in home
    about = client.get("/about/")
    assert about.status_code == 200
    assert "We are." in html(about)
    assert "Skip to content" in html(about)


# Cite this


def test_cite_this_gives_chicago_and_apa_text(client):
    series = SeriesFactory(name="PacNet", slug="pacnet", short_label="PacNet")
    piece = CommentaryFactory(
        published=True, series=series, number=68, title="Resetting ties", published_at=_in(2019, 11)
    )
    BylineFactory(commentary=piece, author=AuthorFactory(name="Saeme Kim", sort_name="Kim, Saeme"))
    BylineFactory(commentary=piece, author=AuthorFactory(name="Ana Lim", sort_name="Lim, Ana"))
    page = html(client.get(piece.get_absolute_url()))
    url = f"http://testserver{piece.get_absolute_url()}"
    assert (
        f"Kim, Saeme and Ana Lim. “Resetting ties.” PacNet, no. 68. Pacific Forum, "
        f"November 15, 2019. {url}."
    ) in page
    assert (
        f"Kim, S., &amp; Lim, A. (2019, November 15). Resetting ties (PacNet No. 68). "
        f"Pacific Forum. {url}"
    ) in page


def test_bibtex_and_ris_downloads(client):
    piece = CommentaryFactory(published=True, number=68, title="Resetting ties & more")
    BylineFactory(commentary=piece, author=AuthorFactory(name="Saeme Kim", sort_name="Kim, Saeme"))
    bib = client.get(
        reverse("commentaries:cite", args=[piece.series.slug, piece.year, piece.slug, "bib"])
    )
    assert bib.status_code == 200
    assert bib["Content-Disposition"].startswith("attachment;")
    text = bib.content.decode()
    assert text.startswith("@techreport{kim")
    assert "title = {Resetting ties \\& more}" in text
    assert "author = {{Kim}, Saeme}" in text
    ris = client.get(
        reverse("commentaries:cite", args=[piece.series.slug, piece.year, piece.slug, "ris"])
    )
    lines = ris.content.decode().split("\r\n")
    assert lines[0] == "TY  - RPRT"
    assert "AU  - Kim, Saeme" in lines
    assert "ER  - " in lines


def test_citation_of_a_draft_is_404(client):
    piece = CommentaryFactory(year=2026)
    url = reverse("commentaries:cite", args=[piece.series.slug, 2026, piece.slug, "bib"])
    assert client.get(url).status_code == 404


# Preview (staff only, same template and context as readers)


def test_preview_of_a_draft_is_404_for_anonymous_readers(client):
    draft = CommentaryFactory(title="Secret draft")
    assert client.get(reverse("commentaries:preview", args=[draft.pk])).status_code == 404


def test_staff_preview_renders_the_readers_template_and_is_never_cached(admin_client):
    draft = CommentaryFactory(title="Work in progress", body="<p>Almost there.</p>")
    BylineFactory(commentary=draft)
    response = admin_client.get(reverse("commentaries:preview", args=[draft.pk]))
    assert response.status_code == 200
    assert "commentaries/commentary_detail.html" in [t.name for t in response.templates]
    assert "Almost there." in html(response)
    assert "Cite this" in html(response)
    assert response["X-Robots-Tag"] == "noindex, nofollow"
    assert response["Cache-Control"] == "private, no-store"


def test_staff_preview_of_a_scheduled_piece(admin_client):
    piece = BylineFactory(commentary__scheduled=True, commentary__title="Coming soon").commentary
    commentary_publish(commentary=piece, at=timezone.now() + timedelta(days=2))
    response = admin_client.get(reverse("commentaries:preview", args=[piece.pk]))
    assert "Coming soon" in html(response)


def _in(year, month=11):
    return timezone.make_aware(timezone.datetime(year, month, 15, 12, 0))


def test_server_error_page_renders_without_context_or_database():
    from django.template.loader import render_to_string

    page = render_to_string("500.html")
    assert "Something went wrong" in page
    assert "<script" not in page


@pytest.mark.skipif(connection.vendor != "sqlite", reason="only SQLite rebuilds tables")
def test_former_address_trigger_survives_a_sqlite_table_rebuild(client):
    from django.core.management import call_command

    with connection.cursor() as cursor:
        cursor.execute("DROP TRIGGER commentaries_remember_address")
    call_command("migrate", verbosity=0)
    piece = CommentaryFactory(published=True, slug="before-rebuild")
    old_url = piece.get_absolute_url()
    piece.slug = "after-rebuild"
    piece.save()
    assert client.get(old_url)["Location"] == piece.get_absolute_url()


def test_navigation_lists_only_series_with_published_pieces(client):
    CommentaryFactory(published=True, series=SeriesFactory(name="Live series"))
    CommentaryFactory(series=SeriesFactory(name="Only drafts so far"))
    page = html(client.get("/"))
    assert "Live series" in page
    assert "Only drafts so far" not in page


def around(piece):
    from commentaries.selectors import commentary_page, for_page

    return commentary_page(for_page(Commentary.objects.all()).get(pk=piece.pk))


def test_surroundings_rank_related_pieces_by_shared_topics_then_newest():
    now = timezone.now()
    series = SeriesFactory()
    topics = TopicFactory.create_batch(3)

    def piece_on(*on, **kwargs):
        piece = CommentaryFactory(**kwargs)
        commentary_set_topics(commentary=piece, topics=on)
        return piece

    piece = piece_on(*topics, published=True, series=series, published_at=now - timedelta(days=5))
    # Same series, just before and after: they are the neighbours and share one topic.
    before = piece_on(
        topics[0], published=True, series=series, published_at=now - timedelta(days=6)
    )
    after = piece_on(topics[0], published=True, series=series, published_at=now - timedelta(days=4))
    piece_on(topics[0], published=True, series=series, published_at=now - timedelta(days=9))
    # Elsewhere: three topics shared, two, two (newer first), one; a draft shares all.
    three = piece_on(*topics, published=True, published_at=now - timedelta(days=30))
    two_old = piece_on(*topics[1:], published=True, published_at=now - timedelta(days=20))
    two_new = piece_on(*topics[1:], published=True, published_at=now - timedelta(days=10))
    piece_on(*topics, title="Draft")
    response = CommentaryFactory(published=True, responds_to=piece)

    shown = around(piece)

    assert shown["previous"] == before
    assert shown["next"] == after
    assert shown["related"] == [three, two_new, two_old]
    assert shown["responses"] == [response]
    assert shown["in_response_to"] is None
    assert around(response)["in_response_to"] == piece


def test_related_pieces_are_ranked_among_each_topics_nearest_pieces(monkeypatch):
    """The related ranking reads a bounded window of each topic's pieces
    around the one shown, so that a change touches a bounded number of
    pieces whatever the archive's size."""
    from commentaries import surroundings

    monkeypatch.setattr(surroundings, "RELATED_WINDOW", 2)
    monkeypatch.setattr(surroundings, "RELATED_LIMIT", 10)
    busy, quiet = TopicFactory.create_batch(2)

    def piece_on(*topics):
        piece = CommentaryFactory(published=True)
        commentary_set_topics(commentary=piece, topics=topics)
        return piece

    # In id order under the busy topic: old, before2, before1, PIECE, after1, after2, late.
    old = piece_on(busy, quiet)  # outside the busy window, inside the quiet one
    before2, before1 = piece_on(busy), piece_on(busy)
    piece = piece_on(busy, quiet)
    after1, after2 = piece_on(busy), piece_on(busy)
    late = piece_on(busy)  # third after: outside the window

    related = around(piece)["related"]

    assert set(related) == {old, before2, before1, after1, after2}
    assert related[0] == old  # shares both topics
    assert late not in related


def test_the_preview_says_it_is_not_published_and_never_cites_the_preview_address(
    admin_client,
):
    draft = CommentaryFactory(title="Work in progress", slug="work-in-progress")
    BylineFactory(commentary=draft)
    page = html(admin_client.get(reverse("commentaries:preview", args=[draft.pk])))
    assert '<p class="preview-banner" role="status"><strong>Not published: preview</strong>' in page
    year = timezone.localtime().year
    public = f"http://testserver/{draft.series.slug}/{year}/work-in-progress/"
    assert f'<link rel="canonical" href="{public}">' in page
    assert f"{public}." in page, "the Chicago citation ends with the public address"
    assert "/preview/" not in page


def test_readers_never_see_the_preview_banner(client):
    piece = CommentaryFactory(published=True)
    assert "preview-banner" not in html(client.get(piece.get_absolute_url()))

import re
from datetime import UTC, datetime

import pytest
from django.contrib.redirects.models import Redirect
from PIL import Image

from authors.models import Author
from commentaries.models import Commentary, Series
from tests.factories import AuthorFactory, CommentaryFactory, SeriesFactory, TopicFactory
from wordpress.models import ImportedPost

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite]


def piece(wp_post_id):
    return (
        ImportedPost.objects.select_related("commentary__series")
        .get(wp_post_id=wp_post_id)
        .commentary
    )


def test_publications_and_posts_become_commentaries_with_series_number_and_year(
    archive, import_wxr
):
    import_wxr(archive)
    en_dash, em_dash, hyphen = piece(101), piece(102), piece(103)
    assert en_dash.display_title == (
        "PacNet #12 – Harbour diplomacy: why small ports carry big weight"
    )
    assert (en_dash.series.slug, en_dash.year, en_dash.number, en_dash.suffix) == (
        "pacnet",
        2021,
        12,
        "",
    )
    assert em_dash.label == "PacNet #13"
    assert em_dash.title == "Fisheries patrols and the limits of goodwill"
    assert hyphen.label == "PacNet #12R"
    assert hyphen.title.startswith("Response to “Harbour diplomacy”")


def test_a_response_is_linked_to_the_piece_it_answers(archive, import_wxr):
    import_wxr(archive)
    assert piece(103).responds_to == piece(101)


def test_issues_and_insights_titles_keep_volume_and_paper_in_an_unnumbered_series(
    archive, import_wxr
):
    import_wxr(archive)
    paper = piece(106)
    assert paper.series.name == "Issues & Insights"
    assert paper.number is None
    assert paper.title == "Vol. 21, WP2 – Island economies after the border closures"


def test_wordpress_statuses_map_to_published_scheduled_and_draft(archive, import_wxr):
    import_wxr(archive)
    published, scheduled = piece(101), piece(105)
    assert published.is_live
    assert published.published_at == datetime(2021, 3, 4, 2, tzinfo=UTC)
    assert scheduled.is_scheduled
    assert scheduled.published_at == datetime(2040, 1, 4, 23, tzinfo=UTC)
    for draft, pending, private in [(104, 108, 109)]:
        assert {piece(draft).status, piece(pending).status, piece(private).status} == {
            Commentary.Status.DRAFT
        }
    assert piece(104).published_at is None


def test_gutenberg_comments_empty_paragraphs_and_boilerplate_leave_the_body(archive, import_wxr):
    import_wxr(archive)
    body = piece(101).body
    assert "wp:paragraph" not in body
    assert "<p>&nbsp;</p>" not in body and "<p></p>" not in body
    assert "respective authors" not in body
    assert body.startswith("<p>Ports in the smaller island states")


def test_shortcodes_are_removed_or_converted_and_plain_text_gets_paragraphs(archive, import_wxr):
    import_wxr(archive)
    body = piece(102).body
    assert "[caption" not in body and "[gallery" not in body and "[su_note" not in body
    assert "<figcaption>A patrol boat at its berth in Honiara.</figcaption>" in body
    assert "<p>Patrol days fell by a third between 2015 and 2020.</p>" in body
    assert "donors [sic] rarely" in body
    assert body.startswith("<p>Patrol boats donated")


def test_closing_author_paragraphs_become_bylines_and_leave_the_body(archive, import_wxr):
    import_wxr(archive)
    commentary = piece(101)
    bylines = list(commentary.bylines.select_related("author"))
    assert [(b.author.name, b.email) for b in bylines] == [
        ("Hiro Tanaka", "h.tanaka@example.org"),
        ("Lena Wong", "lena.wong@think.example.org"),
    ]
    assert bylines[0].bio == "is a research fellow at a maritime studies centre in Yokohama."
    assert "Tanaka" not in commentary.body and "Lena Wong" not in commentary.body


def test_cloudflare_obfuscated_emails_are_decoded(archive, import_wxr):
    import_wxr(archive)
    assert piece(101).bylines.get(position=0).email == "h.tanaka@example.org"
    assert piece(103).bylines.get().email == "m.reyes@example.net"
    assert "email-protection" not in "".join(Commentary.objects.values_list("body", flat=True))


def test_authors_are_matched_by_email_then_name_and_never_duplicated(archive, import_wxr):
    by_email = AuthorFactory(name="H. Tanaka", email="H.Tanaka@example.org")
    by_name = AuthorFactory(name="Ana Folau", email="")
    import_wxr(archive)
    assert piece(101).bylines.get(position=0).author == by_email
    assert piece(102).bylines.get().author == by_name
    assert Author.objects.filter(name="Lena Wong").count() == 1
    assert Author.objects.filter(name__in=["Hiro Tanaka"]).count() == 0


def test_a_post_without_closing_paragraphs_is_bylined_to_its_wordpress_author(archive, import_wxr):
    import_wxr(archive)
    byline = piece(104).bylines.select_related("author").get()
    assert byline.author.name == "Lena Wong"
    assert byline.email == ""  # a WordPress account's email is never printed


def test_categories_and_tags_become_topics_unless_they_name_a_series(archive, import_wxr):
    existing = TopicFactory(name="Maritime Security", slug="maritime-security")
    import_wxr(archive)
    assert set(piece(101).topics.all()) == {existing, piece(101).topics.get(slug="pacific-islands")}
    assert list(piece(102).topics.all()) == [existing]  # no “PacNet”, no “Uncategorized”


def test_a_title_with_cjk_characters_and_emoji_survives(archive, import_wxr):
    import_wxr(archive)
    commentary = piece(107)
    assert commentary.title == "日本と韓国、新しい章へ 🤝"
    assert commentary.slug == "pacnet-16"
    assert commentary.topics.get().name == "日本"


def test_the_summary_comes_from_the_excerpt_or_the_first_paragraph(archive, import_wxr):
    import_wxr(archive)
    assert piece(101).summary.startswith("Small island ports keep trans-Pacific shipping moving")
    assert piece(103).summary.startswith("The habits proposed in PacNet #12 are sensible")


def test_other_post_types_and_unplaced_posts_are_skipped_with_reasons(archive, import_wxr):
    output = import_wxr(archive)
    assert "post type “attachment” is not imported" in output
    assert "no title pattern or category names a series" in output
    assert not ImportedPost.objects.filter(wp_post_id__in=[77, 110]).exists()
    assert ImportedPost.objects.get(wp_post_id=2).page.url == "/about-us/"


def test_default_series_takes_posts_no_rule_places(archive, import_wxr):
    SeriesFactory(slug="news", name="News")
    import_wxr(archive, "--default-series", "news")
    assert piece(110).series.slug == "news"
    assert piece(110).number is None


def test_a_second_run_changes_nothing(archive, import_wxr):
    import_wxr(archive)
    before = {c.pk: c.updated_at for c in Commentary.objects.all()}
    counts = (Commentary.objects.count(), Author.objects.count(), Redirect.objects.count())
    output = import_wxr(archive)
    assert "created           0" in output and "updated           0" in output
    assert "unchanged        10" in output
    assert {c.pk: c.updated_at for c in Commentary.objects.all()} == before
    assert (Commentary.objects.count(), Author.objects.count(), Redirect.objects.count()) == counts


def test_a_changed_post_is_updated_in_place(archive, import_wxr, tmp_path):
    import_wxr(archive)
    original = piece(102)
    edited = tmp_path / "edited.xml"
    edited.write_text(
        archive.read_text(encoding="utf-8").replace(
            "Fisheries patrols and the limits of goodwill", "Fisheries patrols at their limit"
        ),
        encoding="utf-8",
    )
    output = import_wxr(edited)
    assert "updated           1" in output
    updated = piece(102)
    assert updated.pk == original.pk
    assert updated.title == "Fisheries patrols at their limit"
    assert Redirect.objects.get(old_path="/?p=102").new_path == updated.get_absolute_url()
    assert updated.bylines.count() == 1


def test_an_interrupted_import_resumes_without_duplicates(archive, import_wxr):
    import_wxr(archive)
    ImportedPost.objects.get(wp_post_id=105).commentary.delete()  # as if never reached
    output = import_wxr(archive)
    assert "created           1" in output
    assert Commentary.objects.filter(number=15).count() == 1


def test_a_number_already_taken_imports_the_piece_unnumbered_with_a_warning(archive, import_wxr):
    pacnet = SeriesFactory(slug="pacnet", name="PacNet", short_label="PacNet")
    CommentaryFactory(series=pacnet, published=True, year=2021, number=13, title="Older piece")
    output = import_wxr(archive)
    assert "PacNet #13 (2021) is already “Older piece”; imported without a number" in output
    assert piece(102).number is None


def test_a_broken_post_is_reported_and_the_rest_continue(archive, import_wxr, tmp_path):
    broken = tmp_path / "broken.xml"
    broken.write_text(
        archive.read_text(encoding="utf-8")
        .replace("PacNet #15 – Election season in the atolls", "PacNet #15 – " + "x" * 300)
        .replace("<wp:post_id>107</wp:post_id>", "<wp:post_id>-107</wp:post_id>"),
        encoding="utf-8",
    )
    output = import_wxr(broken)
    assert (
        "post -107 “PacNet #16 – 日本と韓国、新しい章へ 🤝” (line 190): "
        "wp:post_id -107 is not a positive number" in output
    )
    assert not Commentary.objects.filter(title="日本と韓国、新しい章へ 🤝").exists()
    assert ImportedPost.objects.filter(wp_post_id=108).exists()
    assert len(piece(105).title) == 255
    assert len(piece(105).slug) <= 100


def test_dry_run_saves_nothing(archive, import_wxr):
    output = import_wxr(archive, "--dry-run")
    assert "created          10" in output
    assert "Dry run: nothing was saved." in output
    assert not Commentary.objects.exists()
    assert not Series.objects.exists()
    assert not Redirect.objects.exists()


def test_images_are_copied_from_uploads_and_missing_ones_listed(
    archive, import_wxr, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path / "media"
    uploads = archive.parent / "uploads"
    output = import_wxr(archive, "--uploads", str(uploads))
    body = piece(102).body
    # Copied through the upload pipeline: re-encoded, under a generated name.
    stored = re.search(r'<img src="/media/(wordpress/[0-9a-f]{32}\.jpg)"', body).group(1)
    with Image.open(tmp_path / "media" / stored) as copy:
        assert (copy.format, copy.size) == ("JPEG", (8, 6))
    assert "missing files 1" in output
    assert "2021/03/missing-chart.png" in output
    assert "https://think.example.org/wp-content/uploads/2021/03/missing-chart.png" in body


def test_an_upload_path_cannot_climb_out_of_the_uploads_directory(
    archive, import_wxr, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path / "media"
    uploads = tmp_path / "uploads"
    uploads.mkdir()
    (tmp_path / "secret.jpg").write_bytes(b"not for the web")
    sneaky = tmp_path / "sneaky.xml"
    sneaky.write_text(
        archive.read_text(encoding="utf-8").replace(
            "uploads/2021/03/patrol-boat.jpg", "uploads/../secret.jpg"
        ),
        encoding="utf-8",
    )
    output = import_wxr(sneaky, "--uploads", str(uploads))
    assert "../secret.jpg" in output
    assert not (tmp_path / "media").exists()


def test_a_wxr_1_1_export_imports_and_links_a_response_listed_first(import_wxr):
    from tests.wordpress.conftest import FIXTURES

    output = import_wxr(FIXTURES / "wxr11.xml")
    assert "created           2" in output
    response, original = piece(501), piece(500)
    assert response.label == "PacNet #40R"
    assert response.responds_to == original
    assert response.bylines.get().author.name == "Omar Ito"
    assert original.bylines.get().author.name == "Web Team"


def test_a_response_published_in_january_answers_last_years_piece(import_wxr, tmp_path):
    from tests.wordpress.conftest import FIXTURES

    content = (FIXTURES / "wxr11.xml").read_text(encoding="utf-8")
    content = content.replace("2012-06-20", "2013-01-05")
    path = tmp_path / "new-year.xml"
    path.write_text(content, encoding="utf-8")
    import_wxr(path)
    response = piece(501)
    assert response.responds_to == piece(500)


def test_an_old_address_equal_to_the_new_one_gets_no_redirect(archive, import_wxr, tmp_path):
    same = tmp_path / "same.xml"
    same.write_text(
        archive.read_text(encoding="utf-8").replace(
            "https://think.example.org/publications/pacnet-12-harbour-diplomacy-why-small-ports",
            "https://think.example.org/pacnet/2021/harbour-diplomacy-why-small-ports",
        ),
        encoding="utf-8",
    )
    import_wxr(same)
    assert not Redirect.objects.filter(old_path=piece(101).get_absolute_url()).exists()
    assert Redirect.objects.filter(old_path="/?p=101").exists()


def test_progress_shows_counts_and_rate(archive):
    from io import StringIO

    from django.core.management import call_command

    err = StringIO()
    call_command("import_wxr", str(archive), stdout=StringIO(), stderr=err)
    assert "12/12 posts (100%)" in err.getvalue()
    assert "posts/s, created 10, updated 0, unchanged 0, skipped 2" in err.getvalue()


def test_a_malformed_email_in_a_closing_paragraph_is_left_out_with_a_warning(
    archive, import_wxr, tmp_path
):
    typo = tmp_path / "typo.xml"
    typo.write_text(
        archive.read_text(encoding="utf-8").replace(
            "ana.folau@example.net", "ana.folau@example..net"
        ),
        encoding="utf-8",
    )
    output = import_wxr(typo)
    assert "“ana.folau@example..net” is not an email address; left out" in output
    byline = piece(102).bylines.select_related("author").get()
    assert (byline.author.name, byline.email, byline.author.email) == ("Ana Folau", "", "")


def make_wxr(path, *, posts, first_id):
    from io import StringIO

    from django.core.management import call_command

    call_command(
        "make_wxr", str(path), "--posts", str(posts), "--first-id", str(first_id), stdout=StringIO()
    )
    return path


def test_new_posts_by_known_authors_cost_queries_per_batch_not_per_post(import_wxr, tmp_path):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    import_wxr(make_wxr(tmp_path / "warm.xml", posts=400, first_id=1000))
    counts = []
    for posts, first_id in [(200, 100_000), (400, 200_000)]:
        path = make_wxr(tmp_path / f"{posts}.xml", posts=posts, first_id=first_id)
        with CaptureQueriesContext(connection) as queries:
            output = import_wxr(path)
        assert f"created      {posts:>6,}" in output
        counts.append(len(queries))
    # Exact for these seeded files (make_wxr: same seed, same file): 400 posts,
    # two batches of 200, cost about what 200 do; never a query per post. On
    # PostgreSQL: 9 to read the index, then per batch a savepoint and its
    # release, the batch's ids, and one INSERT each for bylines, topic links,
    # pieces, redirects and imported posts; the 200-post file also creates a
    # few authors and topics (an INSERT each: the index has checked their
    # slugs, names and emails), and both end with the response links' SELECT.
    # SQLite splits a bulk insert by its bound-parameter limit, so each column
    # of the commentary table counts there. Working out every piece's
    # neighbours and related pieces once at the end reads 4 times and writes
    # the changed ones in batches (of 1,000 on PostgreSQL, fewer on SQLite);
    # working out every piece's credits reads the ids, then per 1,000 pieces
    # the bylines, affiliations, topic links and stored credits, and writes
    # the changed ones; working out every series' menus reads the series and
    # their stored menus, then 4 reads and a write for each series.
    assert counts == {"postgresql": [50, 55], "sqlite": [59, 73]}[connection.vendor]


def test_an_import_makes_the_cached_pages_stale(import_wxr, tmp_path, client):
    # Posts are written in batches with bulk_create, which sends no signal.
    CommentaryFactory(published=True)
    assert client.get("/")["X-Cache"] == "miss"
    assert client.get("/")["X-Cache"] == "hit"
    import_wxr(make_wxr(tmp_path / "new.xml", posts=5, first_id=500))
    latest = Commentary.objects.published().order_by("-published_at").first()
    response = client.get("/")
    assert response["X-Cache"] == "miss"
    assert latest.title in response.content.decode()

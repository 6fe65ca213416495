"""What real WordPress archives carry: co-authors, dirty bytes, entities,
recycled GUIDs, odd ids, untitled and undated posts, time zones, pages,
SEO descriptions, comments, several files."""

import csv
import gzip
import zipfile

import pytest
from django.contrib.flatpages.models import FlatPage
from django.contrib.redirects.models import Redirect
from django.core.management.base import CommandError
from PIL import Image

from authors.models import Author
from commentaries.models import Commentary, Topic
from wordpress.models import ImportedPost

from .conftest import DATA

pytestmark = pytest.mark.django_db


def piece(wp_post_id):
    return ImportedPost.objects.get(wp_post_id=wp_post_id).commentary


def byline_names(commentary):
    return [b.author.name for b in commentary.bylines.select_related("author")]


# -- co-authors ----------------------------------------------------------------


def test_co_authors_plus_gives_every_author_a_byline_including_a_guest_author(import_wxr):
    import_wxr(DATA / "coauthors-plus.xml")
    # The post's own WordPress user leads; the guest author's post comes later in the file.
    assert byline_names(piece(201)) == ["Ken Mori", "Jane Smith", "Ana Folau"]
    ana = Author.objects.get(name="Ana Folau")
    assert ana.email == "ana.folau@example.net"
    assert ana.short_bio == "Ana Folau is a fisheries analyst based in Nuku‘alofa."
    assert not ana.show_email  # an account's email is matched on, never printed
    assert byline_names(piece(202)) == ["Jane Smith"]
    assert not ImportedPost.objects.filter(wp_post_id=250).exists()


def test_publishpress_authors_terms_become_bylines_with_their_term_meta(import_wxr):
    import_wxr(DATA / "publishpress-authors.xml")
    assert byline_names(piece(301)) == ["Lena Wong", "Marco Reyes"]
    marco = Author.objects.get(name="Marco Reyes")
    assert marco.email == "marco.reyes@example.net"
    assert marco.short_bio == "An economist who advises port authorities."


def test_a_co_author_already_named_in_a_closing_paragraph_is_not_added_twice(import_wxr, tmp_path):
    text = (DATA / "coauthors-plus.xml").read_text(encoding="utf-8")
    text = text.replace(
        "<p>Three of us looked at the reef treaty.</p>",
        "<p>Three of us looked at the reef treaty.</p>"
        "<p>Jane Smith (jane.smith@think.example.org) is a senior fellow.</p>",
    )
    path = tmp_path / "closing.xml"
    path.write_text(text, encoding="utf-8")
    import_wxr(path)
    commentary = piece(201)
    assert byline_names(commentary) == ["Jane Smith", "Ken Mori", "Ana Folau"]
    assert commentary.bylines.first().bio == "is a senior fellow."


# -- control characters ----------------------------------------------------------


def test_control_characters_are_removed_while_reading_and_each_is_reported(import_wxr):
    output = import_wxr(DATA / "control-characters.xml")
    first = piece(401)
    assert first.title == "Tides and trade"
    assert first.body == "<p>Paste from Word: the end.</p>"
    assert first.summary == "Short summary."
    for line in [
        "post 401 “PacNet #40 – Tides and trade” (line 15): removed the control character "
        "0x0B in title",
        "removed the control character 0x00 in content",
        "removed the control character 0x0C in content",
        "removed the control character 0x1F in excerpt",
        "removed the control character 0x08 in meta _yoast_wpseo_metadesc",
        "post 402 “PacNet #41 Clean & clear” (line 33): removed the control character 0x0B "
        "in title",
    ]:
        assert line in output
    assert piece(402).title == "PacNet #41 Clean & clear"


def test_a_control_character_split_across_reads_is_still_caught(import_wxr, tmp_path):
    from wordpress.importer.wxr import FilteredStream

    class Trickle:
        """Hands the parser three bytes at a time."""

        def __init__(self, data):
            self.data = data

        def read(self, size=-1):
            chunk, self.data = self.data[:3], self.data[3:]
            return chunk

        def close(self):
            pass

    stream = FilteredStream(Trickle(b"a&#11;b\xef\xbf\xbec&amp;d"))
    out = b""
    while chunk := stream.read(3):
        out += chunk
    assert out.decode() == "a\U000f000bb\U000f00fec&amp;d"


# -- names and titles ----------------------------------------------------------------


def test_entities_in_term_and_author_names_are_decoded_exactly_once(import_wxr):
    import_wxr(DATA / "entities.xml")
    assert set(Topic.objects.values_list("name", "slug")) == {
        ("Trade & Economics", "trade-economics"),
        ("R&D", "rd"),
    }
    author = Author.objects.get()
    assert (author.name, author.slug) == ("Smith & O'Brien", "smith-obrien")


def test_titles_become_text_and_their_slugs_carry_no_tag_names(import_wxr):
    import_wxr(DATA / "entities.xml")
    with_em = piece(501)
    assert with_em.title == "With friends like these"
    assert with_em.slug == "with-friends-like-these"
    assert piece(502).title == "Why &lt;b&gt; is not bold"


# -- old links -------------------------------------------------------------------------


def test_a_recycled_guid_never_takes_another_posts_short_link(client, import_wxr):
    output = import_wxr(DATA / "recycled-guids.xml")
    assert Redirect.objects.get(old_path="/?p=568").new_path == piece(568).get_absolute_url()
    assert Redirect.objects.get(old_path="/?p=900").new_path == piece(900).get_absolute_url()
    assert (
        "post 900 “PacNet #60 – A copied post” (line 15): its GUID "
        "https://think.example.org/?p=568 names WordPress post 568; that short link is left "
        "to that post"
    ) in output
    assert "/2021/03/post-568/ already redirects to /pacnet/2021/the-real-post-568/" in output
    response = client.get("/?p=568")
    assert response["Location"] == piece(568).get_absolute_url()
    assert f"redirects  {Redirect.objects.count():>8,} created or changed" in output


def test_the_redirect_count_equals_the_rows_written_on_a_second_changed_import(
    import_wxr, tmp_path
):
    import_wxr(DATA / "recycled-guids.xml")
    text = (DATA / "recycled-guids.xml").read_text(encoding="utf-8")
    path = tmp_path / "renamed.xml"
    path.write_text(text.replace("The real post 568", "The real post, renamed"), "utf-8")
    before = {r.old_path: r.new_path for r in Redirect.objects.all()}
    output = import_wxr(path)
    after = {r.old_path: r.new_path for r in Redirect.objects.all()}
    changed = [p for p in after if before.get(p) != after[p]]
    assert sorted(changed) == ["/2021/03/post-568/", "/?p=568"]
    assert "redirects         2 created or changed" in output


@pytest.mark.parametrize(
    "query", ["?fbclid=IwAR0abc", "?utm_source=newsletter&utm_medium=email", "?gclid=x&mc_cid=1"]
)
def test_old_links_with_tracking_parameters_redirect_like_the_bare_path(client, import_wxr, query):
    import_wxr(DATA / "recycled-guids.xml")
    bare = "/2021/03/post-568/"
    expected = piece(568).get_absolute_url()
    assert client.get(bare)["Location"] == expected
    response = client.get(bare + query)
    assert response.status_code == 301
    assert response["Location"] == expected
    assert client.get("/?p=568&" + query[1:])["Location"] == expected


def test_a_former_address_with_tracking_parameters_redirects(client, import_wxr):
    import_wxr(DATA / "recycled-guids.xml")
    commentary = piece(568)
    old_url = commentary.get_absolute_url()
    commentary.slug = "moved-elsewhere"
    commentary.save()
    response = client.get(old_url + "?utm_campaign=spring&fbclid=1")
    assert response.status_code == 301
    assert response["Location"] == commentary.get_absolute_url()


def test_a_query_that_is_not_tracking_still_has_to_match_exactly(client, import_wxr):
    import_wxr(DATA / "recycled-guids.xml")
    assert client.get("/2021/03/post-568/?replytocom=5").status_code == 404


# -- ids ---------------------------------------------------------------------------------


def test_a_duplicate_post_id_is_reported_and_the_first_post_always_wins(import_wxr):
    output = import_wxr(DATA / "post-ids.xml")
    assert (
        "post 300 “PacNet #71 – Second with the same id” (line 32): duplicate wp:post_id 300 "
        "(the post at line 15 is imported)"
    ) in output
    assert piece(300).title == "First of two"
    again = import_wxr(DATA / "post-ids.xml")
    assert "unchanged         1" in again and "updated           0" in again
    assert piece(300).title == "First of two"


def test_negative_huge_and_non_numeric_post_ids_get_clear_messages(import_wxr):
    output = import_wxr(DATA / "post-ids.xml")
    assert "post -5 “PacNet #72 – Negative id” (line 49): wp:post_id -5 is not a positive" in output
    assert "wp:post_id 99999999999999999999999 is larger than 9,223,372,036,854,775,807" in output
    assert "post 12abc “PacNet #74 – Not a number” (line 83): wp:post_id “12abc” is not a" in output
    assert Commentary.objects.count() == 1


# -- untitled, undated, time zones -------------------------------------------------------------


def test_an_untitled_post_becomes_a_draft_named_after_its_id(import_wxr):
    output = import_wxr(DATA / "untitled-and-undated.xml")
    untitled = piece(1169)
    assert untitled.title == "Untitled (WordPress post 1169)"
    assert untitled.status == Commentary.Status.DRAFT
    assert (
        "post 1169 (line 15): no title; imported as the draft “Untitled (WordPress post 1169)”"
        in output
    )


def test_a_published_post_without_a_usable_date_becomes_a_draft_with_a_warning(import_wxr):
    output = import_wxr(DATA / "untitled-and-undated.xml")
    for post_id, shown in [(1170, "0000-00-00 00:00:00"), (1171, "2019-13-45 99:00:00")]:
        commentary = piece(post_id)
        assert (commentary.status, commentary.published_at) == (Commentary.Status.DRAFT, None)
        assert (
            f"published in WordPress without a usable date (“{shown}”); imported as a draft"
            in output
        )
    only_local = piece(1172)
    assert only_local.status == Commentary.Status.PUBLISHED
    assert only_local.published_at.isoformat() == "2019-06-01T09:00:00+00:00"


def test_the_number_year_comes_from_the_publishers_time_zone(import_wxr):
    output = import_wxr(DATA / "time-zones.xml", "--time-zone", "Pacific/Honolulu")
    commentary = piece(1275)
    assert (commentary.label, commentary.year) == ("PacNet #75", 2020)
    assert commentary.published_at.isoformat() == "2021-01-01T02:00:00+00:00"
    assert (
        "numbered in 2020, its year in the Pacific/Honolulu time zone; in UTC it is 2021" in output
    )


def test_without_a_time_zone_the_year_is_the_sites_and_an_unknown_zone_is_refused(import_wxr):
    with pytest.raises(CommandError, match="Unknown time zone “Mars/Olympus”"):
        import_wxr(DATA / "time-zones.xml", "--time-zone", "Mars/Olympus")
    assert not Commentary.objects.exists()
    import_wxr(DATA / "time-zones.xml")  # TIME_ZONE is UTC in the tests
    assert piece(1275).year == 2021


# -- pages, SEO, comments -----------------------------------------------------------------------


def test_pages_become_static_pages_with_redirects_from_their_old_addresses(client, import_wxr):
    output = import_wxr(DATA / "pages-seo-comments.xml")
    about = FlatPage.objects.get(url="/about-us/")
    assert (about.title, about.content) == ("About us", "<p>We study the Pacific.</p>")
    assert FlatPage.objects.get(url="/about-us/team/").title == "Our team"
    assert client.get("/about-us/").status_code == 200
    response = client.get("/?page_id=3")
    assert (response.status_code, response["Location"]) == (301, "/about-us/team/")
    assert "post 4 “Draft page” (line 47): page with WordPress status “draft”" in output
    assert FlatPage.objects.count() == 2


def test_seo_descriptions_fill_an_empty_summary_but_never_replace_an_excerpt(import_wxr):
    import_wxr(DATA / "pages-seo-comments.xml")
    assert piece(601).summary == "Ports matter more than you think."
    assert piece(602).summary == "Rank Math wrote this summary."
    assert piece(603).summary == "The excerpt."


def test_comments_are_counted_in_the_report(import_wxr):
    output = import_wxr(DATA / "pages-seo-comments.xml")
    assert "comments          5 not imported" in output


# -- the files -----------------------------------------------------------------------------------


def test_several_files_a_zip_and_a_gzip_import_as_one_archive(import_wxr, tmp_path):
    output = import_wxr(DATA / "split-1.xml", DATA / "split-2.xml")
    assert "created           2" in output
    assert {piece(1001).title, piece(1002).title} == {"Part one", "Part two"}

    bundle = tmp_path / "wordpress-com.zip"
    with zipfile.ZipFile(bundle, "w") as archive:
        archive.write(DATA / "split-2.xml", "site.wordpress.2021-03-01.002.xml")
        archive.write(DATA / "split-1.xml", "site.wordpress.2021-03-01.001.xml")
    assert "unchanged         2" in import_wxr(bundle)

    packed = tmp_path / "export.xml.gz"
    packed.write_bytes(gzip.compress((DATA / "time-zones.xml").read_bytes()))
    assert "created           1" in import_wxr(packed)


def test_a_wxr_1_0_export_imports_and_an_unknown_version_is_named(import_wxr):
    assert "created           1" in import_wxr(DATA / "wxr-1.0.xml")
    with pytest.raises(CommandError, match=r"WXR version 1\.3, which this importer does not"):
        import_wxr(DATA / "wxr-1.3.xml")


def test_an_html_page_saved_instead_of_the_export_says_so(import_wxr):
    with pytest.raises(CommandError, match="is an HTML page, not a WordPress export"):
        import_wxr(DATA / "saved-login-page.xml")
    assert not Commentary.objects.exists()


def test_a_zip_without_an_export_in_it_is_refused(import_wxr, tmp_path):
    bundle = tmp_path / "media.zip"
    with zipfile.ZipFile(bundle, "w") as archive:
        archive.writestr("readme.txt", "no export here")
    with pytest.raises(CommandError, match=r"zip file without any \.xml export"):
        import_wxr(bundle)


def test_a_file_changed_mid_import_stops_with_the_truth(import_wxr, tmp_path, monkeypatch):
    from wordpress.importer.run import WxrImporter

    path = tmp_path / "export.xml"
    path.write_bytes((DATA / "untitled-and-undated.xml").read_bytes())
    monkeypatch.setattr(WxrImporter, "batch_size", 2)
    real_flush = WxrImporter._flush
    calls = []

    def flush_then_edit(self):
        real_flush(self)
        calls.append(1)
        if len(calls) == 1:  # the export is replaced after the first batch is written
            path.write_bytes(path.read_bytes() + b"<!-- edited -->\n")

    monkeypatch.setattr(WxrImporter, "_flush", flush_then_edit)
    with pytest.raises(CommandError) as error:
        import_wxr(path)
    message = str(error.value)
    assert "The export changed on disk after it was checked" in message
    assert (
        "2 posts had been written before it stopped (created 2, updated 0) and are kept" in message
    )
    assert Commentary.objects.count() == 2


# -- the CSV report ---------------------------------------------------------------


def test_the_csv_report_lists_every_post_with_its_outcome(import_wxr, tmp_path):
    report = tmp_path / "report.csv"
    import_wxr(DATA / "post-ids.xml", "--report", str(report))
    rows = list(csv.DictReader(report.open(encoding="utf-8")))
    assert [(r["wp_post_id"], r["outcome"]) for r in rows] == [
        ("300", "created"),
        ("300", "skipped"),
        ("", "skipped"),
        ("", "skipped"),
        ("", "skipped"),
    ]
    assert rows[0]["new_url"] == piece(300).get_absolute_url()
    assert rows[2]["reason"] == "wp:post_id -5 is not a positive number"


# -- featured images and PDFs ----------------------------------------------------------


def test_the_featured_image_becomes_the_pieces_image_with_its_alt_text(
    import_wxr, settings, tmp_path, django_capture_on_commit_callbacks
):
    settings.MEDIA_ROOT = tmp_path / "media"
    with django_capture_on_commit_callbacks(execute=True):
        output = import_wxr(DATA / "featured-and-pdfs.xml", "--uploads", DATA / "uploads")
    commentary = piece(701)
    assert commentary.image.name.startswith("images/2021/")
    assert commentary.image_alt == "The harbour at dawn & its cranes"
    assert (commentary.image_width, commentary.image_height) == (64, 40)
    with Image.open(commentary.image.path) as stored:
        assert (stored.format, stored.size) == ("PNG", (64, 40))
    # The sizes are made by the task worker (run at once in the tests).
    assert commentary.image_renditions["source"] == commentary.image.name
    assert commentary.image_renditions["sizes"]
    assert "files             3 copied into MEDIA" in output


def test_a_featured_image_without_alt_text_is_described_by_the_title_with_a_warning(
    import_wxr, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path / "media"
    text = (DATA / "featured-and-pdfs.xml").read_text(encoding="utf-8")
    path = tmp_path / "no-alt.xml"
    path.write_text(text.replace("The harbour at dawn &amp; its cranes", ""), encoding="utf-8")
    output = import_wxr(path, "--uploads", DATA / "uploads")
    assert piece(701).image_alt == "With a picture and a PDF"
    assert "its featured image has no alt text in WordPress" in output


def test_a_missing_featured_image_is_listed(import_wxr, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    output = import_wxr(DATA / "featured-and-pdfs.xml", "--uploads", tmp_path)
    assert not piece(701).image
    assert "    - 2021/03/harbour.png\n" in output


def test_an_attached_pdf_or_one_named_in_meta_becomes_the_pieces_pdf(
    import_wxr, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path / "media"
    uploads = DATA / "uploads"
    output = import_wxr(DATA / "featured-and-pdfs.xml", "--uploads", uploads)
    child, meta, fake = piece(701), piece(702), piece(703)
    assert child.pdf.read() == (uploads / "2021/03/pacnet-95.pdf").read_bytes()
    assert meta.pdf.name.endswith(".pdf")
    assert meta.pdf.read() == (uploads / "2021/03/pacnet-96.pdf").read_bytes()
    assert not fake.pdf
    assert "2021/03/fake.pdf (refused: This file is not a PDF.)" in output


def test_without_uploads_the_pdfs_are_listed_as_not_copied(import_wxr):
    output = import_wxr(DATA / "featured-and-pdfs.xml")
    assert not piece(701).pdf
    assert "2021/03/pacnet-95.pdf (no --uploads directory given)" in output


# -- the whole journey -------------------------------------------------------------


MIXED_REPORT = """\
  created           6
  updated           0
  unchanged         0
  skipped           3
         2  post type “attachment” is not imported (files come in with the posts that use them)
         1  post type “guest-author” is not imported (a Co-Authors Plus guest author, read for the bylines)
  redirects        11 created or changed
  files             2 copied into MEDIA
  comments          2 not imported
  warnings          9
    - created the series “PacNet” (/pacnet/)
    - post 11 “PacNet #1 – Co-written” (line 33): does not pass the checks before publishing: No bio for Jane Smith.
    - post 12 “PacNet #2 – Tides and trade” (line 56): removed the control character 0x0B in title (not allowed in XML)
    - post 12 “PacNet #2 – Tides and trade” (line 56): removed the control character 0x00 in content (not allowed in XML)
    - post 12 “PacNet #2 – Tides and trade” (line 56): does not pass the checks before publishing: No bio for Smith & O'Brien.
    - post 13 “PacNet #3 – Copied from post 11” (line 74): its GUID https://think.example.org/?p=11 names WordPress post 11; that short link is left to that post
    - post 13 “PacNet #3 – Copied from post 11” (line 74): does not pass the checks before publishing: No bio for Publications Desk.
    - post 14 (line 91): no title; imported as the draft “Untitled (WordPress post 14)”
    - post 15 “PacNet #4 – Undated” (line 108): published in WordPress without a usable date (“0000-00-00 00:00:00”); imported as a draft
Done.
"""  # noqa: E501


def database_state():
    return {
        "pieces": sorted(
            Commentary.objects.values_list(
                "pk", "title", "status", "slug", "updated_at", "pdf", "image", "image_renditions"
            )
        ),
        "bylines": sorted(
            Commentary.objects.values_list("pk", "bylines__author__name", "bylines__position")
        ),
        "authors": sorted(Author.objects.values_list("pk", "name", "email", "updated_at")),
        "topics": sorted(Topic.objects.values_list("pk", "name")),
        "redirects": sorted(Redirect.objects.values_list("old_path", "new_path")),
        "pages": sorted(FlatPage.objects.values_list("pk", "url", "title", "content")),
        "imported": sorted(ImportedPost.objects.values_list("pk", "source_hash", "updated_at")),
    }


def test_a_mixed_archive_imports_whole_and_a_second_import_changes_nothing(
    client, import_wxr, settings, tmp_path, django_capture_on_commit_callbacks
):
    settings.MEDIA_ROOT = tmp_path / "media"
    uploads = DATA / "uploads"
    report = tmp_path / "report.csv"
    with django_capture_on_commit_callbacks(execute=True):
        output = import_wxr(DATA / "mixed.xml", "--uploads", uploads, "--report", report)

    # The report, line by line.
    lines = output.splitlines()
    assert lines[0].startswith(f"Imported {DATA / 'mixed.xml'}: 9 posts in ")
    assert "\n".join(lines[1:-1]) + "\n" == MIXED_REPORT
    assert lines[-1] == f"Report written to {report} (9 posts)."
    rows = list(csv.DictReader(report.open(encoding="utf-8")))
    assert [(r["wp_post_id"], r["post_type"], r["outcome"]) for r in rows] == [
        ("10", "page", "created"),
        ("11", "post", "created"),
        ("12", "post", "created"),
        ("13", "post", "created"),
        ("14", "post", "created"),
        ("15", "post", "created"),
        ("16", "guest-author", "skipped"),
        ("31", "attachment", "skipped"),
        ("32", "attachment", "skipped"),
    ]
    assert rows[1]["comments_not_imported"] == "2"
    assert sum(int(r["redirects"]) for r in rows) == Redirect.objects.count() == 11

    # What each post became.
    co_written = piece(11)
    assert byline_names(co_written) == ["Jane Smith", "Ana Folau"]
    assert list(co_written.topics.names()) == ["Trade & Economics"]
    assert co_written.pdf.read() == (uploads / "2021/03/pacnet-95.pdf").read_bytes()
    assert co_written.image_alt == "The harbour at dawn"
    with Image.open(co_written.image.path) as stored:
        assert stored.size == (64, 40)
    assert co_written.image_renditions["source"] == co_written.image.name
    tides = piece(12)
    assert (tides.title, tides.summary) == ("Tides and trade", "Why tides matter.")
    assert byline_names(tides) == ["Smith & O'Brien"]
    assert Author.objects.get(name="Smith & O'Brien").slug == "smith-obrien"
    assert piece(14).title == "Untitled (WordPress post 14)"
    assert (piece(15).status, piece(15).published_at) == (Commentary.Status.DRAFT, None)
    assert FlatPage.objects.get().url == "/about-us/"

    # The redirects: every old address, and a recycled GUID steals nothing.
    expected = {
        "/?page_id=10": "/about-us/",
        "/2021/03/post-11/": co_written.get_absolute_url(),
        "/?p=11": co_written.get_absolute_url(),
        "/2021/03/post-12/": tides.get_absolute_url(),
        "/?p=12": tides.get_absolute_url(),
        "/2021/03/post-13/": piece(13).get_absolute_url(),
        "/?p=13": piece(13).get_absolute_url(),
    }
    for old, new in expected.items():
        response = client.get(old)
        assert (response.status_code, response["Location"]) == (301, new), old
    assert (
        client.get("/2021/03/post-11/?utm_source=x&fbclid=y")["Location"]
        == expected["/2021/03/post-11/"]
    )

    # A second import of the same archive changes nothing.
    before = database_state()
    files = sorted(p.relative_to(tmp_path) for p in (tmp_path / "media").rglob("*"))
    with django_capture_on_commit_callbacks(execute=True):
        again = import_wxr(DATA / "mixed.xml", "--uploads", uploads)
    assert "created           0\n  updated           0\n  unchanged         6" in again
    assert "redirects         0 created or changed" in again
    assert database_state() == before
    assert sorted(p.relative_to(tmp_path) for p in (tmp_path / "media").rglob("*")) == files


def test_ids_written_in_other_digits_are_not_read_as_numbers(client, import_wxr, tmp_path):
    text = (DATA / "recycled-guids.xml").read_text(encoding="utf-8")
    text = text.replace("?p=568</guid>", "?p=²</guid>", 1).replace(
        "<wp:post_id>568</wp:post_id>", "<wp:post_id>٥٦٨</wp:post_id>"
    )
    path = tmp_path / "digits.xml"
    path.write_text(text, encoding="utf-8")
    output = import_wxr(path)
    assert "wp:post_id “٥٦٨” is not a whole number" in output
    assert client.get("/?p=²").status_code == 200
    assert client.get("/?page_id=٣").status_code == 200


def test_an_export_whose_first_post_quotes_html_is_not_taken_for_a_web_page(import_wxr, tmp_path):
    text = (DATA / "time-zones.xml").read_text(encoding="utf-8")
    path = tmp_path / "quotes-html.xml"
    path.write_text(text.replace("<p>Text.</p>", "<!DOCTYPE html><html><body>x</body></html>"))
    assert "created           1" in import_wxr(path)


def test_a_post_that_became_a_page_in_wordpress_is_reported_not_mixed_up(import_wxr, tmp_path):
    import_wxr(DATA / "pages-seo-comments.xml")
    text = (DATA / "pages-seo-comments.xml").read_text(encoding="utf-8")
    path = tmp_path / "retyped.xml"
    path.write_text(
        text.replace(
            "<wp:post_type><![CDATA[page]]></wp:post_type>",
            "<wp:post_type><![CDATA[post]]></wp:post_type>",
            1,
        ),
        encoding="utf-8",
    )
    output = import_wxr(path)
    assert (
        "post 2 “About us” (line 15): imported before as a static page; its post type is now “post”"
        in output
    )
    assert ImportedPost.objects.get(wp_post_id=2).page.url == "/about-us/"


def test_a_figure_used_by_several_posts_is_copied_once(import_wxr, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    figure = (
        '<p><img src="https://think.example.org/wp-content/uploads/2021/03/harbour.png" '
        'alt="Harbour"></p>'
    )
    text = (DATA / "split-1.xml").read_text(encoding="utf-8").replace("<p>Text.</p>", figure)
    one = tmp_path / "one.xml"
    one.write_text(text, encoding="utf-8")
    two = tmp_path / "two.xml"
    two.write_text(
        (DATA / "split-2.xml").read_text(encoding="utf-8").replace("<p>Text.</p>", figure),
        encoding="utf-8",
    )
    output = import_wxr(one, two, "--uploads", DATA / "uploads")
    assert "files             1 copied into MEDIA" in output
    assert piece(1001).body == piece(1002).body
    assert len(list((tmp_path / "media").rglob("*.png"))) == 1

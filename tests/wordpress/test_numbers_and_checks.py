"""Numbers, labels and the checks before publishing, as the importer takes
them from commentaries (numbering.py, readiness.py); what a re-import may not
change on a live piece; and the addresses series and pages may take."""

import csv

import pytest
from django.contrib.flatpages.models import FlatPage
from django.contrib.redirects.models import Redirect
from django.core.management.base import CommandError
from django.db import DatabaseError, transaction

from commentaries.models import Commentary
from commentaries.services import commentary_withdraw
from wordpress.models import ImportedPost

from .conftest import DATA

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite]

ARCHIVE = DATA / "numbers-and-checks.xml"
CHECKS = "does not pass the checks before publishing"


def piece(wp_post_id):
    return (
        ImportedPost.objects.select_related("commentary__series")
        .get(wp_post_id=wp_post_id)
        .commentary
    )


def edited(tmp_path, *replacements, source=ARCHIVE):
    text = source.read_text(encoding="utf-8")
    for old, new in replacements:
        assert old in text
        text = text.replace(old, new)
    path = tmp_path / "edited.xml"
    path.write_text(text, encoding="utf-8")
    return path


# -- numbers and labels ----------------------------------------------------------


def test_a_reply_whose_number_is_taken_gets_the_next_response_suffix(import_wxr):
    output = import_wxr(ARCHIVE)
    original, reply, second = piece(801), piece(802), piece(803)
    assert (original.label, reply.label, second.label) == ("PacNet #5", "PacNet #5R", "PacNet #5R2")
    assert reply.responds_to == second.responds_to == original
    assert "PacNet #5R (2021) exists; numbered PacNet #5R2" in output


def test_a_taken_suffix_gives_way_to_the_first_free_one_as_publishing_deals_them(
    import_wxr, tmp_path
):
    path = edited(
        tmp_path,
        ("PacNet #5R – A reply on ports", "PacNet #5R2 – A reply on ports"),
        ("PacNet #5R – Another reply", "PacNet #5R2 – Another reply"),
    )
    output = import_wxr(path)
    assert (piece(802).label, piece(803).label) == ("PacNet #5R2", "PacNet #5R")
    assert "PacNet #5R2 (2021) exists; numbered PacNet #5R" in output


# -- the checks before publishing ---------------------------------------------------


def test_published_pieces_that_fail_the_checks_are_reported_and_stay_published(
    import_wxr, tmp_path
):
    report = tmp_path / "report.csv"
    output = import_wxr(ARCHIVE, "--report", report)
    for line in [
        "post 802 “PacNet #5R – A reply on ports” (line 36): "
        f"{CHECKS}: No bio for Publications Desk.",
        f"post 803 “PacNet #5R – Another reply” (line 53): {CHECKS}: No bio for Publications Desk.",
        f"post 803 “PacNet #5R – Another reply” (line 53): {CHECKS}: 1 image(s) without alt text.",
    ]:
        assert line in output
    assert output.count(CHECKS) == 3  # the complete piece and the draft pass
    assert "  warnings          5\n" in output  # and the series note, the suffix R2
    for post_id in (802, 803):
        assert piece(post_id).is_live
    rows = {r["wp_post_id"]: r for r in csv.DictReader(report.open(encoding="utf-8"))}
    assert rows["803"]["warnings"] == (
        "PacNet #5R (2021) exists; numbered PacNet #5R2 | "
        f"{CHECKS}: No bio for Publications Desk. | {CHECKS}: 1 image(s) without alt text."
    )
    assert rows["801"]["warnings"] == rows["804"]["warnings"] == ""


def test_the_checks_count_the_bios_the_import_writes(import_wxr):
    import_wxr(ARCHIVE)
    complete = piece(801)
    assert [(b.author.name, b.bio) for b in complete.bylines.select_related("author")] == [
        ("Jane Smith", "is a senior fellow at the Harbour Institute.")
    ]


def test_importing_the_same_archive_twice_changes_nothing_and_warns_once(import_wxr):
    import_wxr(ARCHIVE)
    before = sorted(Commentary.objects.values_list("pk", "number", "suffix", "updated_at"))
    again = import_wxr(ARCHIVE)
    assert "created           0\n  updated           0\n  unchanged         4" in again
    assert CHECKS not in again
    assert sorted(Commentary.objects.values_list("pk", "number", "suffix", "updated_at")) == before


# -- a re-import never renumbers a live piece -----------------------------------------


def test_the_database_refuses_to_renumber_a_live_piece(import_wxr):
    # What the importer has to avoid: the trigger is there, on this database.
    import_wxr(ARCHIVE)
    with pytest.raises(DatabaseError), transaction.atomic():
        Commentary.objects.filter(pk=piece(801).pk).update(number=7)


def test_a_reimport_that_would_renumber_a_live_piece_keeps_its_number_with_a_warning(
    import_wxr, tmp_path
):
    import_wxr(ARCHIVE)
    path = edited(
        tmp_path,
        ("PacNet #5 – Ports and power", "PacNet #7 – Ports and power, revised"),
        ("<wp:post_id>804</wp:post_id>", "<wp:post_id>805</wp:post_id>"),  # a new post
    )
    output = import_wxr(path)
    assert "created           1\n  updated           1\n  unchanged         2" in output
    assert "skipped           0" in output
    assert (
        "post 801 “PacNet #7 – Ports and power, revised” (line 18): PacNet #5 (2021) is live "
        "here, so it keeps its number, year and series; WordPress now gives PacNet #7 (2021)"
    ) in output
    kept = piece(801)
    assert (kept.label, kept.year, kept.title) == ("PacNet #5", 2021, "Ports and power, revised")
    assert kept.is_live
    assert piece(805).title == "Still a draft"
    # Its replies still answer it, and the next run finds nothing to do.
    assert piece(802).responds_to == kept
    again = import_wxr(path)
    assert "updated           0\n  unchanged         4" in again
    assert "is live here" not in again


def test_a_reimport_in_another_time_zone_keeps_a_live_pieces_year(import_wxr):
    import_wxr(DATA / "time-zones.xml")  # TIME_ZONE is UTC in the tests: 2021
    output = import_wxr(DATA / "time-zones.xml", "--time-zone", "Pacific/Honolulu")
    assert "updated           1" in output
    assert (
        "PacNet #75 (2021) is live here, so it keeps its number, year and series; "
        "WordPress now gives PacNet #75 (2020)"
    ) in output
    assert (piece(1275).label, piece(1275).year) == ("PacNet #75", 2021)


def test_a_live_piece_taken_back_to_draft_in_wordpress_stays_published_with_a_warning(
    import_wxr, tmp_path
):
    import_wxr(ARCHIVE)
    published_at = piece(801).published_at
    path = edited(
        tmp_path,
        (
            "<wp:post_id>801</wp:post_id>\n\t\t<wp:post_date><![CDATA[2021-03-01 12:00:00]]>"
            "</wp:post_date>\n\t\t<wp:post_date_gmt><![CDATA[2021-03-01 02:00:00]]>"
            "</wp:post_date_gmt>\n\t\t<wp:post_name><![CDATA[ports-and-power]]></wp:post_name>\n"
            "\t\t<wp:status><![CDATA[publish]]>",
            "<wp:post_id>801</wp:post_id>\n\t\t<wp:post_date><![CDATA[2021-03-01 12:00:00]]>"
            "</wp:post_date>\n\t\t<wp:post_date_gmt><![CDATA[2021-03-01 02:00:00]]>"
            "</wp:post_date_gmt>\n\t\t<wp:post_name><![CDATA[ports-and-power]]></wp:post_name>\n"
            "\t\t<wp:status><![CDATA[draft]]>",
        ),
    )
    output = import_wxr(path)
    assert "updated           1" in output
    assert (
        "PacNet #5 (2021) is live here and stays published (it is not published in WordPress "
        "now: withdraw it in the admin if it should go)"
    ) in output
    kept = piece(801)
    assert (kept.status, kept.published_at, kept.number) == (
        Commentary.Status.PUBLISHED,
        published_at,
        5,
    )


def test_a_piece_withdrawn_here_stays_withdrawn_when_its_post_changes(import_wxr, tmp_path):
    import_wxr(ARCHIVE)
    commentary_withdraw(commentary=piece(801), note="Superseded by a later piece.")
    output = import_wxr(
        edited(tmp_path, ("Ports decide more than trade.", "Ports decide more than trade does."))
    )
    assert "PacNet #5 (2021) was withdrawn here and stays withdrawn" in output
    withdrawn = piece(801)
    assert withdrawn.status == Commentary.Status.WITHDRAWN
    assert withdrawn.body.startswith("<p>Ports decide more than trade does.</p>")


# -- addresses -------------------------------------------------------------------------


def test_a_series_rule_cannot_take_an_address_the_site_uses(import_wxr, tmp_path):
    rules = tmp_path / "rules.toml"
    rules.write_text('[[series]]\nslug = "search"\nname = "Search notes"\n', encoding="utf-8")
    with pytest.raises(CommandError, match="the slug “search” is an address the site uses"):
        import_wxr(ARCHIVE, "--series-rules", rules)
    assert not Commentary.objects.exists()


def test_a_page_the_site_would_hide_moves_under_pages_and_the_others_keep_their_address(
    client, import_wxr
):
    output = import_wxr(DATA / "page-addresses.xml")
    assert sorted(FlatPage.objects.values_list("url", flat=True)) == [
        "/about/",
        "/history/",
        "/pages/search/",
        "/pages/topics/asia/",
    ]
    assert "/search/ is an address the site uses itself; the page moves to /pages/search/" in output
    assert "/about/ is an address" not in output
    assert Redirect.objects.get(old_path="/?page_id=21").new_path == "/pages/search/"
    assert Redirect.objects.get(old_path="/topics/asia/").new_path == "/pages/topics/asia/"
    for url, text in [
        ("/about/", "Who we are."),
        ("/history/", "Since 1975."),
        ("/pages/search/", "Use the box."),
    ]:
        response = client.get(url)
        assert response.status_code == 200, url
        assert text in response.content.decode()

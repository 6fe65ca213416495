"""export_archive / import_archive: a round trip loses nothing."""

import io
import json
from dataclasses import dataclass
from datetime import date

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from authors.models import Affiliation, Author, Organization
from commentaries import batching
from commentaries.models import Byline, Commentary, Series, TaggedCommentary, Topic
from pacforum.demo import load_demo
from subscriptions.models import SubscriptionRequest
from tests.factories import SeriesFactory, SubscriptionRequestFactory
from tests.isolation import built_once

pytestmark = pytest.mark.django_db

CONTENT_MODELS = [
    SubscriptionRequest,
    TaggedCommentary,
    Byline,
    Commentary,
    Affiliation,
    Author,
    Organization,
    Topic,
    Series,
]


# Made again on import: the image sizes from the image (under new file
# names), the neighbours and related pieces from the pieces, and the credits
# from the bylines and topics (under new ids).
DERIVED_FIELDS = {"image_renditions", "surroundings", "credits"}


def _natural(obj):
    """How a related row is named across databases (ids differ after import)."""
    if obj is None:
        return None
    if isinstance(obj, Commentary):
        return (obj.series.slug, obj.year, obj.number, obj.suffix, obj.slug, obj.title)
    if isinstance(obj, Organization):
        return obj.name
    return obj.slug


def snapshot():
    """Every field of every content row, with relations by natural key."""
    rows = {}
    for model in CONTENT_MODELS:
        entries = []
        for obj in model.objects.all():
            entry = {}
            for field in model._meta.concrete_fields:
                if field.primary_key or field.name in DERIVED_FIELDS:
                    continue
                if field.is_relation:
                    entry[field.name] = _natural(getattr(obj, field.name))
                else:
                    value = field.value_from_object(obj)
                    entry[field.name] = getattr(value, "name", value)
            if model is SubscriptionRequest:
                entry["series"] = sorted(s.slug for s in obj.series.all())
            entries.append(repr(sorted(entry.items())))
        rows[model.__name__] = sorted(entries)
    return rows


def empty_the_database():
    # As an editor's bulk delete in the admin does: the credits and menus of
    # the pieces a byline or topic link is deleted from are worked out once.
    with batching.batched():
        for model in CONTENT_MODELS:
            model.objects.all().delete()


def build_demo_with_subscriptions():
    load_demo()
    pacnet = Series.objects.get(slug="pacnet")
    SubscriptionRequestFactory(name="Reader One").series.set([pacnet])
    SubscriptionRequestFactory(name="Reader Two", organization="")
    Byline.objects.filter(pk=Byline.objects.first().pk).update(bio="", email="")
    author = Author.objects.first()
    Affiliation.objects.filter(author=author).update(
        is_current=False, start_date=date(2015, 1, 1), end_date=date(2019, 6, 30)
    )


@dataclass
class RoundTrip:
    before: dict  # every content row before the export (`snapshot`)
    output: str  # what import_archive printed


def export_then_import(path):
    """The demo (with subscription requests) exported, the database emptied,
    the archive imported: the round trip the class's tests check."""
    build_demo_with_subscriptions()
    before = snapshot()
    assert Commentary.objects.filter(responds_to__isnull=False).exists()
    assert all(before[name] for name in before), "the demo should fill every table"
    call_command("export_archive", str(path), "--with-subscriptions", stdout=io.StringIO())
    empty_the_database()
    assert all(not rows for rows in snapshot().values())
    out = io.StringIO()
    call_command("import_archive", str(path), stdout=out)
    return RoundTrip(before=before, output=out.getvalue())


@pytest.fixture(scope="class")
def round_trip(django_db_setup, django_db_blocker, tmp_path_factory):
    """Made once for the class's tests (the demo load and the import are
    the slow part), rolled back after them; each test's own writes are
    rolled back after it."""
    path = tmp_path_factory.mktemp("exchange") / "archive.jsonl"
    with built_once(django_db_blocker, lambda: export_then_import(path)) as made:
        yield made


# One xdist group: `make test` runs them on one worker, which makes the round trip once.
@pytest.mark.xdist_group("exchange-demo")
class TestOnTheDemoArchive:
    def test_export_then_import_into_an_empty_database_restores_every_field(self, round_trip):
        after = snapshot()
        assert {name: len(rows) for name, rows in after.items()} == {
            name: len(rows) for name, rows in round_trip.before.items()
        }
        assert after == round_trip.before
        assert "Imported" in round_trip.output

    def test_the_archive_loader_leaves_every_piece_with_its_credits(self, round_trip):
        from tests.commentaries.test_credits import assert_stored_credits_are_current

        assert Commentary.objects.exclude(credits__bylines=[]).count() > 100
        assert_stored_credits_are_current()

    def test_the_archive_loader_leaves_every_piece_with_its_surroundings(self, round_trip):
        from tests.commentaries.test_surroundings import assert_stored_surroundings_are_current

        assert Commentary.objects.exclude(surroundings={}).count() > 100
        assert_stored_surroundings_are_current()

    def test_subscription_requests_stay_out_of_the_archive_unless_asked_for(
        self, round_trip, tmp_path
    ):
        path = tmp_path / "archive.jsonl"
        call_command("export_archive", str(path), stdout=io.StringIO())
        types = {json.loads(line)["type"] for line in path.read_text().splitlines()}
        assert "subscription_request" not in types
        assert {"series", "topic", "organization", "author", "commentary"} <= types
        assert SubscriptionRequest.objects.exists()


def test_import_refuses_a_database_that_already_has_content(tmp_path):
    SeriesFactory()
    path = tmp_path / "archive.jsonl"
    call_command("export_archive", str(path), stdout=io.StringIO())
    with pytest.raises(CommandError, match="already has content"):
        call_command("import_archive", str(path))


def test_a_broken_archive_is_reported_by_line_and_nothing_is_imported(tmp_path):
    path = tmp_path / "archive.jsonl"
    path.write_text(
        '{"type": "archive", "format": "pacforum-archive", "version": 1}\n'
        + json.dumps(
            {
                "type": "series",
                "name": "Good",
                "slug": "good",
                "short_label": "Good",
                "description": "",
                "disclaimer": "",
                "numbering": "yearly",
                "subscribable": True,
                "position": 1,
                "created_at": "2024-01-01T00:00:00+00:00",
                "updated_at": "2024-01-01T00:00:00+00:00",
            }
        )
        + "\n"
        + '{"type": "commentary", "series": "missing"}\n'
    )
    with pytest.raises(CommandError, match="line 3: refers to unknown series “missing”"):
        call_command("import_archive", str(path))
    assert not Series.objects.exists()


def test_a_file_that_is_not_an_archive_is_refused_with_a_clear_message(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("hello\n")
    with pytest.raises(CommandError, match="line 1: not valid JSON"):
        call_command("import_archive", str(path))
    with pytest.raises(CommandError, match="Cannot read"):
        call_command("import_archive", str(tmp_path / "missing.jsonl"))


def test_an_invalid_value_in_the_archive_is_reported_with_its_field(tmp_path):
    path = tmp_path / "archive.jsonl"
    record = {
        "type": "series",
        "name": "Admin",
        "slug": "admin",
        "short_label": "A",
        "description": "",
        "disclaimer": "",
        "numbering": "yearly",
        "subscribable": True,
        "position": 1,
        "created_at": "2024-01-01T00:00:00+00:00",
        "updated_at": "2024-01-01T00:00:00+00:00",
    }
    path.write_text(
        '{"type": "archive", "format": "pacforum-archive", "version": 1}\n'
        + json.dumps(record)
        + "\n"
    )
    with pytest.raises(CommandError, match="line 2: slug:"):
        call_command("import_archive", str(path))


def test_export_to_a_folder_that_does_not_exist_is_a_clear_error(tmp_path):
    with pytest.raises(CommandError, match="Cannot write"):
        call_command("export_archive", str(tmp_path / "missing" / "archive.jsonl"))


def test_images_and_the_feed_setting_travel_and_older_archives_still_import(tmp_path, settings):
    import io as _io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    from tests.factories import CommentaryFactory

    settings.MEDIA_ROOT = tmp_path / "media"
    out = _io.BytesIO()
    Image.new("RGB", (900, 450), (10, 80, 140)).save(out, "PNG")
    series = SeriesFactory(
        feed_full_text=False,
        image=SimpleUploadedFile("series.png", out.getvalue()),
        image_alt="The series",
    )
    CommentaryFactory(
        published=True,
        series=series,
        image=SimpleUploadedFile("piece.png", out.getvalue()),
        image_alt="The piece",
    )
    before = snapshot()
    path = tmp_path / "archive.jsonl"
    call_command("export_archive", str(path), stdout=io.StringIO())
    empty_the_database()
    call_command("import_archive", str(path), stdout=io.StringIO())
    assert snapshot() == before
    assert Commentary.objects.get().own_image.webp, "sizes made again on import"

    lines = [json.loads(line) for line in path.read_text().splitlines()]
    for record in lines:
        for field in ("feed_full_text", "image", "image_alt"):
            record.pop(field, None)
    path.write_text("\n".join(json.dumps(record) for record in lines) + "\n")
    empty_the_database()
    call_command("import_archive", str(path), stdout=io.StringIO())
    assert Series.objects.get().feed_full_text is None
    assert Commentary.objects.get().image.name == ""

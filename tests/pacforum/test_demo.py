import pytest

from authors.models import Author
from commentaries.models import Commentary, Series
from pacforum.demo import load_demo
from tests.commentaries.test_surroundings import assert_stored_surroundings_are_current

pytestmark = pytest.mark.django_db


def test_demo_content_has_the_promised_shape_and_loads_only_once():
    first = load_demo()
    second = load_demo()
    assert first == {"series": 3, "authors": 40, "commentaries": 150}
    assert second == {"series": 0, "authors": 0, "commentaries": 0}
    assert Series.objects.count() == 3
    assert Author.objects.count() == 40
    assert Commentary.objects.count() == 150
    assert Commentary.objects.drafts().exists()
    assert Commentary.objects.scheduled().exists()
    assert Commentary.objects.published().filter(responds_to__isnull=False, suffix="R").exists()
    # One withdrawn piece with the editors' note, one live piece with a
    # correction, made once: the second run found them done.
    withdrawn = Commentary.objects.withdrawn().get()
    assert withdrawn.withdrawal_note.startswith("This commentary has been withdrawn.")
    assert not withdrawn.responses.exists()
    corrected = Commentary.objects.exclude(corrections=[]).get()
    assert corrected.is_live and len(corrected.corrections) == 1
    counts = {c.bylines.count() for c in Commentary.objects.prefetch_related("bylines")}
    assert counts <= {1, 2, 3, 4}
    # Worked out once, at the end of the load: every piece's neighbours and
    # related pieces are as the services would have left them.
    assert Commentary.objects.exclude(surroundings={}).count() > 100
    assert_stored_surroundings_are_current()

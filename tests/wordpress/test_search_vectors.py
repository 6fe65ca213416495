"""The importer's search vectors (PostgreSQL only: SQLite searches without
one, so this module is not in the `sqlite` smoke subset)."""

import pytest
from django.db import connection

from commentaries.models import Commentary
from tests.wordpress.test_import import piece

pytestmark = pytest.mark.django_db


def test_a_batch_of_new_pieces_gets_whole_search_vectors_with_authors_and_topics(
    archive, import_wxr
):
    if connection.vendor != "postgresql":
        pytest.skip("only PostgreSQL keeps a search vector")
    import_wxr(archive)
    written = dict(Commentary.objects.values_list("pk", "search_vector"))
    assert "'folau':" in written[piece(102).pk]  # its author, Ana Folau
    Commentary.objects.update(search_vector=None)  # the database computes them again
    assert dict(Commentary.objects.values_list("pk", "search_vector")) == written

"""`full_clean` asks about all of Commentary's check constraints in one query
(`pacforum.models.ChecksInOneQuery`) and reports what Django's one-by-one
validation reports."""

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, models
from django.test.utils import CaptureQueriesContext

from commentaries.models import Commentary
from tests.factories import CommentaryFactory

pytestmark = pytest.mark.django_db


def check_queries(queries):
    return [q["sql"] for q in queries if '"_check"' in q["sql"]]


def django_errors(piece):
    try:
        models.Model.validate_constraints(piece)
    except ValidationError as error:
        return error.message_dict
    return {}


def test_a_valid_piece_has_its_check_constraints_checked_in_one_query():
    piece = CommentaryFactory()
    checks = [c for c in Commentary._meta.constraints if isinstance(c, models.CheckConstraint)]
    assert len(checks) > 2
    with CaptureQueriesContext(connection) as one_query:
        piece.validate_constraints()
    with CaptureQueriesContext(connection) as one_by_one:
        models.Model.validate_constraints(piece)
    assert len(check_queries(one_query.captured_queries)) == 1
    assert len(check_queries(one_by_one.captured_queries)) == len(checks)


@pytest.mark.parametrize(
    "broken",
    [
        {"status": Commentary.Status.WITHDRAWN, "withdrawn_at": None},
        {"status": "nonsense"},
        {"number": None, "suffix": "R"},
        {"status": "nonsense", "number": None, "suffix": "R"},
    ],
)
def test_a_broken_piece_gets_the_errors_django_would_give(broken):
    piece = CommentaryFactory()
    for field, value in broken.items():
        setattr(piece, field, value)
    expected = django_errors(piece)
    assert expected
    with pytest.raises(ValidationError) as raised:
        piece.validate_constraints()
    assert raised.value.message_dict == expected


def test_a_check_on_an_excluded_field_is_left_out_as_django_leaves_it_out():
    piece = CommentaryFactory(published=True)
    piece.status, piece.withdrawn_at = Commentary.Status.WITHDRAWN, None
    piece.validate_constraints(exclude={"withdrawn_at"})
    with pytest.raises(ValidationError):
        piece.validate_constraints()

"""The database holds the triggers exactly as commentaries/triggers.py defines them."""

import pytest
from django.db import connection

from commentaries import triggers

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite]


def test_the_database_holds_the_triggers_that_triggers_py_defines():
    if connection.vendor == "postgresql":
        functions, found = triggers.postgresql_definitions_in_database(connection)
        assert {name: sql.strip() for name, sql in functions.items()} == {
            name: sql.strip() for name, sql in triggers.POSTGRESQL_FUNCTIONS.items()
        }
        assert found == triggers.POSTGRESQL_TRIGGERS
    else:
        assert triggers.sqlite_triggers_in_database(connection) == {
            name: sql.strip() for name, sql in triggers.SQLITE_TRIGGERS.items()
        }

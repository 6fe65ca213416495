from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

FIXTURES = Path(__file__).parent / "fixtures"
DATA = Path(__file__).parent / "data"


@pytest.fixture
def archive():
    return FIXTURES / "archive.xml"


@pytest.fixture
def import_wxr():
    """Run `manage.py import_wxr`; return what it printed on stdout."""

    def run(*args):
        out, err = StringIO(), StringIO()
        call_command("import_wxr", *map(str, args), stdout=out, stderr=err)
        return out.getvalue()

    return run

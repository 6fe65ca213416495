from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture
def archive():
    return FIXTURES / "archive.xml"


@pytest.fixture
def import_wxr():
    """Run `manage.py import_wxr`; return what it printed on stdout."""

    def run(path, *args):
        out, err = StringIO(), StringIO()
        call_command("import_wxr", str(path), *args, stdout=out, stderr=err)
        return out.getvalue()

    return run

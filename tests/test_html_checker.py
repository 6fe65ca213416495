"""The Nu HTML Checker the page tests rely on really reports errors."""

import pytest

# With the browser tests' xdist group (tests/conftest.py): their worker has the
# checker running already, and the other worker need not start a second Java.
pytestmark = pytest.mark.xdist_group("browser")


def test_the_html_checker_reports_errors_in_an_invalid_document(html_validator):
    assert html_validator('<!doctype html><html lang="en"><title>Fine</title><p>Fine.</p>') == []
    errors = html_validator('<!doctype html><html lang="en"><p>No title, <b><i>misnested</b></i>')
    assert any("title" in error for error in errors), errors
    assert any("violates nesting rules" in error for error in errors), errors

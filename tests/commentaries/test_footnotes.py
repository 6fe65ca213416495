"""Footnotes normalised on save: one linked form whatever wrote them."""

from pathlib import Path

import pytest
from lxml import html as lxml_html

from commentaries.footnotes import normalise_footnotes
from commentaries.models import Commentary
from pacforum.sanitizer import sanitize_html
from tests.factories import CommentaryFactory

CLIPBOARD = Path(__file__).resolve().parent / "clipboard"

# What reaches the server after a paste into the editor (Chromium makes
# `#ftnt1` absolute to the admin page; the editor turns Word's notes into a
# list with `^` back links and keeps the markers' ids only).
WORD_IN_EDITOR = (
    '<p>Coast guards patrol.<a id="ref-ftn1"><sup><sup class="footnote"></sup></sup></a>'
    '&nbsp;Rules changed.<a id="ref-ftn2"><sup><sup class="footnote"></sup></sup></a></p>'
    '<ol><li><p><a href="#ref-ftn1">^</a></p><p>First <i>source</i>.</p></li>'
    '<li><p><a href="#ref-ftn2">^</a></p><p>Second source.</p></li></ol>'
)
DOCS_IN_EDITOR = (
    '<p>Coast guards patrol.<a href="http://example.org/admin/x/add/#ftnt1"><sup>[1]</sup></a>'
    ' Rules changed.<a href="http://example.org/admin/x/add/#ftnt2"><sup>[2]</sup></a></p><hr>'
    '<p><a href="http://example.org/admin/x/add/#ftnt_ref1">[1]</a> First <i>source</i>.</p>'
    '<p><a href="http://example.org/admin/x/add/#ftnt_ref2">[2]</a> Second source.</p>'
)
WORDPRESS_BLOCK = (
    '<p>Coast guards patrol.<sup data-fn="a1" class="fn"><a href="#a1" id="a1-link">1</a></sup>'
    ' Rules changed.<sup data-fn="b2" class="fn"><a href="#b2" id="b2-link">2</a></sup></p>'
    '<ol class="wp-block-footnotes"><li id="a1">First <i>source</i>. '
    '<a href="#a1-link" aria-label="Jump to footnote reference 1">↩︎</a></li>'
    '<li id="b2">Second source. <a href="#b2-link">↩︎</a></li></ol>'
)
# Our own form, as the editor gives it back (ids, roles and the section dropped).
OWN_FORM_IN_EDITOR = (
    '<p>Coast guards patrol.<sup><a href="#fn1">1</a></sup> Rules changed.'
    '<sup><a href="#fn2">2</a></sup></p><h2>Notes</h2><ol><li>First <i>source</i>. '
    '<a href="#fnref1">↩</a></li><li>Second source. <a href="#fnref2">↩</a></li></ol>'
)
SOURCES = {
    "word clipboard": (CLIPBOARD / "word.html").read_text(encoding="utf-8"),
    "google docs clipboard": (CLIPBOARD / "google-docs.html").read_text(encoding="utf-8"),
    "word in the editor": WORD_IN_EDITOR,
    "google docs in the editor": DOCS_IN_EDITOR,
    "wordpress footnotes block": WORDPRESS_BLOCK,
    "our form back from the editor": OWN_FORM_IN_EDITOR,
}


def stored(body):
    return sanitize_html(normalise_footnotes(body))


@pytest.mark.parametrize("source", SOURCES)
def test_every_source_becomes_one_linked_form(source):
    root = lxml_html.fragment_fromstring(stored(SOURCES[source]), create_parent="div")
    refs = root.xpath("//sup/a[@role='doc-noteref']")
    assert [(a.get("href"), a.get("id"), a.text) for a in refs] == [
        ("#fn1", "fnref1", "1"),
        ("#fn2", "fnref2", "2"),
    ]
    (section,) = root.xpath("//section[@role='doc-endnotes']")
    assert section.get("aria-labelledby") == "notes-heading"
    assert section.xpath("h2[@id='notes-heading']/text()") == ["Notes"]
    notes = section.xpath("ol/li")
    assert [li.get("id") for li in notes] == ["fn1", "fn2"]
    for n, li in enumerate(notes, start=1):
        (back,) = li.xpath("a[@role='doc-backlink']")
        assert back.get("href") == f"#fnref{n}"
        assert back.get("aria-label") == f"Back to reference {n}"
    assert any(word in notes[0].text_content() for word in ("source", "Annual Report"))
    assert "[1]" not in root.text_content()
    assert "^" not in root.text_content()
    assert root.xpath("//hr") == []


@pytest.mark.parametrize("source", SOURCES)
def test_saving_twice_changes_nothing(source):
    once = stored(SOURCES[source])
    assert stored(once) == once


def test_a_body_without_notes_is_left_byte_for_byte():
    body = '<p>See <a href="#top">[1]</a> and <a href="/pacnet/">PacNet</a>.</p>'
    body += "<ol><li>One</li></ol>"
    assert stored(body) == sanitize_html(body)


def test_a_marker_without_a_note_stays_as_it_was():
    body = '<p>One<sup><a href="#fn1">1</a></sup> and<sup><a href="#fn9">9</a></sup>.</p>'
    body += '<ol><li>Only note. <a href="#fnref1">↩</a></li></ol>'
    result = stored(body)
    assert '<a href="#fn9">9</a>' in result
    assert result.count('role="doc-noteref"') == 1


def test_notes_are_renumbered_in_reading_order():
    body = (
        '<p>A<sup><a href="#n2">[2]</a></sup> then B<sup><a href="#n1">[1]</a></sup>.</p>'
        '<p><a href="#r1">[1]</a> Note one.</p><p><a href="#r2">[2]</a> Note two.</p>'
    )
    root = lxml_html.fragment_fromstring(stored(body), create_parent="div")
    assert [li.text_content().split(" ↩")[0].strip() for li in root.xpath("//li")] == [
        "Note two.",
        "Note one.",
    ]


def test_ids_and_roles_other_than_the_footnotes_are_stripped():
    dirty = (
        '<p id="main"><a href="#x" id="main" role="button" aria-label="Click">x</a></p>'
        '<section role="dialog" aria-labelledby="main"><h2 id="csrf">Hi</h2></section>'
    )
    clean = sanitize_html(dirty)
    for attribute in ('id="main"', 'role="button"', 'aria-label="Click"', 'role="dialog"', "csrf"):
        assert attribute not in clean


@pytest.mark.django_db
def test_every_save_normalises_the_body_whatever_the_entry_point():
    piece = CommentaryFactory(body=WORDPRESS_BLOCK)
    assert 'role="doc-endnotes"' in piece.body
    Commentary.objects.filter(pk=piece.pk).update(body=DOCS_IN_EDITOR)
    piece.refresh_from_db()
    piece.save()
    assert piece.body == stored(DOCS_IN_EDITOR)


def test_markup_the_parser_cannot_read_is_saved_unchanged():
    assert normalise_footnotes("#") == "#"
    assert normalise_footnotes("<p>#</p>") == "<p>#</p>"

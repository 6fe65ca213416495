"""Footnotes in a piece's body, in one linked form whatever wrote them.

Word, Google Docs and WordPress's footnotes block each mark notes their own
way, and a paste into the editor keeps only part of it (the editor drops most
`id`s, and Chromium rewrites `#ftn1` to the admin page's address + `#ftn1`),
so a pasted note marker links nowhere. When a body is saved,
`normalise_footnotes()` finds the notes and their markers by what survives:

- notes: a list whose every item has a back link (`↩`, `^`: WordPress, the
  editor's own conversion of Word notes, and this module's output), or
  paragraphs that start with a marker link (`[1]`: Google Docs, Word);
- markers: a link whose `id` a note's back link points at, or a link to a
  `#fragment` whose text is a marker (`[1]`, `1`, `(ii)`, `*`);

pairs them, numbers them 1, 2, 3 … in reading order, and writes one form:

    …text<sup><a href="#fn1" id="fnref1" role="doc-noteref">1</a></sup>…
    <section class="footnotes" role="doc-endnotes" aria-labelledby="notes-heading">
      <h2 id="notes-heading">Notes</h2>
      <ol><li id="fn1">Note text. <a href="#fnref1" role="doc-backlink"
        aria-label="Back to reference 1">↩</a></li></ol>
    </section>

Saving that form again gives the same HTML, also after the editor has read
it back. The sanitiser (pacforum/sanitizer.py), which runs after this,
allows exactly these ids, roles and labels. Markers without a note and notes
without a marker are left as they were.
"""

import html
import logging
import re

from lxml import html as lxml_html
from lxml.etree import ParserError

logger = logging.getLogger(__name__)
MARKER = re.compile(r"^\s*[\[(]?\s*(\d{1,3}|[ivxlc]{1,6}|\*{1,3})\s*[\])]?\s*$", re.I)
BACK_ARROWS = {"↩", "↩︎", "↑", "^", "⤴", "back"}
NOTES_HEADINGS = {"notes", "footnotes", "endnotes", "references"}
_ROMAN = {"i": 1, "v": 5, "x": 10, "l": 50, "c": 100}


def _label_number(text: str) -> int | None:
    match = MARKER.match(text or "")
    if not match:
        return None
    label = match.group(1).lower()
    if label.isdigit():
        return int(label)
    if label.startswith("*"):
        return len(label)
    values = [_ROMAN[char] for char in label]
    return sum(-v if v < next_ else v for v, next_ in zip(values, [*values[1:], 0], strict=True))


def _text(element) -> str:
    return " ".join(element.text_content().split())


def _fragment(link) -> str | None:
    """`ftn1` for `#ftn1` or `https://host/admin/…#ftn1`; None without one."""
    href = link.get("href") or ""
    return href.rsplit("#", 1)[1] or None if "#" in href else None


def _is_backlink(link) -> bool:
    return _fragment(link) is not None and _text(link).lower() in BACK_ARROWS


def _remove_keep_tail(element):
    parent = element.getparent()
    if parent is None:
        return
    tail = element.tail or ""
    previous = element.getprevious()
    if previous is not None:
        previous.tail = (previous.tail or "") + tail
    else:
        parent.text = (parent.text or "") + tail
    parent.remove(element)


def _inner_html(element) -> str:
    parts = [html.escape(element.text, quote=False)] if element.text else []
    parts += [lxml_html.tostring(child, encoding="unicode") for child in element]
    return "".join(parts).strip()


class Note:
    def __init__(self, block, *, number=None, marker=None, container=None, backlinks=()):
        self.block = block
        self.number = number
        self.marker = marker  # the leading marker link of a Word/Docs note
        self.container = container if container is not None else block
        self.targets = {_fragment(link) for link in backlinks}

    def content(self) -> str:
        block = self.block
        if self.marker is None:
            for link in [a for a in block.iter("a") if _is_backlink(a)]:
                _remove_keep_tail(link)
        else:
            holder = self.marker
            while holder.getparent() is not block and _text(holder.getparent()) == _text(
                self.marker
            ):
                holder = holder.getparent()
            _remove_keep_tail(holder)
        for child in list(block):
            if child.tag in {"p", "div"} and not _text(child) and not len(child.xpath(".//img")):
                _remove_keep_tail(child)
        if not (block.text or "").strip() and len(block) == 1 and block[0].tag in {"p", "div"}:
            block = block[0]
        if block.text:
            block.text = block.text.lstrip(" .:)]\u00a0")
        return _inner_html(block)


def _leading_marker(block):
    first = next(iter(block.iterdescendants("a")), None)
    if first is None or _fragment(first) is None:
        return None
    marker = _text(first)
    if _label_number(marker) is None or _is_backlink(first):
        return None
    if not _text(block).lstrip("[( ").startswith(marker.lstrip("[( ")):
        return None
    return first


def _collect_notes(root) -> list[Note]:
    notes = []
    for ol in root.iter("ol"):
        items = [li for li in ol if li.tag == "li"]
        backlinks = [[a for a in li.iter("a") if _is_backlink(a)] for li in items]
        if items and all(backlinks):
            start = int(ol.get("start")) if (ol.get("start") or "").isdigit() else 1
            notes += [
                Note(li, number=start + i, container=ol, backlinks=links)
                for i, (li, links) in enumerate(zip(items, backlinks, strict=True))
            ]
    if notes:
        return notes
    for block in root.iter("p", "li"):
        marker = _leading_marker(block)
        if marker is not None:
            notes.append(Note(block, number=_label_number(_text(marker)), marker=marker))
    return notes


def _collect_refs(root, notes) -> list[tuple[Note, object]]:
    """(note, marker link) in reading order."""
    inside = {el for note in notes for el in note.block.iter()}
    by_target = {target: note for note in notes for target in note.targets if target}
    by_number = {}
    for note in notes:
        by_number.setdefault(note.number, note)
    refs = []
    for link in root.iter("a"):
        if link in inside:
            continue
        note = by_target.get(link.get("id") or "")
        if note is None and _fragment(link) is not None:
            number = _label_number(_text(link))
            note = by_number.get(number) if number is not None else None
        if note is not None:
            refs.append((note, link))
    return refs


def _replace_ref(link, n, *, first):
    ref = lxml_html.fragment_fromstring(f'<sup><a href="#fn{n}" role="doc-noteref">{n}</a></sup>')
    if first:
        ref[0].set("id", f"fnref{n}")
    target = link
    parent = link.getparent()
    if parent is not None and parent.tag == "sup" and _text(parent) == _text(link):
        target = parent
    ref.tail = target.tail
    target.getparent().replace(target, ref)


def _tidy_end(root):
    """What the notes leave behind: emptied wrappers (Google Docs puts
    everything in a <b>), and a trailing rule, "Notes" heading or empty
    paragraph."""
    for element in list(root.iter()):
        if element is root or element.getparent() is None:
            continue
        if not isinstance(element.tag, str):  # comments, processing instructions
            _remove_keep_tail(element)
            continue
        if element.tag in {"div", "b", "span"} and not _text(element) and not len(element):
            _remove_keep_tail(element)
    while len(root):
        last = root[-1]
        label = _text(last).lower().rstrip(":")
        if (
            last.tag in {"hr", "br"}
            or (last.tag in {"p", "div"} and not label and not len(last.xpath(".//img")))
            or (last.tag in {"h2", "h3", "h4", "p"} and label in NOTES_HEADINGS)
        ):
            _remove_keep_tail(last)
            continue
        break


def normalise_footnotes(body: str) -> str:
    """`body` with its footnotes in the one linked form (see the module);
    unchanged when it has none, or when its markup defeats the parser (an
    editor's save never fails over footnotes)."""
    if not body or "#" not in body:
        return body
    try:
        return _normalise(body)
    except (ParserError, ValueError, TypeError, AttributeError, IndexError):
        logger.exception("Footnotes left as they were: the body's markup was not understood.")
        return body


def _normalise(body: str) -> str:
    root = lxml_html.fragment_fromstring(body, create_parent="div")
    for section in list(root.iter("section")):  # this module's own, from an earlier save
        section.drop_tag()
    notes = _collect_notes(root)
    refs = _collect_refs(root, notes)
    if not refs:
        return body
    numbers = {}
    for note, link in refs:
        first = note not in numbers
        numbers.setdefault(note, len(numbers) + 1)
        _replace_ref(link, numbers[note], first=first)
    contents = {n: note.content() for note, n in numbers.items()}
    for note in numbers:
        _remove_keep_tail(note.container)
    _tidy_end(root)
    items = "".join(
        f'<li id="fn{n}">{contents[n]} <a href="#fnref{n}" role="doc-backlink" '
        f'aria-label="Back to reference {n}">↩</a></li>'
        for n in sorted(contents)
    )
    return (
        _inner_html(root)
        + '<section class="footnotes" role="doc-endnotes" aria-labelledby="notes-heading">'
        f'<h2 id="notes-heading">Notes</h2><ol>{items}</ol></section>'
    )

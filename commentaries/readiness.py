"""Checks before publishing: what a piece needs before readers may see it.

- at least one author;
- a summary and a body;
- a bio for every byline (the closing paragraph reads “… is a fellow at …”);
- alt text on every image of the body.

Publishing, scheduling and bulk publishing refuse a piece that fails them
(`services.commentary_publish`); the change form shows them as a checklist.
Imported pieces are only warned about (`import_warnings`): an import never
changes a piece's status because of them.
"""

from dataclasses import dataclass
from html.parser import HTMLParser

from pacforum.sanitizer import is_blank_html


@dataclass(frozen=True)
class Check:
    label: str
    ok: bool
    detail: str = ""


class _Images(HTMLParser):
    def __init__(self):
        super().__init__()
        self.total = 0
        self.without_alt = 0

    def handle_starttag(self, tag, attrs):
        if tag == "img":
            self.total += 1
            if not (dict(attrs).get("alt") or "").strip():
                self.without_alt += 1


def images_without_alt(html: str) -> int:
    if "<img" not in (html or "").lower():  # most bodies: no parse needed
        return 0
    parser = _Images()
    parser.feed(html or "")
    parser.close()
    return parser.without_alt


def checklist(commentary, bylines=None) -> list[Check]:
    """Each check with its result. `bylines` is [(author name, bio)], for a
    form whose bylines are not saved yet; by default the saved ones."""
    if bylines is None:
        bylines = (
            [(b.author.name, b.bio) for b in commentary.bylines.select_related("author")]
            if commentary.pk
            else []
        )
    without_bio = [name for name, bio in bylines if not (bio or "").strip()]
    missing_alt = images_without_alt(commentary.body)
    return [
        Check("At least one author", bool(bylines), "" if bylines else "Add an author."),
        Check(
            "A summary",
            bool((commentary.summary or "").strip()),
            "Write a one- or two-sentence summary.",
        ),
        Check("A body", not is_blank_html(commentary.body), "The body is empty."),
        Check(
            "A bio for every author",
            not without_bio,
            "No bio for " + ", ".join(without_bio) + "." if without_bio else "",
        ),
        Check(
            "Alt text on every image",
            not missing_alt,
            f"{missing_alt} image(s) without alt text." if missing_alt else "",
        ),
    ]


def problems(commentary, bylines=None) -> list[str]:
    """What stops the piece from being published, in words for editors."""
    return [check.detail or check.label for check in checklist(commentary, bylines) if not check.ok]


def import_warnings(commentary, bylines=None) -> list[str]:
    """For the importer's report: the checks an imported piece fails. The
    import keeps the piece's status whatever they say. `bylines` as in
    `checklist` (an importer passes the ones it is writing)."""
    return [
        f"does not pass the checks before publishing: {problem}"
        for problem in problems(commentary, bylines)
    ]

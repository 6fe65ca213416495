"""The one place where editor-supplied HTML is made safe.

Every model field that stores rich text runs through `sanitize_html()` when the
model is saved, so no code path (admin, import, shell) can store a script.
The allowlist keeps what the CKEditor 5 toolbar produces and nothing else.
"""

import html as html_lib
import re

import nh3

ALLOWED_TAGS = {
    "p",
    "br",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "strong",
    "b",
    "em",
    "i",
    "u",
    "s",
    "sup",
    "sub",
    "a",
    "ul",
    "ol",
    "li",
    "blockquote",
    "figure",
    "figcaption",
    "img",
    "table",
    "thead",
    "tbody",
    "tfoot",
    "tr",
    "th",
    "td",
    "caption",
    "hr",
    "code",
    "pre",
    "span",
    "section",
}
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title", "id", "role", "aria-label"},
    "li": {"id"},
    "h2": {"id"},
    "section": {"role", "aria-labelledby"},
    "img": {"src", "alt", "width", "height"},
    "th": {"colspan", "rowspan", "scope"},
    "td": {"colspan", "rowspan"},
    "ol": {"start", "reversed"},
}
ALLOWED_CLASSES = {
    "figure": {"image", "table", "image-style-side"},
    "section": {"footnotes"},
}
# Footnotes (commentaries/footnotes.py) are the only reason editor HTML may
# carry ids, roles and ARIA labels, so only their exact forms pass: an id
# elsewhere could clash with the page's own (`id="main"`).
_FOOTNOTE_ATTRIBUTES = {
    "id": re.compile(r"(fn|fnref)[0-9]{1,3}|notes-heading"),
    "role": re.compile(r"doc-noteref|doc-backlink|doc-endnotes"),
    "aria-labelledby": re.compile(r"notes-heading"),
    "aria-label": re.compile(r"Back to reference [0-9]{1,3}"),
}


def _footnote_attributes(tag, attribute, value):
    pattern = _FOOTNOTE_ATTRIBUTES.get(attribute)
    if pattern is None:
        return value
    return value if pattern.fullmatch(value) else None


# Absolute links may only use these schemes; relative links ("#note-1",
# "/pacnet/") pass. No `target` is allowed, so no `rel` needs adding, and
# clean content comes back byte for byte.
URL_SCHEMES = {"http", "https", "mailto"}


TAG = re.compile(r"<[^>]*>")
# Elements that show something with no text in them.
VISIBLE_WITHOUT_TEXT = re.compile(r"<(img|hr|table)\b", re.IGNORECASE)


def is_blank_html(html: str) -> bool:
    """Does this HTML show nothing? An emptied editor leaves `<p>&nbsp;</p>`
    or `<p><br></p>` behind."""
    if not html:
        return True
    if VISIBLE_WITHOUT_TEXT.search(html):
        return False
    return not html_lib.unescape(TAG.sub("", html)).replace("\xa0", " ").strip()


def sanitize_html(html: str) -> str:
    """Safe HTML, or "" when it would show nothing."""
    if not html:
        return ""
    cleaned = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel=None,
        strip_comments=True,
        allowed_classes=ALLOWED_CLASSES,
        attribute_filter=_footnote_attributes,
    ).strip()
    return "" if is_blank_html(cleaned) else cleaned

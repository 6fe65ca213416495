"""The one place where editor-supplied HTML is made safe.

Every model field that stores rich text runs through `sanitize_html()` when the
model is saved, so no code path (admin, import, shell) can store a script.
The allowlist keeps what the CKEditor 5 toolbar produces and nothing else.
"""

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
}
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "width", "height"},
    "th": {"colspan", "rowspan", "scope"},
    "td": {"colspan", "rowspan"},
    "ol": {"start", "reversed"},
}
ALLOWED_CLASSES = {"figure": {"image", "table", "image-style-side"}}
# Absolute links may only use these schemes; relative links ("#note-1",
# "/pacnet/") pass. No `target` is allowed, so no `rel` needs adding, and
# clean content comes back byte for byte.
URL_SCHEMES = {"http", "https", "mailto"}


def sanitize_html(html: str) -> str:
    if not html:
        return ""
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel=None,
        strip_comments=True,
        allowed_classes=ALLOWED_CLASSES,
    ).strip()

"""A piece as an email: rendered once per edition, personalised per subscriber.

The HTML has its CSS inlined (no stylesheets, no scripts), absolute URLs and
alt text on every image. Personal links go in as markers that `personalise`
replaces for each subscriber, so 100,000 messages cost one template render.
"""

from urllib.parse import urljoin

import css_inline
import lxml.html
from django.conf import settings
from django.template.loader import render_to_string

UNSUBSCRIBE_MARK = "%%UNSUBSCRIBE_URL%%"
MANAGE_MARK = "%%MANAGE_URL%%"

_INLINER = css_inline.CSSInliner(load_remote_stylesheets=False, keep_link_tags=False)
BLOCKS = {"p", "h1", "h2", "h3", "h4", "li", "blockquote", "figcaption", "tr", "div"}


def site_url() -> str:
    return settings.SITE_URL.rstrip("/")


def absolute(path_or_url: str) -> str:
    return urljoin(site_url() + "/", path_or_url)


def email_body_html(body: str, *, fallback_alt: str) -> str:
    """The piece's sanitised body with absolute links and images that all carry alt text."""
    if not body.strip():
        return ""
    fragment = lxml.html.fragment_fromstring(body, create_parent="div")
    fragment.make_links_absolute(site_url() + "/", resolve_base_href=False)
    for image in fragment.iter("img"):
        if not (image.get("alt") or "").strip():
            image.set("alt", fallback_alt)
    for element in fragment.iter("script", "style", "link"):
        element.drop_tree()
    inner = (fragment.text or "") + "".join(
        lxml.html.tostring(child, encoding="unicode") for child in fragment
    )
    return inner


def html_to_text(html: str) -> str:
    """Plain text of rich text: one paragraph per block, links as “text <url>”."""
    if not html.strip():
        return ""
    root = lxml.html.fragment_fromstring(html, create_parent="div")
    for link in root.iter("a"):
        href = link.get("href")
        label = link.text_content().strip()
        if href and href != label:
            link.tail = f" <{href}>" + (link.tail or "")
    for item in root.iter("li"):
        item.text = "- " + (item.text or "")
    paragraphs = []
    for element in root.iter():
        if element.tag in BLOCKS and not any(
            child.tag in BLOCKS for child in element.iterdescendants()
        ):
            text = " ".join(element.text_content().split())
            if text:
                paragraphs.append(text)
    if not paragraphs:
        paragraphs = [" ".join(root.text_content().split())]
    return "\n\n".join(paragraphs)


def edition_context(commentary) -> dict:
    series = commentary.series
    bylines = list(commentary.bylines.select_related("author"))
    closing = [
        {
            "name": byline.author.name,
            "email": byline.email if byline.email and byline.author.show_email else "",
            "bio": byline.bio,
        }
        for byline in bylines
    ]
    return {
        "site_name": settings.SITE_NAME,
        "site_url": site_url(),
        "commentary": commentary,
        "series": series,
        "authors": [byline.author.name for byline in bylines],
        "closing": closing,
        "body_html": email_body_html(commentary.body, fallback_alt=commentary.title),
        "body_text": html_to_text(commentary.body),
        "disclaimer_text": html_to_text(series.disclaimer),
        "web_url": absolute(commentary.get_absolute_url()),
        "pdf_url": absolute(commentary.pdf.url) if commentary.pdf else "",
        "date": commentary.published_at,
        "unsubscribe_url": UNSUBSCRIBE_MARK,
        "manage_url": MANAGE_MARK,
    }


def short_lines(content: str, *, width: int) -> str:
    """Lines of at most about `width` characters, broken at spaces (words stay whole).

    Email lines must stay under 998 bytes; with shorter ones the parts go out
    as 8-bit text, which the sender copies per subscriber without re-encoding
    (delivery.MessageTemplate). In HTML outside <pre> (which the sanitiser does
    not allow) a newline and a space are the same."""
    lines = []
    for line in content.splitlines():
        while len(line) > width:
            cut = line.rfind(" ", 0, width)
            if cut <= 0:
                cut = line.find(" ", width)
                if cut < 0:
                    break
            lines.append(line[:cut])
            line = line[cut + 1 :]
        lines.append(line)
    return "\n".join(lines) + "\n"


def render_edition(commentary) -> dict:
    """Subject, HTML (CSS inlined) and text of a piece's edition, with link markers."""
    context = edition_context(commentary)
    html = _INLINER.inline(render_to_string("subscriptions/email/edition.html", context))
    text = render_to_string("subscriptions/email/edition.txt", context)
    return {
        "subject": " ".join(commentary.display_title.split())[:300],
        "html": short_lines(html, width=200),
        "text": short_lines(text, width=76),
    }


def personalise(content: str, *, unsubscribe_url: str, manage_url: str) -> str:
    return content.replace(UNSUBSCRIBE_MARK, unsubscribe_url).replace(MANAGE_MARK, manage_url)

"""Turn a WordPress post body into the HTML a commentary stores.

Order matters: Cloudflare's email obfuscation is decoded while its attributes
still exist, Gutenberg block comments and shortcodes go, bare classic-editor
text gets its paragraphs (WordPress adds them only when it displays a post),
then the project's sanitiser runs and empty paragraphs are dropped. The closing
author paragraphs are read off the end of the clean HTML.
"""

import html
import re
from dataclasses import dataclass

from django.utils.text import Truncator

from pacforum.sanitizer import sanitize_html

from .rules import Rules

GUTENBERG_COMMENT = re.compile(r"<!--\s*/?wp:.*?-->", re.DOTALL)
SHORTCODE = re.compile(
    r"\[(?P<open>\[?)(?P<close>/?)(?P<name>[A-Za-z][\w-]*)"
    r"(?P<attrs>(?:\s+(?:[^\]\"']|\"[^\"]*\"|'[^']*')*)?)\s*/?\](?P<end>\]?)"
)
CAPTION = re.compile(
    r"\[(?:wp_)?caption\b[^\]]*\](?P<inner>.*?)\[/(?:wp_)?caption\]", re.DOTALL | re.IGNORECASE
)
EMBED = re.compile(r"\[embed\b[^\]]*\]\s*(?P<url>https?://[^\s\[<]+)\s*\[/embed\]", re.IGNORECASE)
IMAGE_TAG = re.compile(r"(?:<a\b[^>]*>\s*)?<img\b[^>]*>(?:\s*</a>)?", re.IGNORECASE)
BLOCK_TAGS = (
    r"(?:p|div|h[1-6]|ul|ol|li|blockquote|figure|figcaption|table|thead|tbody|tfoot|tr|td|th"
    r"|caption|pre|hr|section|article|aside|header|footer|iframe|dl|dt|dd|address|form|details)"
)
BLOCK_START = re.compile(rf"^\s*</?{BLOCK_TAGS}\b", re.IGNORECASE)
BLOCK_OPEN = re.compile(rf"(<{BLOCK_TAGS}[\s/>])", re.IGNORECASE)
BLOCK_CLOSE = re.compile(rf"(</{BLOCK_TAGS}>)", re.IGNORECASE)
EMPTY_PARAGRAPH = re.compile(r"<p>(?:\s|&nbsp;|&#160;|\xa0|<br\s*/?>)*</p>", re.IGNORECASE)
TAG = re.compile(r"<[^>]+>")

CF_ELEMENT = re.compile(
    r"<(?P<tag>a|span)\b(?P<attrs>[^>]*?)\bdata-cfemail=\"(?P<hex>[0-9a-fA-F]+)\"[^>]*>.*?</(?P=tag)>",
    re.DOTALL | re.IGNORECASE,
)
CF_LINK = re.compile(
    r"(?P<attr>href=[\"'])(?:https?://[^/\"']+)?/cdn-cgi/l/email-protection#(?P<hex>[0-9a-fA-F]+)",
    re.IGNORECASE,
)
CF_LEFTOVER = re.compile(r"/cdn-cgi/l/email-protection", re.IGNORECASE)

# “Name (email) is …”: at most eight words of name, an email (or what an
# obfuscator left of it) in parentheses, then a bio that starts in lower case.
AUTHOR_PARAGRAPH = re.compile(
    r"^(?P<name>[^\s()@,;:][^()@;:]{0,118}?)\s*"
    r"\(\s*(?P<email>[^\s()@]+@[^\s()@]+\.[^\s()@]+|\[?\s*email\s+protected\s*\]?)\s*\)\s*,?\s*"
    r"(?P<bio>[a-z].*)$",
    re.DOTALL,
)
MAILTO = re.compile(r"href=\"mailto:(?P<email>[^\"?]+)", re.IGNORECASE)
UPLOAD_URL = re.compile(
    r"(?P<attr>(?:src|href)=\")(?P<url>[^\"]*?/wp-content/uploads/(?P<path>[^\"?#]+)[^\"]*)\"",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class ClosingAuthor:
    name: str
    email: str
    bio: str


def decode_cfemail(encoded: str) -> str:
    """Cloudflare XORs every byte of the address with the first one."""
    try:
        data = bytes.fromhex(encoded)
    except ValueError:
        return ""
    if len(data) < 2:
        return ""
    key = data[0]
    try:
        return bytes(b ^ key for b in data[1:]).decode("utf-8")
    except UnicodeDecodeError:
        return ""


def decode_cloudflare_emails(body: str) -> str:
    def element(match):
        email = decode_cfemail(match["hex"])
        if not email:
            return match[0]
        escaped = html.escape(email)
        if match["tag"].lower() == "a":
            return f'<a href="mailto:{escaped}">{escaped}</a>'
        return escaped

    def link(match):
        email = decode_cfemail(match["hex"])
        return f"{match['attr']}mailto:{html.escape(email)}" if email else match[0]

    body = CF_ELEMENT.sub(element, body)
    return CF_LINK.sub(link, body)


def _caption(match):
    inner = match["inner"].strip()
    image = IMAGE_TAG.search(inner)
    if not image:
        return inner
    caption = (inner[: image.start()] + inner[image.end() :]).strip()
    figcaption = f"<figcaption>{caption}</figcaption>" if caption else ""
    return f'<figure class="image">{image[0]}{figcaption}</figure>'


def remove_shortcodes(body: str, rules: Rules) -> str:
    body = CAPTION.sub(_caption, body)
    body = EMBED.sub(lambda m: f'<p><a href="{m["url"]}">{m["url"]}</a></p>', body)

    def shortcode(match):
        if not rules.is_shortcode(match["name"]):
            return match[0]
        if match["open"] and match["end"]:  # [[caption]] is WordPress for a literal [caption]
            return match[0][1:-1]
        return ""

    return SHORTCODE.sub(shortcode, body)


def add_paragraphs(body: str) -> str:
    """WordPress's `wpautop()`, reduced to what survives sanitising: block
    elements stand alone, blank lines separate paragraphs and single line
    breaks inside one become <br>."""
    body = body.replace("\r\n", "\n").replace("\r", "\n")
    body = BLOCK_CLOSE.sub("\\1\n\n", BLOCK_OPEN.sub("\n\n\\1", body))
    out = []
    for chunk in re.split(r"\n\s*\n", body):
        chunk = chunk.strip()
        if not chunk:
            continue
        if BLOCK_START.match(chunk):
            out.append(chunk)
        else:
            out.append("<p>" + re.sub(r"\s*\n\s*", "<br>\n", chunk) + "</p>")
    return "\n".join(out)


def html_to_text(fragment: str) -> str:
    return re.sub(r"\s+", " ", html.unescape(TAG.sub("", fragment))).strip()


def clean_body(body: str, rules: Rules) -> str:
    body = decode_cloudflare_emails(body or "")
    # Like WordPress, add paragraphs only to classic-editor posts; block
    # editor posts already carry their own.
    is_block_post = GUTENBERG_COMMENT.search(body) is not None
    body = GUTENBERG_COMMENT.sub("", body)
    body = remove_shortcodes(body, rules)
    if not is_block_post:
        body = add_paragraphs(body)
    body = sanitize_html(body)
    body = EMPTY_PARAGRAPH.sub("", body)
    return re.sub(r"\n{2,}", "\n", body).strip()


def _closing_author(inner: str) -> ClosingAuthor | None:
    text = html_to_text(inner)
    found = AUTHOR_PARAGRAPH.match(text)
    if not found:
        return None
    name = found["name"].strip()
    if len(name.split()) > 8 or name.endswith("."):
        return None
    email = found["email"]
    if "@" not in email:
        mailto = MAILTO.search(inner)
        email = mailto["email"] if mailto and "@" in mailto["email"] else ""
    return ClosingAuthor(name=name, email=email.strip(), bio=found["bio"].strip())


def _last_paragraph(body: str) -> tuple[int, str] | None:
    """Where the body's final <p>…</p> starts, and its inner HTML."""
    if not body.endswith("</p>"):
        return None
    start = body.rfind("<p>")
    if start == -1 or body.find("</p>", start) != len(body) - 4:
        return None
    return start, body[start + 3 : -4]


def split_closing_paragraphs(body: str, rules: Rules) -> tuple[str, list[ClosingAuthor]]:
    """Take the series boilerplate and the “Name (email) is …” paragraphs off
    the end of a clean body; return the rest and the authors, in order."""
    authors = []
    while last := _last_paragraph(body):
        start, inner = last
        if not authors and any(p.search(html_to_text(inner)) for p in rules.trailing_boilerplate):
            body = body[:start].rstrip()
            continue
        author = _closing_author(inner)
        if author is None:
            break
        authors.insert(0, author)
        body = body[:start].rstrip()
    return body, authors


def make_summary(excerpt: str, body: str) -> str:
    """The excerpt as plain text, else the first paragraph, at most 500 characters."""
    text = html_to_text(GUTENBERG_COMMENT.sub("", excerpt or ""))
    if not text:
        start, end = body.find("<p>"), body.find("</p>")
        text = html_to_text(body[start + 3 : end]) if 0 <= start < end else ""
    if len(text) <= 500:
        return text
    return Truncator(text[:600]).chars(500)


def rewrite_uploads(body: str, resolve) -> str:
    """Point links into `wp-content/uploads` at the copies `resolve(path)` returns
    (a URL, or None to leave the link as it was)."""

    def replace(match):
        url = resolve(match["path"])
        if url is None:
            return match[0]
        return f'{match["attr"]}{html.escape(url)}"'

    return UPLOAD_URL.sub(replace, body)

"""What a WordPress post becomes, worked out without touching the database.

Every function here is pure: it takes the post, the rules and what the first
pass learned about the archive (`Archive`), and returns plain data plus the
warnings to report. Writing (series, authors, topics, files, rows) happens in
`write.py`.
"""

import hashlib
import html
import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from urllib.parse import parse_qs, unquote, urlsplit

from django.contrib.redirects.models import Redirect
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils import timezone
from django.utils.encoding import escape_uri_path
from django.utils.text import Truncator, slugify

from commentaries.models import Commentary
from commentaries.numbering import normalise_suffix, number_year

from ..cleaning import (
    ClosingAuthor,
    clean_body,
    html_to_text,
    make_summary,
    split_closing_paragraphs,
)
from ..rules import Rules, clean_title
from .wxr import MAX_POST_ID, WxrAuthor, WxrAuthorTerm, WxrItem

STATUS_MAP = {
    "publish": Commentary.Status.PUBLISHED,
    "future": Commentary.Status.PUBLISHED,
    "draft": Commentary.Status.DRAFT,
    "pending": Commentary.Status.DRAFT,
    "private": Commentary.Status.DRAFT,
}
REDIRECT_PATH_MAX = Redirect._meta.get_field("old_path").max_length
TITLE_MAX = Commentary._meta.get_field("title").max_length
SLUG_MAX = 100
SEO_DESCRIPTION_KEYS = (
    "_yoast_wpseo_metadesc",
    "rank_math_description",
    "_aioseo_description",
    "_aioseop_description",
)
SEO_VARIABLE = re.compile(r"%%[a-z_]+%%|#(?:site_title|separator_sa|post_title)\b")
PDF_NAME = re.compile(r"\.pdf$", re.IGNORECASE)
SHORT_LINK_KEYS = ("p", "page_id")
# ASCII digits only: str.isdigit() also accepts "²" and "٣", which int() refuses
# or reads as another number.
WORDPRESS_ID = re.compile(r"[0-9]{1,18}")


def as_id(value: str) -> int | None:
    """A post id written in an attribute, meta value or query, or None."""
    value = (value or "").strip()
    return int(value) if WORDPRESS_ID.fullmatch(value) else None


class SkipPost(Exception):
    """This post is not imported; the message says why."""


@dataclass(frozen=True)
class Attachment:
    """A WordPress attachment: a file under wp-content/uploads."""

    post_id: int
    path: str  # relative to the uploads directory
    alt: str = ""
    parent: int | None = None

    @property
    def is_pdf(self):
        return bool(PDF_NAME.search(self.path))


@dataclass
class Archive:
    """What the first pass learned about the whole archive."""

    authors: dict[str, WxrAuthor] = field(default_factory=dict)
    author_terms: dict[str, WxrAuthorTerm] = field(default_factory=dict)
    guest_authors: dict[str, WxrItem] = field(default_factory=dict)  # by post_name “cap-…”
    attachments: dict[int, Attachment] = field(default_factory=dict)
    pdfs_by_parent: dict[int, Attachment] = field(default_factory=dict)
    item_count: int = 0

    def learn(self, entry):
        """Take in one entry of the first pass."""
        if isinstance(entry, WxrAuthor):
            self.authors.setdefault(entry.login, entry)
        elif isinstance(entry, WxrAuthorTerm):
            self.author_terms.setdefault(entry.slug, entry)
        elif entry.post_type == "guest-author" and entry.post_name:
            self.guest_authors.setdefault(entry.post_name, entry)
        elif entry.post_type == "attachment" and entry.post_id is not None:
            attachment = _attachment(entry)
            if attachment is not None:
                self.attachments.setdefault(entry.post_id, attachment)
                if attachment.is_pdf and attachment.parent is not None:
                    self.pdfs_by_parent.setdefault(attachment.parent, attachment)


def _attachment(item):
    path = item.meta.get("_wp_attached_file", "")
    if not path and "/wp-content/uploads/" in item.attachment_url:
        path = item.attachment_url.split("/wp-content/uploads/", 1)[1]
    path = unquote(path.split("?", 1)[0]).lstrip("/")
    if not path:
        return None
    return Attachment(
        post_id=item.post_id,
        path=path,
        alt=decode_name(item.meta.get("_wp_attachment_image_alt", ""))[:255],
        parent=item.post_parent,
    )


@dataclass(frozen=True)
class AuthorSpec:
    name: str
    email: str
    bio: str
    public: bool  # the email came from the piece itself, so it may be shown


@dataclass(frozen=True)
class TopicSpec:
    slug: str
    name: str


@dataclass
class Plan:
    """Everything a post becomes, before the transaction opens."""

    series_slug: str | None
    title: str
    slug: str
    status: str
    published_at: datetime | None
    year: int
    number: int | None
    suffix: str
    body: str
    summary: str
    authors: list[AuthorSpec]
    topics: list[TopicSpec]
    old_paths: list[str]
    featured: Attachment | None = None
    pdf: Attachment | None = None
    warnings: list[str] = field(default_factory=list)


@dataclass
class PagePlan:
    title: str
    url: str
    body: str
    old_paths: list[str]
    warnings: list[str] = field(default_factory=list)


# -- small pure helpers ------------------------------------------------------


def decode_name(value: str) -> str:
    """WordPress stores term, author and attachment names HTML-escaped
    (“Trade &amp; Economics”): decode exactly once."""
    return re.sub(r"\s+", " ", html.unescape(value or "")).strip()


def is_email(value):
    try:
        validate_email(value)
    except ValidationError:
        return False
    return True


def short_slug(text):
    """At most SLUG_MAX characters, cut at a hyphen: the new address must fit
    a redirect's 200-character `new_path` with the series and year in front."""
    slug = slugify(text)
    if len(slug) > SLUG_MAX:
        slug = slug[: SLUG_MAX + 1].rsplit("-", 1)[0] if "-" in slug[:SLUG_MAX] else slug[:SLUG_MAX]
    return slug.strip("-")


def term_slug(nicename, name):
    """An ASCII slug (topic addresses are ASCII), made up when the name has none."""
    slug = slugify(unquote(nicename or "")) or slugify(name or "")
    if not slug and (name or nicename):
        digest = hashlib.sha1((name or nicename).encode()).hexdigest()[:8]  # noqa: S324
        slug = f"topic-{digest}"
    return slug


def old_path(url: str) -> str:
    """A WordPress URL as the path Django will see: `request.get_full_path()`."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https", ""):
        return ""
    path = escape_uri_path(unquote(parts.path or "/"))
    return f"{path}?{parts.query}" if parts.query else path


def short_link_id(path: str) -> int | None:
    """The post id a WordPress short link (`/?p=568`, `/?page_id=7`) names."""
    path_part, _, query = path.partition("?")
    if path_part != "/" or not query:
        return None
    values = parse_qs(query)
    for key in SHORT_LINK_KEYS:
        for value in values.get(key, []):
            if (found := as_id(value)) is not None:
                return found
    return None


def check_post_id(item: WxrItem):
    """Raise SkipPost with a clear message for an id the database cannot hold."""
    if item.post_id is not None:
        return
    text = item.post_id_text
    if not text:
        if not item.guid:
            raise SkipPost("no wp:post_id and no guid")
        return
    if not re.fullmatch(r"[+-]?[0-9]+", text):
        raise SkipPost(f"wp:post_id “{text[:40]}” is not a whole number")
    value = int(text)
    if value <= 0:
        raise SkipPost(f"wp:post_id {value} is not a positive number")
    if value > MAX_POST_ID:
        raise SkipPost(f"wp:post_id {text[:40]} is larger than {MAX_POST_ID:,}")


def publish_time(item: WxrItem, tz: tzinfo) -> datetime | None:
    """The post's moment: its GMT date, else its local date in the publisher's zone."""
    if item.post_date_gmt is not None:
        return item.post_date_gmt.replace(tzinfo=UTC)
    if item.post_date is not None:
        return timezone.make_aware(item.post_date, tz)
    return None


def seo_description(item: WxrItem) -> str:
    for key in SEO_DESCRIPTION_KEYS:
        text = SEO_VARIABLE.sub("", html_to_text(item.meta.get(key, ""))).strip()
        if text:
            return re.sub(r"\s+", " ", text)
    return ""


def fingerprint(item: WxrItem, archive: Archive, base: str) -> str:
    """A digest of everything the post's import depends on."""
    related = [archive.authors.get(item.creator)]
    for term in item.terms:
        if term.domain == "author":
            related.append(archive.guest_authors.get(term.nicename))
            related.append(archive.author_terms.get(term.nicename))
            related.append(archive.authors.get(term.name))
    thumbnail = as_id(item.meta.get("_thumbnail_id", ""))
    if thumbnail is not None:
        related.append(archive.attachments.get(thumbnail))
    if item.post_id is not None:
        related.append(archive.pdfs_by_parent.get(item.post_id))
    payload = [
        base,
        item.fingerprint_fields(),
        [(vars(r) if not isinstance(r, WxrItem) else r.fingerprint_fields()) for r in related if r],
    ]
    return hashlib.sha256(json.dumps(payload, default=str).encode()).hexdigest()


# -- posts -------------------------------------------------------------------


def old_paths(item: WxrItem, warnings: list[str], *, short_key="p") -> list[str]:
    """The addresses that should redirect to the new page. A short link
    (`/?p=N`) comes from `wp:post_id` only: a GUID or link naming another
    post's id (GUIDs are recycled when posts are copied or migrated) is left
    out and reported, so it cannot take that post's short link."""
    paths = []
    own = f"/?{short_key}={item.post_id}" if item.post_id is not None else ""
    for label, url in (("link", item.link), ("GUID", item.guid), ("", own)):
        path = old_path(url) if url else ""
        if not path or path == "/" or path in paths:
            continue
        named = short_link_id(path)
        if label and named is not None and named != item.post_id:
            warnings.append(
                f"its {label} {url} names WordPress post {named}; that short link is left to "
                "that post"
            )
            continue
        if len(path) > REDIRECT_PATH_MAX:
            warnings.append(f"old address longer than {REDIRECT_PATH_MAX} characters")
            continue
        paths.append(path)
    return paths


def _status_and_time(item, tz, warnings):
    status = STATUS_MAP[item.status]
    if status == Commentary.Status.PUBLISHED and item.password:
        warnings.append("password-protected in WordPress; imported as a draft")
        status = Commentary.Status.DRAFT
    when = publish_time(item, tz)
    if when is None and status == Commentary.Status.PUBLISHED:
        shown = f"“{item.post_date_text}”" if item.post_date_text else "none"
        warnings.append(
            f"published in WordPress without a usable date ({shown}); imported as a draft"
        )
        status = Commentary.Status.DRAFT
    return status, when


def prepare_post(
    item: WxrItem, rules: Rules, archive: Archive, *, tz: tzinfo, now: datetime
) -> Plan:
    """A post as a commentary. Raises SkipPost when it cannot be one."""
    warnings: list[str] = []
    match = rules.match_title(item.title)
    term_slugs = {term_slug(t.nicename, decode_name(t.name)) for t in item.terms}
    series_slug = match.series_slug or rules.series_for_category(term_slugs)
    title = match.title
    status, when = _status_and_time(item, tz, warnings)
    if not title:
        title = f"Untitled (WordPress post {item.post_id})" if item.post_id else "Untitled"
        if status == Commentary.Status.PUBLISHED:
            warnings.append(f"no title; imported as the draft “{title}”")
        else:
            warnings.append(f"no title; imported as “{title}”")
        status = Commentary.Status.DRAFT
    if len(title) > TITLE_MAX:
        warnings.append(f"title shortened to {TITLE_MAX} characters")
        title = Truncator(title).chars(TITLE_MAX)
    with timezone.override(tz):
        year = number_year(when or now)
    number = match.number
    if number is not None and when is not None and when.astimezone(UTC).year != year:
        warnings.append(
            f"numbered in {year}, its year in the {tz} time zone; in UTC it is "
            f"{when.astimezone(UTC).year} (set --time-zone to the publisher's zone)"
        )

    body = clean_body(item.content, rules)
    body, closing = split_closing_paragraphs(body, rules)
    slug = (
        short_slug(match.title)
        or short_slug(unquote(item.post_name))
        or f"post-{item.post_id or hashlib.sha1(item.guid.encode()).hexdigest()[:10]}"  # noqa: S324
    )
    excerpt = item.excerpt if html_to_text(item.excerpt) else seo_description(item)
    thumbnail = item.meta.get("_thumbnail_id", "")
    featured = archive.attachments.get(as_id(thumbnail) or 0)
    if thumbnail and featured is None:
        warnings.append(f"its featured image (attachment {thumbnail[:20]}) is not in the export")
    return Plan(
        series_slug=series_slug,
        title=title,
        slug=slug,
        status=status,
        published_at=(when or now) if status == Commentary.Status.PUBLISHED else None,
        year=year,
        number=number,
        suffix=normalise_suffix(match.suffix) if number is not None else "",
        body=body,
        summary=make_summary(excerpt, body),
        authors=bylines(item, closing, archive, warnings),
        topics=topics(item, rules),
        old_paths=old_paths(item, warnings),
        featured=featured if featured and not featured.is_pdf else None,
        pdf=_pdf(item, archive),
        warnings=warnings,
    )


def _pdf(item, archive):
    if item.post_id is not None and item.post_id in archive.pdfs_by_parent:
        return archive.pdfs_by_parent[item.post_id]
    for key, value in item.meta.items():
        if not key.lower().endswith("pdf") and "pdf" not in key.lower():
            continue
        if (found := as_id(value)) in archive.attachments:
            attachment = archive.attachments[found]
            if attachment.is_pdf:
                return attachment
        if "/wp-content/uploads/" in value and PDF_NAME.search(value.split("?", 1)[0]):
            path = unquote(value.split("/wp-content/uploads/", 1)[1].split("?", 1)[0])
            return Attachment(post_id=0, path=path)
    return None


def topics(item: WxrItem, rules: Rules) -> list[TopicSpec]:
    found, seen = [], set()
    for term in item.terms:
        if term.domain not in ("category", "post_tag"):
            continue
        name = decode_name(term.name)
        slug = term_slug(term.nicename, name)
        if not slug or slug in rules.ignore_terms or slug in seen:
            continue
        if term.domain == "category" and slug in rules.series_categories:
            continue
        seen.add(slug)
        found.append(TopicSpec(slug=slug, name=(name or slug)[:100]))
    return found


def _co_author(term, archive: Archive) -> AuthorSpec | None:
    """A Co-Authors Plus (`cap-login`) or PublishPress Authors term as an author."""
    nicename, name = term.nicename, decode_name(term.name)
    if nicename.startswith("cap-"):
        guest = archive.guest_authors.get(nicename)
        if guest is not None:
            meta = guest.meta
            full = f"{meta.get('cap-first_name', '')} {meta.get('cap-last_name', '')}".strip()
            display = decode_name(
                meta.get("cap-display_name", "") or full or clean_title(guest.title)
            )
            email = meta.get("cap-user_email", "")
            bio = html_to_text(meta.get("cap-description", ""))
            return AuthorSpec(display or name, email if is_email(email) else "", bio, False)
        login = nicename[4:]
        user = archive.authors.get(name) or archive.authors.get(login)
        if user is not None:
            return _user_spec(user)
        return AuthorSpec(name or login, "", "", False) if (name or login) else None
    found = archive.author_terms.get(nicename)
    if found is not None:
        meta = dict(found.meta)
        email = meta.get("user_email", "")
        full = f"{meta.get('first_name', '')} {meta.get('last_name', '')}".strip()
        display = decode_name(found.name) or decode_name(full)
        bio = html_to_text(found.description or meta.get("description", ""))
        return AuthorSpec(display or nicename, email if is_email(email) else "", bio, False)
    user = archive.authors.get(nicename) or archive.authors.get(name)
    if user is not None:
        return _user_spec(user)
    return AuthorSpec(name, "", "", False) if name else None


def _user_spec(user: WxrAuthor) -> AuthorSpec:
    # A WordPress account's email is private: match on it, never print it.
    email = user.email if is_email(user.email) else ""
    return AuthorSpec(decode_name(user.name), email, "", False)


def _same_person(a: AuthorSpec, b: AuthorSpec):
    if a.email and b.email and a.email.lower() == b.email.lower():
        return True
    return a.name.casefold() == b.name.casefold()


def bylines(
    item: WxrItem, closing: list[ClosingAuthor], archive: Archive, warnings: list[str]
) -> list[AuthorSpec]:
    """The piece's authors, in order: the closing author paragraphs (they carry
    the bio and email the piece printed), then any co-author from Co-Authors
    Plus or PublishPress Authors they do not already name; without either, the
    post's WordPress user."""
    specs: list[AuthorSpec] = []
    for entry in closing:
        email = entry.email
        if email and not is_email(email):
            warnings.append(f"“{email}” is not an email address; left out")
            email = ""
        specs.append(AuthorSpec(decode_name(entry.name), email, entry.bio[:2000], True))
    co_authors = [
        spec
        for term in item.terms
        if term.domain == "author" and (spec := _co_author(term, archive)) is not None
    ]
    creator = archive.authors.get(item.creator)
    if co_authors and creator is not None:
        first = _user_spec(creator)
        # The post's own author leads, as in Co-Authors Plus's byline.
        co_authors.sort(key=lambda spec: not _same_person(spec, first))
    for spec in co_authors:
        if not any(_same_person(spec, known) for known in specs):
            specs.append(spec)
    if specs:
        return specs
    if creator is None and item.creator:
        creator = WxrAuthor(login=item.creator)
    if creator is None:
        warnings.append("no author")
        return []
    return [_user_spec(creator)]


# -- pages -------------------------------------------------------------------


def page_url(item: WxrItem) -> str:
    """The page's address on the new site: its WordPress path when it was a
    pretty permalink (`/about/team/`), else `/<post_name>/`."""
    path = urlsplit(item.link.strip()).path if item.link else ""
    path = unquote(path)
    if not path or path == "/" or urlsplit(item.link).query:
        name = slugify(unquote(item.post_name)) or f"page-{item.post_id}"
        path = f"/{name}/"
    parts = [slugify(part) for part in path.strip("/").split("/") if part]
    return "/" + "/".join(p for p in parts if p) + "/" if any(parts) else f"/page-{item.post_id}/"


def prepare_page(item: WxrItem, rules: Rules) -> PagePlan:
    if item.status != "publish":
        raise SkipPost(
            f"page with WordPress status “{item.status or 'none'}” "
            "(only published pages are imported)"
        )
    if item.password:
        raise SkipPost("password-protected page")
    warnings: list[str] = []
    title = clean_title(item.title)
    if not title:
        title = f"Untitled (WordPress page {item.post_id})"
        warnings.append(f"no title; imported as “{title}”")
    url = page_url(item)
    return PagePlan(
        title=Truncator(title).chars(200),
        url=url[:100],
        body=clean_body(item.content, rules),
        old_paths=old_paths(item, warnings, short_key="page_id"),
        warnings=warnings,
    )

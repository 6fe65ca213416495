"""A readable comparison of two saved versions of a commentary."""

import difflib
import html
import re

from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

COMPARED_FIELDS = [("title", "Title"), ("summary", "Summary"), ("body", "Body")]
BLOCK_END = re.compile(r"</(p|h[1-6]|li|blockquote|figcaption|tr|pre)>|<br\s*/?>", re.IGNORECASE)
TAG = re.compile(r"<[^>]+>")
TOKEN = re.compile(r"\n|[^\S\n]+|[^\s]+")
CELL_END = re.compile(r"</t[dh]>", re.IGNORECASE)


def readable_text(value: str) -> str:
    """Rich text as an editor reads it: one line per paragraph, no markup."""
    text = CELL_END.sub(" | ", value or "")
    text = BLOCK_END.sub("\n", text)
    text = html.unescape(TAG.sub("", text))
    return "\n".join(line.strip() for line in text.splitlines() if line.strip())


def word_diff(old: str, new: str) -> SafeString:
    """Words removed in <del>, words added in <ins>, everything escaped."""
    a, b = TOKEN.findall(old), TOKEN.findall(new)
    parts = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op == "equal":
            parts.append(("span", "".join(a[i1:i2])))
            continue
        if op in ("delete", "replace"):
            parts.append(("del", "".join(a[i1:i2])))
        if op in ("insert", "replace"):
            parts.append(("ins", "".join(b[j1:j2])))
    return format_html_join("", "<{0}>{1}</{0}>", parts)


def compare_versions(older, newer) -> list[dict]:
    """Title, summary, body (as text, table cells separated by “|”), address,
    publish time, authors with their bios, and topics."""
    from authors.models import Author

    from .history import version_content
    from .models import Topic

    old, new = version_content(older), version_content(newer)
    author_ids = {row["author_id"] for row in old["bylines"] + new["bylines"]}
    authors = dict(Author.objects.filter(pk__in=author_ids).values_list("pk", "name"))
    topic_ids = set(old["topics"] or []) | set(new["topics"] or [])
    topics = dict(Topic.objects.filter(pk__in=topic_ids).values_list("pk", "name"))
    pairs = [
        (label, older.field_dict.get(name) or "", newer.field_dict.get(name) or "")
        for name, label in COMPARED_FIELDS
    ]
    pairs[2] = ("Body", readable_text(pairs[2][1]), readable_text(pairs[2][2]))
    pairs += [
        ("Slug", old["fields"]["slug"] or "", new["fields"]["slug"] or ""),
        ("Publish time", _when(old["published_at"]), _when(new["published_at"])),
        ("Authors", _byline_text(old["bylines"], authors), _byline_text(new["bylines"], authors)),
        (
            "Topics",
            _topic_text(old["topics"] or [], topics),
            _topic_text(new["topics"] or [], topics),
        ),
    ]
    return [
        {
            "label": label,
            "changed": before != after,
            "diff": word_diff(before, after) if before != after else format_html("{}", after),
        }
        for label, before, after in pairs
    ]


def _when(value) -> str:
    if not value:
        return "none"
    return f"{timezone.localtime(value):%Y-%m-%d %H:%M}"


def _byline_text(rows, authors) -> str:
    return "\n".join(
        f"{authors.get(row['author_id'], 'A deleted author')}: {row['bio']}" for row in rows
    )


def _topic_text(ids, topics) -> str:
    return ", ".join(sorted(topics.get(pk, "a deleted topic") for pk in ids))


def compare_restore(commentary, version) -> list[dict]:
    """What restoring `version` onto the piece as it stands would change:
    the content only (title, summary, body, bylines, topics)."""
    from authors.models import Author

    from .history import version_content
    from .models import Topic

    old = version_content(version)
    current_bylines = [
        {"author_id": b.author_id, "bio": b.bio} for b in commentary.bylines.order_by("position")
    ]
    author_ids = {row["author_id"] for row in old["bylines"] + current_bylines}
    authors = dict(Author.objects.filter(pk__in=author_ids).values_list("pk", "name"))
    current_topics = list(commentary.topics.values_list("pk", flat=True))
    if old["topics"] is None:
        old["topics"] = current_topics
    topics = dict(
        Topic.objects.filter(pk__in=set(old["topics"]) | set(current_topics)).values_list(
            "pk", "name"
        )
    )
    pairs = [
        ("Title", commentary.title, old["fields"].get("title") or ""),
        ("Summary", commentary.summary, old["fields"].get("summary") or ""),
        (
            "Body",
            readable_text(commentary.body),
            readable_text(old["fields"].get("body") or ""),
        ),
        (
            "Authors",
            _byline_text(current_bylines, authors),
            _byline_text(old["bylines"], authors),
        ),
        ("Topics", _topic_text(current_topics, topics), _topic_text(old["topics"], topics)),
    ]
    return [
        {
            "label": label,
            "changed": now != then,
            "diff": word_diff(now, then) if now != then else format_html("{}", now),
        }
        for label, now, then in pairs
    ]

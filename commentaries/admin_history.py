"""A readable comparison of two saved versions of a commentary."""

import difflib
import html
import re

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

COMPARED_FIELDS = [("title", "Title"), ("summary", "Summary"), ("body", "Body")]
BLOCK_END = re.compile(r"</(p|h[1-6]|li|blockquote|figcaption|tr|pre)>|<br\s*/?>", re.IGNORECASE)
TAG = re.compile(r"<[^>]+>")
TOKEN = re.compile(r"\n|[^\S\n]+|[^\s]+")


def readable_text(value: str) -> str:
    """Rich text as an editor reads it: one line per paragraph, no markup."""
    text = BLOCK_END.sub("\n", value or "")
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
    rows = []
    for name, label in COMPARED_FIELDS:
        old = older.field_dict.get(name) or ""
        new = newer.field_dict.get(name) or ""
        if name == "body":
            old, new = readable_text(old), readable_text(new)
        rows.append(
            {
                "label": label,
                "changed": old != new,
                "diff": word_diff(old, new) if old != new else format_html("{}", new),
            }
        )
    return rows

"""Reader search over published commentaries.

PostgreSQL: full-text search against the weighted vector the database keeps in
`Commentary.search_vector` (title A; summary, authors and topics B; body C),
web-search syntax (`"exact phrase"`, `or`, `-word`), English stemming, ranking
and highlighted snippets. SQLite: every word must appear in the title, summary,
body, an author's name or a topic.

Snippets come back from the database with private-use sentinel characters
around the matches; the text is escaped as a whole and only then are the
sentinels turned into <mark>, so nothing from the content or the query can
become live HTML.
"""

import html
import re

from django.contrib.postgres.search import SearchHeadline, SearchQuery, SearchRank
from django.db import connection
from django.db.models import (
    Case,
    Exists,
    F,
    Func,
    IntegerField,
    OuterRef,
    Q,
    TextField,
    Value,
    When,
)
from django.utils.html import escape
from django.utils.safestring import mark_safe

from .models import Byline, Commentary, TaggedCommentary

MAX_QUERY_LENGTH = 500
MAX_FALLBACK_WORDS = 8
START, STOP = "\ue000", "\ue001"
_MARKED = re.compile(f"{START}(.*?){STOP}", re.DOTALL)
_WORD = re.compile(r"[\w'’-]+")


def uses_full_text() -> bool:
    return connection.vendor == "postgresql"


def safe_snippet(text: str | None):
    """Escape a snippet, keeping only the <mark> around matched words."""
    if not text:
        return ""
    text = html.unescape(text)
    text = " ".join(text.split())
    marked = _MARKED.sub(r"<mark>\1</mark>", escape(text))
    return mark_safe(marked.replace(START, "").replace(STOP, ""))


def _full_text(queryset, query: str):
    search_query = SearchQuery(query, search_type="websearch", config="english")
    return (
        queryset.filter(search_vector=search_query)
        .annotate(
            rank=SearchRank(F("search_vector"), search_query),
            headline=SearchHeadline(
                Func(F("body"), function="commentaries_strip_tags", output_field=TextField()),
                search_query,
                config="english",
                start_sel=START,
                stop_sel=STOP,
                max_words=40,
                min_words=20,
                max_fragments=2,
                fragment_delimiter=" … ",
            ),
        )
        .order_by("-rank", "-published_at", "-id")
    )


def fallback_words(query: str) -> list[str]:
    return _WORD.findall(query)[:MAX_FALLBACK_WORDS]


def _fallback(queryset, query: str):
    words = fallback_words(query)
    if not words:
        return queryset.none()
    for word in words:
        queryset = queryset.filter(
            Q(title__icontains=word)
            | Q(summary__icontains=word)
            | Q(body__icontains=word)
            | Exists(Byline.objects.filter(commentary=OuterRef("pk"), author__name__icontains=word))
            | Exists(
                TaggedCommentary.objects.filter(
                    content_object=OuterRef("pk"), tag__name__icontains=word
                )
            )
        )
    first = words[0]
    return queryset.annotate(
        rank=Case(
            When(title__icontains=first, then=Value(3)),
            When(summary__icontains=first, then=Value(2)),
            default=Value(1),
            output_field=IntegerField(),
        ),
        headline=F("summary"),
    ).order_by("-rank", "-published_at", "-id")


def search_commentaries(query: str, *, queryset=None):
    """Published pieces matching `query`, best first, each with `rank` and a
    raw `headline` (pass it through `safe_snippet`)."""
    if queryset is None:
        queryset = Commentary.objects.published()
    query = query.strip()
    if not query:
        return queryset.none()
    if uses_full_text():
        return _full_text(queryset, query)
    return _fallback(queryset, query)

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
RANK_WINDOW = 1000
START, STOP = "\ue000", "\ue001"
_MARKED = re.compile(f"{START}(.*?){STOP}", re.DOTALL)
_WORD = re.compile(r"[\w'’-]+")
MAX_SEARCH_TERMS = 32
_TERM = re.compile(r'"[^"]*"?|[^\s"]+')
# A "-" that does not join two letters would be read as NOT by PostgreSQL's
# web-search parser; a long run of them overflows its stack ("tsquery stack
# too small", a 500).
_LOOSE_DASHES = re.compile(r"(?<!\w)-+|-+(?!\w)")


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


def websearch_text(query: str) -> str:
    """`query` in the web-search syntax readers use ("exact phrase", `or`,
    `-word`), with at most one NOT per word, no stray operators and at most
    MAX_SEARCH_TERMS terms, so that any input is a query PostgreSQL can run."""
    terms = []
    for term in _TERM.findall(query)[:MAX_SEARCH_TERMS]:
        if term.startswith('"'):
            phrase = " ".join(_LOOSE_DASHES.sub(" ", term.strip('"')).split())
            if phrase:
                terms.append(f'"{phrase}"')
            continue
        negated = term.startswith("-")
        word = " ".join(_LOOSE_DASHES.sub(" ", term).split())
        if word:
            terms.append(f"-{word}" if negated else word)
    return " ".join(terms)


def _search_query(query: str):
    return SearchQuery(websearch_text(query), search_type="websearch", config="english")


RELEVANCE, NEWEST, OLDEST = "relevance", "newest", "oldest"
SORTS = [(RELEVANCE, "Relevance"), (NEWEST, "Newest first"), (OLDEST, "Oldest first")]


def _window_order(sort: str):
    return ("published_at", "id") if sort == OLDEST else ("-published_at", "-id")


def _full_text_ranking(queryset, query: str, sort: str):
    search_query = _search_query(query)
    # Ranking reads each candidate's whole vector, so only the newest
    # RANK_WINDOW matches are ranked (in the same scan that finds them): a word
    # found in most of a 100,000-piece archive would otherwise cost seconds.
    # Oldest first reads the window from the other end.
    return (
        queryset.filter(search_vector=search_query)
        .order_by(*_window_order(sort))
        .annotate(rank=SearchRank(F("search_vector"), search_query))
        .values_list("pk", "rank", "published_at")[:RANK_WINDOW]
    )


def fallback_words(query: str) -> list[str]:
    return _WORD.findall(query)[:MAX_FALLBACK_WORDS]


def _fallback_ranking(queryset, query: str, sort: str):
    words = fallback_words(query)
    if not words:
        return []
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
    return (
        queryset.order_by(*_window_order(sort))
        .annotate(
            rank=Case(
                When(title__icontains=first, then=Value(3)),
                When(summary__icontains=first, then=Value(2)),
                default=Value(1),
                output_field=IntegerField(),
            )
        )
        .values_list("pk", "rank", "published_at")[:RANK_WINDOW]
    )


def ranked_ids(query: str, *, queryset=None, sort: str = RELEVANCE) -> list[int]:
    """Ids of the published pieces matching `query`: by relevance, the best of
    the newest RANK_WINDOW matches; by date, the RANK_WINDOW newest or oldest
    in that order. One query."""
    if queryset is None:
        queryset = Commentary.objects.published()
    query = query.strip()
    if not query:
        return []
    ranking = _full_text_ranking if uses_full_text() else _fallback_ranking
    rows = list(ranking(queryset, query, sort))
    if sort == RELEVANCE:
        rows.sort(key=lambda row: (row[1], row[2], row[0]), reverse=True)
    return [pk for pk, _rank, _published_at in rows]


def fetch_results(ids: list[int], query: str) -> list[Commentary]:
    """The pieces `ids` (one page of results) in that order, with bylines and
    a `snippet` where only <mark> is HTML (bylines from the stored credits).
    One query."""
    if not ids:
        return []
    queryset = (
        Commentary.objects.filter(pk__in=ids)
        .select_related("series")
        .with_credits()
        .defer("search_vector", "surroundings")
    )
    if uses_full_text():
        queryset = queryset.annotate(
            headline=SearchHeadline(
                Func(F("body"), function="commentaries_strip_tags", output_field=TextField()),
                _search_query(query),
                config="english",
                start_sel=START,
                stop_sel=STOP,
                max_words=40,
                min_words=20,
                max_fragments=2,
                fragment_delimiter=" … ",
            )
        )
    found = {piece.pk: piece for piece in queryset}
    results = [found[pk] for pk in ids if pk in found]
    for piece in results:
        piece.snippet = safe_snippet(getattr(piece, "headline", "")) or piece.summary
    return results

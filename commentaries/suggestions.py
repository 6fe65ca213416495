"""“Did you mean …?” for searches with misspelt words (PostgreSQL).

Each word of the query (three letters or more) is looked up in the archive's
own vocabulary, `SearchWord`, which the database keeps current as pieces are
published. A word the archive has used is left alone; any other is replaced by
the most similar public word of about its length (pg_trgm trigram
similarity, at least `pg_trgm.similarity_threshold`, 0.3 by default), unless that word only differs
by an ending the search ignores anyway (the same English stem). One query for
the whole query, through the word list's trigram index.
"""

import re

from django.db import connection
from django.utils import timezone

from .search import uses_full_text

_WORD = re.compile(r"[^\W\d_]{3,40}")
MAX_WORDS = 8
# Words with a meaning in the search syntax.
_OPERATORS = {"or", "and", "not"}

# Known words cost one primary-key probe; only an unknown word is matched
# against the list, among words of about its length (a typo rarely adds or
# drops more than two letters), through the trigram index.
NEAREST_SQL = """
SELECT q.word, k.known, near.word,
       to_tsvector('english', near.word) = to_tsvector('english', q.word)
FROM unnest(%(words)s::text[]) WITH ORDINALITY AS q(word, n)
CROSS JOIN LATERAL (
  SELECT EXISTS (SELECT 1 FROM commentaries_searchword k
                 WHERE k.word = q.word AND k.first_published_at <= %(now)s) AS known
) k
LEFT JOIN LATERAL (
  SELECT s.word FROM commentaries_searchword s
  WHERE NOT k.known AND s.word %% q.word
    AND length(s.word) BETWEEN length(q.word) - 2 AND length(q.word) + 2
    AND s.first_published_at <= %(now)s
  ORDER BY similarity(s.word, q.word) DESC, s.word
  LIMIT 1
) near ON true
ORDER BY q.n
"""


def corrections(words: list[str]) -> dict[str, str]:
    """{misspelt word: suggested word} for the lower-case `words`."""
    if not words or not uses_full_text():
        return {}
    with connection.cursor() as cursor:
        # The same clock as the visibility rule (`published()`), not the
        # transaction's start time.
        cursor.execute(NEAREST_SQL, {"words": words, "now": timezone.now()})
        rows = cursor.fetchall()
    return {
        word: nearest
        for word, known, nearest, same_stem in rows
        if not known and nearest and not same_stem
    }


def did_you_mean(query: str, *, keep=()) -> str | None:
    """`query` with its misspelt words corrected, or None when nothing needs
    correcting. Words in `keep` (series names, for instance) are never
    changed; everything else in the query (quotes, `or`, `-word`, numbers)
    stays as it was."""
    keep = {word.lower() for phrase in keep for word in _WORD.findall(phrase)}
    words = []
    for match in _WORD.finditer(query):
        word = match.group().lower()
        if word not in keep and word not in _OPERATORS and word not in words:
            words.append(word)
    fixes = corrections(words[:MAX_WORDS])
    if not fixes:
        return None

    def fix(match):
        word = match.group()
        return fixes.get(word.lower(), word)

    return _WORD.sub(fix, query)

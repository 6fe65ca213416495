"""Finding a piece by the number people cite it by.

Staff, other think tanks and journalists cite a piece as “PacNet #68”,
“PacNet 68”, “#68”, “68R” or “2019 #68”. `parse_number_query()` reads those
forms out of a search query; `number_matches()` turns them into a filter.

What counts as a number:
- `#68` and `#68R` (a number sign, with or without a space after it), `no. 68`;
- `68R`, `68R2` (a number with a response suffix, the label's own form);
- a bare `68` next to a series' label or name (“PacNet 68”), or when the query
  is nothing but numbers (“68”, “2019 68”);
- a four-digit year (1900-2199) beside a number narrows it to that year
  (“2019 #68”, “PacNet #68 (2019)”). A year alone names no piece, and a bare
  1900-2199 is always a year (write “#1950” for a number).

A number with no suffix names the main piece only (“#68” is not “#68R”). The
series' labels and names are matched whole-word and case-insensitively.
"""

import re
from dataclasses import dataclass, field

from django.db.models import Q

from .numbering import RESPONSE_SUFFIX, normalise_suffix

# A response suffix as labels write it (numbering.response_suffix): R, R2, R3 …
_SUFFIX = rf"{re.escape(RESPONSE_SUFFIX)}\d{{0,3}}"
_NUMBER_SIGN = re.compile(rf"(?:#|\bno\.?)\s*(?P<number>\d{{1,6}})(?P<suffix>{_SUFFIX})?\b", re.I)
_WITH_SUFFIX = re.compile(rf"\b(?P<number>\d{{1,6}})(?P<suffix>{_SUFFIX})\b", re.I)
_BARE = re.compile(r"(?<![\w#.-])(?P<number>\d{1,6})(?![\w.-])")
_YEAR = range(1900, 2200)
_ONLY_NUMBERS = re.compile(rf"[\s#(),.;:]*(?:(?:no\.?|\d+(?:{_SUFFIX})?)[\s#(),.;:]*)+", re.I)


@dataclass
class NumberQuery:
    numbers: list[tuple[int, str]] = field(default_factory=list)  # (number, suffix)
    year: int | None = None
    series_ids: list[int] = field(default_factory=list)

    def __bool__(self):
        return bool(self.numbers)


def _series_named(query: str, series) -> tuple[list[int], str]:
    """Ids of the series whose label or name the query contains, and the
    query with those names blanked out."""
    found = []
    for item in series:
        names = {item.short_label, item.name}
        for name in sorted(filter(None, names), key=len, reverse=True):
            pattern = re.compile(rf"(?<!\w){re.escape(name)}(?!\w)", re.I)
            if pattern.search(query):
                found.append(item.pk)
                query = pattern.sub(" ", query)
    return found, query


def parse_number_query(query: str, *, series=()) -> NumberQuery:
    """The piece numbers `query` names (see the module), given the site's
    `series` (objects with pk, short_label and name)."""
    series_ids, rest = _series_named(query, series)
    numbers, spans = [], []
    for pattern in (_NUMBER_SIGN, _WITH_SUFFIX):
        for match in pattern.finditer(rest):
            if any(start <= match.start() < end for start, end in spans):
                continue
            spans.append(match.span())
            numbers.append((int(match["number"]), normalise_suffix(match["suffix"])))
    bare = [m for m in _BARE.finditer(rest) if not any(s <= m.start() < e for s, e in spans)]
    years = [m for m in bare if int(m["number"]) in _YEAR]
    others = [m for m in bare if int(m["number"]) not in _YEAR]
    if series_ids or _ONLY_NUMBERS.fullmatch(rest):
        numbers += [(int(m["number"]), "") for m in others]
    year = int(years[0]["number"]) if years and numbers else None
    return NumberQuery(numbers=list(dict.fromkeys(numbers)), year=year, series_ids=series_ids)


def number_matches(parsed: NumberQuery) -> Q:
    """A filter for the pieces `parsed` names."""
    wanted = Q()
    for number, suffix in parsed.numbers:
        wanted |= Q(number=number, suffix=suffix)
    if parsed.year is not None:
        wanted &= Q(year=parsed.year)
    if parsed.series_ids:
        wanted &= Q(series__in=parsed.series_ids)
    return wanted

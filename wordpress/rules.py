"""Import rules: which posts to take, and how titles name a series and number.

The defaults live in `rules.toml` next to this module; a file passed with
`--series-rules` replaces the keys it sets.
"""

import fnmatch
import functools
import hashlib
import html
import json
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from commentaries.models import RESERVED_SLUGS, Series

DEFAULT_RULES = Path(__file__).with_name("rules.toml")
NUMBERINGS = {choice.value for choice in Series.Numbering}


class RulesError(Exception):
    """The rules file cannot be used."""


@dataclass(frozen=True)
class SeriesRule:
    slug: str
    name: str
    short_label: str
    numbering: str
    title_patterns: tuple[re.Pattern, ...]
    categories: frozenset[str]


@dataclass(frozen=True)
class TitleMatch:
    series_slug: str | None
    title: str
    number: int | None = None
    suffix: str = ""


@dataclass(frozen=True)
class Rules:
    post_types: frozenset[str]
    default_series: str
    ignore_terms: frozenset[str]
    trailing_boilerplate: tuple[re.Pattern, ...]
    shortcodes: tuple[str, ...]
    series: tuple[SeriesRule, ...]
    fingerprint: str

    def match_title(self, title: str) -> TitleMatch:
        """The series, number and bare title a WordPress title stands for."""
        title = clean_title(title)
        for rule in self.series:
            for pattern in rule.title_patterns:
                found = pattern.match(title)
                if not found:
                    continue
                groups = found.groupdict()
                number = groups.get("number")
                return TitleMatch(
                    series_slug=rule.slug,
                    title=groups["title"].strip(),
                    number=int(number) if number else None,
                    suffix=(groups.get("suffix") or "").upper(),
                )
        return TitleMatch(series_slug=None, title=title)

    def series_for_category(self, slugs) -> str | None:
        for rule in self.series:
            if rule.categories & set(slugs):
                return rule.slug
        return None

    @functools.cached_property
    def series_categories(self) -> frozenset[str]:
        return frozenset().union(*(rule.categories for rule in self.series))

    def is_shortcode(self, name: str) -> bool:
        return _is_shortcode(name.lower(), self.shortcodes)

    def rule_for(self, slug: str) -> SeriesRule | None:
        return next((rule for rule in self.series if rule.slug == slug), None)


@functools.lru_cache(maxsize=1024)
def _is_shortcode(name, patterns):
    return any(fnmatch.fnmatchcase(name, pattern) for pattern in patterns)


TITLE_TAG = re.compile(r"</?[A-Za-z][^<>]*>")


def clean_title(title: str) -> str:
    """A WordPress title as plain text: its HTML tags (“<em>With</em>”) go, and
    its entities (“&#8211;”, “&amp;”) are decoded exactly once, so a title that
    says “&amp;lt;” keeps saying “&lt;”."""
    return re.sub(r"\s+", " ", html.unescape(TITLE_TAG.sub("", title or ""))).strip()


def _compile(pattern, where):
    try:
        compiled = re.compile(pattern, re.IGNORECASE)
    except re.error as exc:
        raise RulesError(f"{where}: invalid regular expression {pattern!r}: {exc}") from exc
    return compiled


def _strings(data, key, where):
    value = data.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise RulesError(f"{where}: “{key}” must be a list of strings.")
    return value


def _series_rule(data, index):
    where = f"[[series]] number {index + 1}"
    if not isinstance(data, dict):
        raise RulesError(f"{where} must be a table.")
    missing = [key for key in ("slug", "name") if not data.get(key)]
    if missing:
        raise RulesError(f"{where} needs {', '.join(missing)}.")
    if data["slug"] in RESERVED_SLUGS:
        raise RulesError(
            f"{where}: the slug “{data['slug']}” is an address the site uses itself; pick another."
        )
    numbering = data.get("numbering", Series.Numbering.YEARLY)
    if numbering not in NUMBERINGS:
        raise RulesError(f"{where}: numbering must be one of {', '.join(sorted(NUMBERINGS))}.")
    patterns = []
    for pattern in _strings(data, "title_patterns", where):
        compiled = _compile(pattern, where)
        if "title" not in compiled.groupindex:
            raise RulesError(f"{where}: the pattern {pattern!r} needs a (?P<title>…) group.")
        patterns.append(compiled)
    return SeriesRule(
        slug=data["slug"],
        name=data["name"],
        short_label=data.get("short_label") or data["name"],
        numbering=numbering,
        title_patterns=tuple(patterns),
        categories=frozenset(c.lower() for c in _strings(data, "categories", where)),
    )


def load_rules(path: str | Path | None = None) -> Rules:
    data = tomllib.loads(DEFAULT_RULES.read_text(encoding="utf-8"))
    if path is not None:
        try:
            custom = tomllib.loads(Path(path).read_text(encoding="utf-8"))
        except OSError as exc:
            raise RulesError(f"cannot read the rules file {path}: {exc}") from exc
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise RulesError(f"the rules file {path} is not valid TOML: {exc}") from exc
        data.update(custom)
    where = str(path or DEFAULT_RULES)
    series = data.get("series", [])
    if not isinstance(series, list):
        raise RulesError(f"{where}: “series” must be an array of tables ([[series]]).")
    default_series = data.get("default_series", "")
    if not isinstance(default_series, str):
        raise RulesError(f"{where}: “default_series” must be a series slug.")
    return Rules(
        post_types=frozenset(_strings(data, "post_types", where)),
        default_series=default_series,
        ignore_terms=frozenset(t.lower() for t in _strings(data, "ignore_terms", where)),
        trailing_boilerplate=tuple(
            _compile(p, where) for p in _strings(data, "trailing_boilerplate", where)
        ),
        shortcodes=tuple(s.lower() for s in _strings(data, "shortcodes", where)),
        series=tuple(_series_rule(rule, i) for i, rule in enumerate(series)),
        fingerprint=hashlib.sha256(
            json.dumps(data, sort_keys=True, default=str).encode()
        ).hexdigest(),
    )

"""Keep secrets and addresses out of every log line.

Subscribers' personal links hold signed tokens that stay valid for months, and
request lines carry query strings (searches, tracking ids, sometimes an
address). Before anything is written to a log:

- the value of every URL kwarg named `token` (found from the URL resolver, so
  a new route with a `<token>` is covered) becomes `[token]`;
- anything shaped like a Django-signed value (`payload:timestamp:signature`)
  becomes `[signed]`, wherever it appears (a Referer, an exception message);
- every query-string value becomes `[value]` (the names are kept);
- anything shaped like an email address becomes `[address]`.

Used by the log record factory and the formatters (`pacforum.requestlog`) and
by gunicorn's logger (`pacforum.gunicorn_logging.RedactingLogger`).
"""

import re
from functools import cache

from django.apps import apps
from django.conf import settings
from django.urls import URLPattern, URLResolver, get_resolver, get_urlconf

SECRET_KWARGS = ("token",)
# Both patterns start only where a run of their first characters starts (the
# lookbehinds; a signed value may also start at the "." before its run):
# tried from every position inside a long run, each failed try rescans the
# rest of it, and a 4,000-character path took ~0.4 s a pass. A match found
# from inside a run would have been found from its start, so what is
# redacted is the same.
_SIGNED = re.compile(
    r"(?:\.|(?<![A-Za-z0-9_-]))[A-Za-z0-9_-]{6,}(?::[A-Za-z0-9_-]{4,}){1,2}:[A-Za-z0-9_-]{20,}"
)
_ADDRESS = re.compile(
    r"(?<![^\s@\"'<>(),;:/\\\[\]])"
    r"[^\s@\"'<>(),;:/\\\[\]]+@[A-Za-z0-9\u00a0-\uffff.-]+\.[A-Za-z\u00a0-\uffff]{2,}"
)
# Every signed value ends in ":" and 20 or more of these characters. Searching
# for that first is cheap; _SIGNED and _ADDRESS on their own try every start
# position of a long run of word characters (a slug): ~0.4 ms and ~0.2 ms for
# one 400-character JSON line, which has no signed value and no "@".
_SIGNED_END = re.compile(r":[A-Za-z0-9_-]{20}")
_QUERY = re.compile(r"\?([^\s\"'#<>]+)")
_QUERY_PAIR = re.compile(r"(^|[&;])([^=&;]*)=([^&;]*)")


def _walk(patterns, prefix=""):
    for pattern in patterns:
        regex = pattern.pattern.regex.pattern.lstrip("^")
        regex = regex.removesuffix(r"\Z").removesuffix("$")
        if isinstance(pattern, URLResolver):
            yield from _walk(pattern.url_patterns, prefix + regex)
        elif isinstance(pattern, URLPattern) and any(
            name in pattern.pattern.regex.groupindex for name in SECRET_KWARGS
        ):
            yield prefix + regex


@cache
def _secret_routes(urlconf):
    """One regex matching every route of `urlconf` whose URL carries a secret kwarg."""
    routes = []
    for number, route in enumerate(sorted(set(_walk(get_resolver(urlconf).url_patterns)))):
        # Group names must be unique in one regex.
        for name in SECRET_KWARGS:
            route = route.replace(f"(?P<{name}>", f"(?P<{name}_{number}>")
        routes.append(f"(?:{route})")
    if not routes:
        return None
    return re.compile("/(?:" + "|".join(routes) + ")")


def _redact_route(match):
    text = match.group(0)
    start = match.start()
    pieces, last = [], 0
    for name, value in match.groupdict().items():
        if value is None or not name.startswith(SECRET_KWARGS):
            continue
        begin, end = match.span(name)
        pieces += [text[last : begin - start], "[token]"]
        last = end - start
    return "".join(pieces) + text[last:]


def redact_query(query: str) -> str:
    return _QUERY_PAIR.sub(lambda m: f"{m.group(1)}{m.group(2)}=[value]", query)


def redact(text: str) -> str:
    """`text` without tokens, signed values, query-string values or addresses."""
    if not text:
        return text
    # Each pattern runs only on text that holds what every match of it holds:
    # most of gunicorn's ~26 access-log fields ("GET", "200", "-") hold none,
    # and looking up the routes alone took ~14 us a field.
    if "/" in text and apps.ready:
        # Before Django is set up (gunicorn's master process) the routes are
        # not known; the shape of a signed value still gives tokens away.
        routes = _secret_routes(get_urlconf() or settings.ROOT_URLCONF)
        if routes is not None:
            text = routes.sub(_redact_route, text)
    if _SIGNED_END.search(text):
        text = _SIGNED.sub("[signed]", text)
    if "?" in text:
        text = _QUERY.sub(lambda m: "?" + redact_query(m.group(1)), text)
    if "@" in text:
        text = _ADDRESS.sub("[address]", text)
    return text

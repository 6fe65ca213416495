"""“Cite this”: Chicago and APA text, BibTeX and RIS downloads for a piece.

Every function takes a commentary whose bylines (with authors) are prefetched,
the absolute URL of the piece and the publisher's name. The text functions
return plain text; templates escape it.
"""

import re
from datetime import date

from django.utils import timezone


def _authors(commentary):
    return [byline.author for byline in commentary.bylines.all()]


def _split(author):
    """(family, given) from the author's sort name “Family, Given”."""
    if "," in author.sort_name:
        family, given = (part.strip() for part in author.sort_name.split(",", 1))
        return family, given
    parts = author.name.split()
    return (parts[-1], " ".join(parts[:-1])) if len(parts) > 1 else (author.name, "")


def _published(commentary) -> date:
    return timezone.localtime(commentary.published_at or timezone.now()).date()


def _number(commentary) -> str:
    return f"{commentary.number}{commentary.suffix}" if commentary.number is not None else ""


def _join(names, conjunction):
    if len(names) <= 1:
        return "".join(names)
    if len(names) == 2:
        return f"{names[0]} {conjunction} {names[1]}"
    return ", ".join(names[:-1]) + f", {conjunction} {names[-1]}"


def chicago(commentary, url: str, publisher: str) -> str:
    authors = _authors(commentary)
    names = []
    for index, author in enumerate(authors):
        family, given = _split(author)
        names.append(f"{family}, {given}" if index == 0 and given else author.name)
    byline = _join(names, "and")
    when = _published(commentary)
    number = f", no. {_number(commentary)}" if _number(commentary) else ""
    title = commentary.title.replace("“", "‘").replace("”", "’")
    parts = [f"{byline}." if byline else "", f"“{title}.”"]
    parts.append(f"{commentary.series.name}{number}.")
    parts.append(f"{publisher}, {when:%B} {when.day}, {when.year}.")
    parts.append(f"{url}.")
    return " ".join(p for p in parts if p)


def _initials(given: str) -> str:
    return " ".join(f"{part[0]}." for part in re.split(r"[\s]+", given) if part)


def apa(commentary, url: str, publisher: str) -> str:
    names = []
    for author in _authors(commentary):
        family, given = _split(author)
        names.append(f"{family}, {_initials(given)}" if given else family)
    byline = ", ".join(names[:-1]) + f", & {names[-1]}" if len(names) > 1 else "".join(names)
    when = _published(commentary)
    label = commentary.series.short_label
    number = f" ({label} No. {_number(commentary)})" if _number(commentary) else ""
    title = f"{commentary.title}{number}."
    date_part = f"({when.year}, {when:%B} {when.day})."
    return " ".join(
        p for p in [byline if byline else "", date_part, title, f"{publisher}.", url] if p
    )


def _bibtex_escape(text: str) -> str:
    return re.sub(r"([{}\\&%$#_])", r"\\\1", text)


def citation_key(commentary) -> str:
    first = _authors(commentary)[:1]
    family = _split(first[0])[0] if first else commentary.series.short_label
    word = re.sub(r"[^A-Za-z0-9]", "", family) or "piece"
    return f"{word}{_published(commentary).year}{_number(commentary)}".lower()


def bibtex(commentary, url: str, publisher: str) -> str:
    authors = " and ".join(
        f"{{{_bibtex_escape(family)}}}, {_bibtex_escape(given)}" if given else f"{{{family}}}"
        for family, given in (_split(a) for a in _authors(commentary))
    )
    when = _published(commentary)
    fields = [
        ("title", _bibtex_escape(commentary.title)),
        ("author", authors),
        ("series", _bibtex_escape(commentary.series.name)),
        ("number", _number(commentary)),
        ("institution", _bibtex_escape(publisher)),
        ("year", str(when.year)),
        ("month", when.strftime("%b").lower()),
        ("date", when.isoformat()),
        ("url", url),
    ]
    body = ",\n".join(
        f"  {name} = {value}" if name == "month" else f"  {name} = {{{value}}}"
        for name, value in fields
        if value
    )
    return f"@techreport{{{citation_key(commentary)},\n{body}\n}}\n"


def ris(commentary, url: str, publisher: str) -> str:
    when = _published(commentary)
    lines = ["TY  - RPRT", f"TI  - {commentary.title}"]
    for author in _authors(commentary):
        family, given = _split(author)
        lines.append(f"AU  - {family}, {given}" if given else f"AU  - {family}")
    lines += [
        f"T2  - {commentary.series.name}",
        f"PY  - {when.year}",
        f"DA  - {when:%Y/%m/%d}",
        f"PB  - {publisher}",
        f"UR  - {url}",
    ]
    if _number(commentary):
        lines.append(f"IS  - {_number(commentary)}")
    if commentary.summary:
        lines.append(f"AB  - {commentary.summary}")
    lines.append("ER  - ")
    return "\r\n".join(lines) + "\r\n"

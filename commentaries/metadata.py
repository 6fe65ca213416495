"""Structured data for search engines: JSON-LD for a commentary page.

The JSON-LD block is a data block (`type="application/ld+json"`), which
browsers never execute, so a Content Security Policy does not apply to it.
"""

import json

from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import mark_safe

_JSON_ESCAPES = {ord("<"): "\\u003C", ord(">"): "\\u003E", ord("&"): "\\u0026"}


def json_ld(data: dict):
    payload = json.dumps(data, ensure_ascii=False, indent=None, separators=(",", ":"))
    return format_html(
        '<script type="application/ld+json">{}</script>',
        mark_safe(payload.translate(_JSON_ESCAPES)),
    )


def commentary_json_ld(commentary, *, url: str, absolute, publisher: str, image=None):
    """`absolute` turns a path into an absolute URL; `image` is the piece's
    shared image (a `pacforum.images.ResponsiveImage`), if any."""
    authors = []
    for byline in commentary.bylines.all():
        author = byline.author
        person = {
            "@type": "Person",
            "name": author.name,
            "url": absolute(author.get_absolute_url()),
        }
        affiliations = [
            {"@type": "Organization", "name": a.organization.name}
            | ({"url": a.organization.url} if a.organization.url else {})
            for a in getattr(author, "current_affiliations", [])
        ]
        if affiliations:
            person["affiliation"] = affiliations if len(affiliations) > 1 else affiliations[0]
        authors.append(person)
    data = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "headline": commentary.display_title[:110],
        "name": commentary.display_title,
        "url": url,
        "mainEntityOfPage": url,
        "author": authors,
        "publisher": {"@type": "Organization", "name": publisher},
        "isPartOf": {
            "@type": "CreativeWorkSeries",
            "name": commentary.series.name,
            "url": absolute(commentary.series.get_absolute_url()),
        },
        "keywords": [topic.name for topic in commentary.topics.all()],
    }
    if commentary.published_at:
        data["datePublished"] = timezone.localtime(commentary.published_at).isoformat()
    if commentary.updated_at:
        data["dateModified"] = timezone.localtime(commentary.updated_at).isoformat()
    if commentary.summary:
        data["description"] = commentary.summary
    if commentary.number is not None:
        data["identifier"] = commentary.label
    corrections = [
        {
            "@type": "CorrectionComment",
            "text": note["text"],
            "datePublished": timezone.localtime(note["noted_at"]).isoformat(),
        }
        for note in commentary.correction_notes
    ]
    if corrections:
        data["correction"] = corrections
    if image is not None:
        data["image"] = {
            "@type": "ImageObject",
            "url": absolute(image.share.url),
            "width": image.share.width,
            "height": image.share.height,
        } | ({"caption": image.alt} if image.alt else {})
    if commentary.pdf:
        data["encoding"] = {
            "@type": "MediaObject",
            "contentUrl": absolute(commentary.pdf.url),
            "encodingFormat": "application/pdf",
        }
    return json_ld(data)

"""RSS 2.0 and Atom feeds: all pieces, per series, per author and per topic.

Links are made absolute from the request's host (the one ALLOWED_HOSTS
accepted), like the canonical links in the pages.
"""

import copy
import re

from django.conf import settings
from django.contrib.sites.shortcuts import get_current_site
from django.contrib.syndication.views import Feed
from django.http import Http404, HttpResponsePermanentRedirect
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.utils.feedgenerator import Atom1Feed, Enclosure, Rss201rev2Feed

from authors import selectors as author_selectors
from pacforum.pagecache import page_shows
from pacforum.sanitizer import sanitize_html

from . import cachekeys, selectors
from .site_state import series_by_slug

# href="/…", src="/…" and href="#…" in a body: feed readers resolve relative
# addresses against the feed, not the piece, so they are made absolute.
_RELATIVE = re.compile(r'(\s(?:href|src)=")(/(?!/)[^"]*|#[^"]*)"')


class FullTextRss(Rss201rev2Feed):
    """RSS 2.0 with the whole piece in `content:encoded`."""

    def rss_attributes(self):
        return {
            **super().rss_attributes(),
            "xmlns:content": "http://purl.org/rss/1.0/modules/content/",
        }

    def add_item_elements(self, handler, item):
        super().add_item_elements(handler, item)
        if item.get("content"):
            handler.addQuickElement("content:encoded", item["content"])


class FullTextAtom(Atom1Feed):
    """Atom with the whole piece in `<content type="html">`."""

    def add_item_elements(self, handler, item):
        super().add_item_elements(handler, item)
        if item.get("content"):
            handler.addQuickElement("content", item["content"], {"type": "html"})


FEED_LENGTH = 20


class CommentaryFeed(Feed):
    feed_type = FullTextRss
    kind = "all"
    # Entry ids are tag: URIs made from the piece's primary key: they never
    # change when its slug, series or number does, so feed readers never show
    # a piece again as new.
    item_guid_is_permalink = False

    def __call__(self, request, *args, **kwargs):
        # One Feed instance serves every request: work on a copy that knows
        # its request.
        feed = copy.copy(self)
        feed.request = request
        return Feed.__call__(feed, request, *args, **kwargs)

    def absolute(self, path):
        return self.request.build_absolute_uri(path)

    def get_object(self, request, slug=None):
        return None

    def title(self, obj):
        return f"{settings.SITE_NAME}: latest commentaries"

    def description(self, obj):
        return f"The newest commentaries published by {settings.SITE_NAME}."

    subtitle = description

    def link(self, obj):
        return self.absolute(reverse("commentaries:home"))

    def feed_url(self, obj):
        return self.absolute(self.request.path)

    def filter_items(self, queryset, obj):
        return queryset

    def listing_keys(self, obj):
        """The page-cache keys of this feed's list (its pieces' keys come on top)."""
        return (cachekeys.ALL,)

    def items(self, obj):
        # With the bodies: series may put whole pieces in their feeds.
        queryset = selectors.listing().defer(None).defer("search_vector")
        queryset = self.filter_items(queryset, obj)
        items = list(queryset[:FEED_LENGTH])
        page_shows(*self.listing_keys(obj), cachekeys.TOPICS)
        cachekeys.shows_pieces(items)
        return items

    def item_title(self, item):
        return item.display_title

    def item_description(self, item):
        notes = [
            f"Correction ({timezone.localtime(note['noted_at']):%B %-d, %Y}): {note['text']}"
            for note in item.correction_notes
        ]
        return "\n\n".join([item.summary, *notes]) if notes else item.summary

    def item_link(self, item):
        return self.absolute(item.get_absolute_url())

    def item_guid(self, item):
        """`tag:<site domain>,<day the piece was created>:commentary/<pk>` (RFC 4151)."""
        domain = get_current_site(self.request).domain
        created = timezone.localtime(item.created_at).date().isoformat()
        return f"tag:{domain},{created}:commentary/{item.pk}"

    def item_extra_kwargs(self, item):
        if not item.series.feeds_full_text:
            return {}
        link = self.item_link(item)

        def absolute(match):
            target = match.group(2)
            url = link + target if target.startswith("#") else self.absolute(target)
            return f'{match.group(1)}{url}"'

        return {"content": _RELATIVE.sub(absolute, sanitize_html(item.body))}

    def item_enclosures(self, item):
        if not item.pdf:
            return []
        length = str(item.pdf_size or 0)
        return [Enclosure(self.absolute(item.pdf.url), length, "application/pdf")]

    def item_pubdate(self, item):
        return item.published_at

    def item_updateddate(self, item):
        return max(item.updated_at, item.published_at)

    def item_author_name(self, item):
        return ", ".join(byline.author.name for byline in item.bylines.all()) or None

    def item_categories(self, item):
        return [topic.name for topic in item.topics.all()]

    def feed_copyright(self, obj):
        return f"© {settings.SITE_NAME}"


class SeriesFeed(CommentaryFeed):
    kind = "series"

    def get_object(self, request, slug=None):
        return series_by_slug(slug)

    def title(self, obj):
        return f"{obj.name} · {settings.SITE_NAME}"

    def description(self, obj):
        return obj.description or f"The newest pieces in {obj.name}."

    subtitle = description

    def link(self, obj):
        return self.absolute(obj.get_absolute_url())

    def filter_items(self, queryset, obj):
        return queryset.in_series(obj)

    def listing_keys(self, obj):
        return (cachekeys.series_list(obj.pk),)


class AuthorFeed(CommentaryFeed):
    kind = "author"

    def __call__(self, request, *args, **kwargs):
        try:
            return super().__call__(request, *args, **kwargs)
        except Http404:
            # A merged-away record's feed leads to the author it became.
            moved = author_selectors.moved_author(kwargs.get("slug", ""))
            if moved is None:
                raise
            fmt = "atom" if issubclass(self.feed_type, Atom1Feed) else "rss"
            return HttpResponsePermanentRedirect(
                reverse(f"commentaries:author_feed_{fmt}", kwargs={"slug": moved.slug})
            )

    def get_object(self, request, slug=None):
        return get_object_or_404(selectors.published_authors(), slug=slug)

    def title(self, obj):
        return f"{obj.name} · {settings.SITE_NAME}"

    def description(self, obj):
        return f"The newest pieces by {obj.name}."

    subtitle = description

    def link(self, obj):
        return self.absolute(obj.get_absolute_url())

    def filter_items(self, queryset, obj):
        return queryset.filter(bylines__author=obj)

    def listing_keys(self, obj):
        return (cachekeys.author(obj.pk), cachekeys.author_list(obj.pk))


class TopicFeed(CommentaryFeed):
    kind = "topic"

    def get_object(self, request, slug=None):
        return get_object_or_404(selectors.public_topics(), slug=slug)

    def title(self, obj):
        return f"{obj.name} · {settings.SITE_NAME}"

    def description(self, obj):
        return obj.description or f"The newest pieces on {obj.name}."

    subtitle = description

    def link(self, obj):
        return self.absolute(obj.get_absolute_url())

    def filter_items(self, queryset, obj):
        return queryset.filter(topics=obj)

    def listing_keys(self, obj):
        return (cachekeys.topic(obj.pk), cachekeys.topic_list(obj.pk))


def atom(feed_class):
    return type(
        f"{feed_class.__name__}Atom",
        (feed_class,),
        {"feed_type": FullTextAtom, "__module__": __name__},
    )


FEEDS = {
    "all": CommentaryFeed,
    "series": SeriesFeed,
    "author": AuthorFeed,
    "topic": TopicFeed,
}


def feed_view(kind: str, fmt: str):
    feed_class = FEEDS[kind]
    return (atom(feed_class) if fmt == "atom" else feed_class)()

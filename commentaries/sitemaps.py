"""sitemap.xml: an index of sections, each listing public pages with lastmod.

The views are Django's sitemap views re-done in a few lines so that addresses
use the request's host (the one ALLOWED_HOSTS accepted, as the canonical links
in the pages do) rather than the Sites framework's stored domain.
"""

from django.conf import settings
from django.contrib.flatpages.models import FlatPage
from django.contrib.sitemaps import Sitemap
from django.contrib.sites.requests import RequestSite
from django.core.paginator import EmptyPage, PageNotAnInteger
from django.db.models import Max
from django.http import Http404
from django.template.response import TemplateResponse
from django.urls import reverse

from pacforum.pagecache import page_shows

from . import cachekeys, selectors
from .models import Commentary, Series, Topic, published_q


def _latest_publication():
    return Commentary.objects.published().aggregate(latest=Max("updated_at"))["latest"]


class CommentarySitemap(Sitemap):
    limit = 10_000

    def items(self):
        return (
            Commentary.objects.published()
            .select_related("series")
            .only("slug", "year", "updated_at", "published_at", "series__slug")
            .order_by("-published_at", "-id")
        )

    def lastmod(self, item):
        return max(item.updated_at, item.published_at)


class SeriesSitemap(Sitemap):
    def items(self):
        newest = Max("commentaries__updated_at", filter=_published_filter("commentaries"))
        return (
            Series.objects.annotate(lastmod=newest)
            .exclude(lastmod=None)
            .order_by("position", "name")
        )

    def lastmod(self, item):
        return item.lastmod


class TopicSitemap(Sitemap):
    def items(self):
        newest = Max(
            "tagged_commentaries__content_object__updated_at",
            filter=_published_filter("tagged_commentaries__content_object"),
        )
        return Topic.objects.annotate(lastmod=newest).exclude(lastmod=None).order_by("name")

    def lastmod(self, item):
        return item.lastmod


class AuthorSitemap(Sitemap):
    def items(self):
        newest = Max(
            "bylines__commentary__updated_at", filter=_published_filter("bylines__commentary")
        )
        return (
            selectors.published_authors()
            .annotate(lastmod=newest)
            .only("slug", "updated_at")
            .order_by("sort_name", "name")
        )

    def lastmod(self, item):
        return max(item.updated_at, item.lastmod) if item.lastmod else item.updated_at


class ListingSitemap(Sitemap):
    """The home page and the A–Z indexes: they change when anything is published."""

    def items(self):
        return ["commentaries:home", "commentaries:topics", "authors:index"]

    def location(self, item):
        return reverse(item)

    def lastmod(self, item):
        return _latest_publication()


class FlatPageSitemap(Sitemap):
    """About, History and other editors' pages (they carry no edit time)."""

    def items(self):
        return FlatPage.objects.filter(
            registration_required=False, sites__id=settings.SITE_ID
        ).order_by("url")


def _published_filter(prefix):
    # A join condition, not `prefix__in=<published ids>`: inside an aggregate's
    # FILTER that subquery can only be hashed while the ids fit in work_mem,
    # and at 1,000,000 pieces it was rescanned for every row instead.
    return published_q(f"{prefix}__")


SITEMAPS = {
    "pages": ListingSitemap,
    "series": SeriesSitemap,
    "commentaries": CommentarySitemap,
    "authors": AuthorSitemap,
    "topics": TopicSitemap,
    "static": FlatPageSitemap,
}


def sitemap_index(request):
    page_shows(cachekeys.ALL)
    site = RequestSite(request)
    locations = []
    for section, sitemap_class in SITEMAPS.items():
        sitemap = sitemap_class()
        url = f"{request.scheme}://{site.domain}" + reverse(
            "sitemap_section", kwargs={"section": section}
        )
        locations.append(url)
        locations += [f"{url}?p={page}" for page in range(2, sitemap.paginator.num_pages + 1)]
    response = TemplateResponse(
        request,
        "sitemap_index.xml",
        {"sitemaps": [{"location": url} for url in locations]},
        content_type="application/xml",
    )
    response["X-Robots-Tag"] = "noindex, noarchive"
    return response


def sitemap_section(request, section):
    if section not in SITEMAPS:
        raise Http404("No such sitemap.")
    page_shows(cachekeys.ALL, cachekeys.AUTHORS, cachekeys.TOPICS)
    try:
        urls = SITEMAPS[section]().get_urls(
            page=request.GET.get("p", 1), site=RequestSite(request), protocol=request.scheme
        )
    except (EmptyPage, PageNotAnInteger) as error:
        raise Http404("No such page of the sitemap.") from error
    response = TemplateResponse(
        request, "sitemap.xml", {"urlset": urls}, content_type="application/xml"
    )
    response["X-Robots-Tag"] = "noindex, noarchive"
    return response

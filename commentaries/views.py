from django.conf import settings
from django.db.models import Q
from django.http import (
    Http404,
    HttpResponse,
    HttpResponsePermanentRedirect,
    HttpResponseRedirect,
)
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.views.generic import DetailView, ListView, TemplateView

from pacforum.editing.services import preview_link_valid
from pacforum.pagecache import derived, page_shows
from pacforum.pagination import paginator_with_count

from . import cachekeys, citations, menus, selectors, surroundings
from .forms import AUTHOR_CHOICES_LIMIT, ArchiveFilterForm, SearchForm
from .lookup import number_matches, parse_number_query
from .metadata import commentary_json_ld
from .models import Commentary
from .search import RANK_WINDOW, fetch_results, ranked_ids, uses_full_text
from .site_state import series_by_slug, site_state
from .suggestions import did_you_mean

PAGE_SIZE = 20


def share_image_context(request, image):
    """Open Graph / Twitter card image for the page's meta tags (absolute URL)."""
    if image is None:
        return {}
    return {"share_image": image, "share_image_url": request.build_absolute_uri(image.share.url)}


class PublishedMixin:
    """Readers see published pieces whose time has come; nothing else."""

    def get_queryset(self):
        return selectors.listing()


class HomeView(TemplateView):
    template_name = "commentaries/home.html"
    latest_count = 10

    def get_context_data(self, **kwargs):
        latest = list(selectors.listing()[: self.latest_count])
        newest = selectors.newest_per_series()
        page_shows(cachekeys.ALL, cachekeys.TOPICS)
        cachekeys.shows_pieces([*latest, *newest])
        return super().get_context_data(
            latest=latest,
            newest_per_series=newest,
            featured_topics=list(selectors.public_topics().filter(featured=True)),
            **kwargs,
        )


class FilteredListMixin(PublishedMixin):
    """A paginated listing with year, topic and author filters (`?year=2019`)."""

    paginate_by = PAGE_SIZE
    context_object_name = "commentaries"

    menu_topics = True

    def menu_name(self):
        """Names this listing's menus in the cache."""
        raise NotImplementedError

    def listing_keys(self):
        """The page-cache keys of this listing (its pieces' keys come on top)."""
        raise NotImplementedError

    def stored_menus(self):
        """The menus as stored, if this listing stores them (None: built)."""
        return None

    def get_queryset(self):
        base = super().get_queryset().filter(self.base_filter())
        # The menus name authors and topics: they change with those names too.
        keys = (*self.listing_keys(), cachekeys.AUTHORS, cachekeys.TOPICS)
        page_shows(*keys)
        choices = self.stored_menus() or dict(
            derived(
                self.menu_name(),
                keys,
                lambda: selectors.filter_choices(
                    Commentary.objects.published().filter(self.base_filter()),
                    with_topics=self.menu_topics,
                    author_limit=AUTHOR_CHOICES_LIMIT,
                ),
                request=self.request,
            )
        )
        self.year_counts = choices.pop("year_counts")
        self.filter_form = ArchiveFilterForm(self.request.GET, **choices)
        return self.filter_form.filter(base)

    def known_count(self):
        """The number of pieces listed, when the year menu's counts give it
        (no filter, or only a year): saves a COUNT over a large listing."""
        if not self.filter_form.is_valid():
            return sum(self.year_counts.values())
        data = self.filter_form.cleaned_data
        if data.get("topic") or data.get("author"):
            return None
        if data.get("year"):
            return self.year_counts.get(data["year"], 0)
        return sum(self.year_counts.values())

    def get_paginator(self, *args, **kwargs):
        return paginator_with_count(super().get_paginator(*args, **kwargs), self.known_count())

    def get_context_data(self, **kwargs):
        context = super().get_context_data(filter_form=self.filter_form, **kwargs)
        cachekeys.shows_pieces(context["object_list"])
        return context


class SeriesView(FilteredListMixin, ListView):
    template_name = "commentaries/series_detail.html"

    @cached_property
    def series(self):
        return series_by_slug(self.kwargs["series"])

    def base_filter(self):
        return Q(series=self.series)

    def menu_name(self):
        return f"series-menus:{self.series.pk}"

    def stored_menus(self):
        # Kept for the series (commentaries.menus): one query instead of three.
        return menus.choices(self.series, author_limit=AUTHOR_CHOICES_LIMIT)

    def listing_keys(self):
        return (cachekeys.series_list(self.series.pk),)

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            series=self.series,
            **share_image_context(self.request, self.series.own_image),
            **kwargs,
        )


class SeriesYearView(PublishedMixin, ListView):
    """A year's annual index: every piece of the year, in number order."""

    template_name = "commentaries/series_year.html"
    context_object_name = "commentaries"
    allow_empty = False
    # A printed annual index has every piece of the year; pages keep a very
    # busy year's page light.
    paginate_by = 200

    @cached_property
    def series(self):
        return series_by_slug(self.kwargs["series"])

    def get_queryset(self):
        return (
            super()
            .get_queryset()
            .in_series(self.series)
            .filter(year=self.kwargs["year"])
            .order_by("number", "suffix", "published_at", "id")
        )

    @cached_property
    def year_counts(self):
        return selectors.year_counts(Commentary.objects.published().in_series(self.series))

    def get_paginator(self, *args, **kwargs):
        return paginator_with_count(
            super().get_paginator(*args, **kwargs),
            self.year_counts.get(int(self.kwargs["year"]), 0),
        )

    def get(self, request, *args, **kwargs):
        if not self.year_counts.get(int(self.kwargs["year"])):
            raise Http404("No pieces that year.")
        self.allow_empty = True  # known not to be empty: no extra EXISTS query
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        years = sorted((y for y in self.year_counts if y), reverse=True)
        context = super().get_context_data(
            series=self.series, year=self.kwargs["year"], years=years, **kwargs
        )
        page_shows(cachekeys.series_list(self.series.pk))
        cachekeys.shows_pieces(context["object_list"])
        return context


class TopicListView(ListView):
    template_name = "commentaries/topic_list.html"
    context_object_name = "topics"

    def get_queryset(self):
        page_shows(cachekeys.ALL, cachekeys.TOPICS)
        return selectors.topics_with_counts().order_by("name")


class TopicView(FilteredListMixin, ListView):
    template_name = "commentaries/topic_detail.html"

    @cached_property
    def topic(self):
        return get_object_or_404(selectors.public_topics(), slug=self.kwargs["slug"])

    menu_topics = False  # the page is the topic

    def base_filter(self):
        return Q(topics=self.topic)

    def menu_name(self):
        return f"topic-menus:{self.topic.pk}"

    def listing_keys(self):
        return (cachekeys.topic_list(self.topic.pk), cachekeys.topic(self.topic.pk))

    def get_context_data(self, **kwargs):
        return super().get_context_data(topic=self.topic, **kwargs)


class CommentaryView(DetailView):
    """The commentary page. An old address (former slug) or a short permalink
    (`/pacnet/2019/68r/`) redirects permanently to the canonical address."""

    template_name = "commentaries/commentary_detail.html"
    context_object_name = "commentary"

    def get_queryset(self):
        return selectors.for_page(Commentary.objects.published())

    def get_object(self, queryset=None):
        # A public series is in the site state: the piece is looked up in it
        # and given it, without a join.
        series = series_by_slug(self.kwargs["series"])
        piece = get_object_or_404(
            self.get_queryset() if queryset is None else queryset,
            series=series,
            year=self.kwargs["year"],
            slug=self.kwargs["slug"],
        )
        return selectors.with_series([piece], [series])[0]

    def find_moved(self):
        return selectors.find_moved(
            series=self.kwargs["series"], year=self.kwargs["year"], slug=self.kwargs["slug"]
        )

    def get(self, request, *args, **kwargs):
        try:
            return super().get(request, *args, **kwargs)
        except Http404:
            withdrawn = self.find_withdrawn()
            if withdrawn is not None:
                return self.tombstone(withdrawn)
            moved = self.find_moved()
            if moved is None:
                raise
            return HttpResponsePermanentRedirect(moved.get_absolute_url() + self.suffix_path())

    def suffix_path(self):
        return ""

    def find_withdrawn(self):
        """A withdrawn piece keeps its address: it answers with a tombstone."""
        return (
            selectors.for_reading(Commentary.objects.public_record().withdrawn())
            .filter(
                series__slug=self.kwargs["series"],
                year=self.kwargs["year"],
                slug=self.kwargs["slug"],
            )
            .first()
        )

    def tombstone(self, commentary):
        """410 Gone, with what a reader following a citation needs: number,
        title, date, authors, the citation and the editors' note."""
        url = self.request.build_absolute_uri(commentary.get_absolute_url())
        context = {
            "commentary": commentary,
            "canonical_url": url,
            "chicago": citations.chicago(commentary, url, settings.SITE_NAME),
        }
        return TemplateResponse(
            self.request, "commentaries/commentary_withdrawn.html", context, status=410
        )

    def public_path(self, commentary):
        return commentary.get_absolute_url()

    def get_context_data(self, **kwargs):
        commentary = self.object
        absolute = self.request.build_absolute_uri
        url = absolute(self.public_path(commentary))
        publisher = settings.SITE_NAME
        around = selectors.commentary_page(commentary, series=site_state()["series"])
        cachekeys.shows_commentary(commentary, around)
        closing = [
            (byline, byline.email if byline.email and byline.author.show_email else "")
            for byline in commentary.bylines.all()
        ]
        share_image = commentary.share_image
        return super().get_context_data(
            **share_image_context(self.request, share_image),
            canonical_url=url,
            closing_bylines=closing,
            responses=around["responses"],
            in_response_to=around["in_response_to"],
            previous=around["previous"],
            next=around["next"],
            related=around["related"],
            citable=commentary.year is not None,
            chicago=citations.chicago(commentary, url, publisher),
            apa=citations.apa(commentary, url, publisher),
            structured_data=commentary_json_ld(
                commentary, url=url, absolute=absolute, publisher=publisher, image=share_image
            ),
            **kwargs,
        )


class CommentaryPreviewView(CommentaryView):
    """A draft or scheduled piece exactly as readers will see it; staff only.

    Anyone else gets a 404, so the preview address reveals nothing."""

    def dispatch(self, request, *args, **kwargs):
        if not (request.user.is_active and request.user.is_staff):
            raise Http404
        return super().dispatch(request, *args, **kwargs)

    def get_object(self, queryset=None):
        return get_object_or_404(
            selectors.for_reading(Commentary.objects.all()), pk=self.kwargs["pk"]
        )

    def find_moved(self):
        return None

    def public_path(self, commentary):
        """The address the piece has, or will have once published (the year
        it would be numbered in): citations and the canonical link never
        point at /preview/."""
        year = commentary.year
        if year is None:
            year = timezone.localtime(commentary.published_at or timezone.now()).year
        return reverse(
            "commentaries:detail",
            kwargs={"series": commentary.series.slug, "year": year, "slug": commentary.slug},
        )

    def get_context_data(self, **kwargs):
        if self.object.status != Commentary.Status.PUBLISHED:
            # Nothing is stored around a piece that is not published: shown
            # as it would be, worked out for this preview (never saved).
            self.object.surroundings = surroundings.as_if_published(self.object)
        return super().get_context_data(preview=True, **kwargs)

    def render_to_response(self, context, **response_kwargs):
        response = super().render_to_response(context, **response_kwargs)
        response["X-Robots-Tag"] = "noindex, nofollow"
        response["Cache-Control"] = "private, no-store"
        return response


class SignoffPreviewView(CommentaryPreviewView):
    """A piece that is not published yet, for an outside author to sign off:
    no login, through an unguessable link that expires and can be revoked
    (pacforum.editing). Marked as a preview, never indexed, never cached."""

    def dispatch(self, request, *args, **kwargs):
        self.link = preview_link_valid(model=Commentary, token=self.kwargs["token"])
        if self.link is None:
            raise Http404("This preview link has expired or was revoked.")
        return super(CommentaryPreviewView, self).dispatch(request, *args, **kwargs)

    def get(self, request, *args, **kwargs):
        piece = get_object_or_404(Commentary, pk=self.link.object_id)
        if piece.is_live:  # signed off and published since: the real page
            return HttpResponseRedirect(piece.get_absolute_url())
        return super().get(request, *args, **kwargs)

    def get_object(self, queryset=None):
        return get_object_or_404(
            selectors.for_reading(Commentary.objects.all()), pk=self.link.object_id
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["not_published_preview"] = self.link
        return context


class CitationView(CommentaryView):
    """BibTeX (`cite.bib`) or RIS (`cite.ris`) download for a piece; a
    withdrawn piece stays citable."""

    def get_queryset(self):
        return selectors.for_reading(Commentary.objects.public_record())

    def get_object(self, queryset=None):
        # A withdrawn piece stays citable, even once its series has no
        # published piece left (and so is not public).
        return get_object_or_404(
            self.get_queryset(),
            series__slug=self.kwargs["series"],
            year=self.kwargs["year"],
            slug=self.kwargs["slug"],
        )

    def find_withdrawn(self):
        return None

    formats = {
        "bib": (citations.bibtex, "application/x-bibtex; charset=utf-8"),
        "ris": (citations.ris, "application/x-research-info-systems; charset=utf-8"),
    }

    def suffix_path(self):
        return f"cite.{self.kwargs['format']}"

    def get_context_data(self, **kwargs):
        cachekeys.shows_pieces([self.object])
        return {"commentary": self.object}

    def render_to_response(self, context, **response_kwargs):
        commentary = context["commentary"]
        render, content_type = self.formats[self.kwargs["format"]]
        url = self.request.build_absolute_uri(commentary.get_absolute_url())
        response = HttpResponse(
            render(commentary, url, settings.SITE_NAME), content_type=content_type
        )
        filename = f"{citations.citation_key(commentary)}.{self.kwargs['format']}"
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response


class SearchView(ListView):
    """Search results: the ranked ids are paginated, then one page of pieces
    is fetched with snippets (see `commentaries.search`)."""

    template_name = "commentaries/search.html"
    paginate_by = PAGE_SIZE

    # A number shared by many series and years names at most this many pieces.
    max_number_matches = 100

    def get_queryset(self):
        # The public series (those with a published piece) from the cached
        # site state: no query of its own.
        self.all_series = series = [s for s in site_state()["series"] if s.has_published]
        self.form = SearchForm(
            self.request.GET or None,
            series=series,
            topics=selectors.public_topics().order_by("name").values_list("slug", "name"),
        )
        self.number_matched = set()
        if not self.form.is_bound or not self.form.is_valid() or not self.form.query:
            return []
        candidates = self.form.filter(Commentary.objects.published())
        ids = ranked_ids(self.form.query, queryset=candidates, sort=self.form.sort_order)
        numbered = parse_number_query(self.form.query, series=series)
        if not numbered:
            return ids
        # The pieces the query names by number come first, then the others.
        matched = list(
            candidates.filter(number_matches(numbered))
            .order_by("-published_at", "-id")
            .values_list("pk", flat=True)[: self.max_number_matches]
        )
        self.number_matched = set(matched)
        return matched + [pk for pk in ids if pk not in self.number_matched]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(form=self.form, **kwargs)
        ids = list(context["page_obj"].object_list) if context["page_obj"] else []
        context["results"] = fetch_results(ids, self.form.query if ids else "")
        for piece in context["results"]:
            piece.number_match = piece.pk in self.number_matched
        page_shows(cachekeys.ALL, cachekeys.AUTHORS, cachekeys.TOPICS)
        cachekeys.shows_pieces(context["results"])
        context["full_text"] = uses_full_text()
        context["query"] = self.form.query
        if self.form.query:
            names = [name for s in self.all_series for name in (s.name, s.short_label)]
            suggestion = did_you_mean(self.form.query, keep=names)
            if suggestion:
                params = self.request.GET.copy()
                params["q"] = suggestion
                params.pop("page", None)
                context["suggestion"] = suggestion
                context["suggestion_query"] = params.urlencode()
        context["rank_window"] = RANK_WINDOW
        context["window_full"] = bool(
            context["paginator"] and context["paginator"].count >= RANK_WINDOW
        )
        return context

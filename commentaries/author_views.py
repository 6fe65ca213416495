"""The readers' pages about authors: the A-Z directory and each author's
profile with their published pieces. They list publications, so they live on
the publications' side (`authors` knows nothing of pieces)."""

from itertools import groupby

from django.http import Http404, HttpResponsePermanentRedirect
from django.shortcuts import get_object_or_404
from django.utils.functional import cached_property
from django.views.generic import ListView

from authors import selectors as author_selectors
from pacforum.pagecache import page_shows
from pacforum.pagination import paginator_with_count

from . import cachekeys, selectors


class AuthorListView(ListView):
    """The A-Z directory of everyone with a published piece: on one page while
    there are up to ONE_PAGE_LIMIT authors, then a letter at a time
    (`?letter=B`), PER_PAGE to a page, so that the page stays small however
    many authors the archive gathers."""

    template_name = "authors/author_list.html"
    context_object_name = "authors"
    ONE_PAGE_LIMIT = 600
    PER_PAGE = 200

    @cached_property
    def initials(self):
        """[(letter, authors)]; "#" for sort names that start with no letter."""
        return [
            (initial or "#", n)
            for initial, n in author_selectors.initials_with_counts(selectors.published_authors())
        ]

    @cached_property
    def letter(self):
        """The letter shown, or None when the whole directory fits one page."""
        if sum(n for _, n in self.initials) <= self.ONE_PAGE_LIMIT:
            return None
        wanted = self.request.GET.get("letter", "").strip().upper()
        known = [initial for initial, _ in self.initials]
        return wanted if wanted in known else known[0]

    def get_queryset(self):
        authors = author_selectors.author_initials(selectors.published_authors())
        if self.letter is not None:
            authors = authors.filter(initial="" if self.letter == "#" else self.letter)
        return authors.with_current_affiliations().order_by("sort_name", "name")

    def get_paginate_by(self, queryset):
        return self.PER_PAGE if self.letter is not None else None

    def get_paginator(self, *args, **kwargs):
        return paginator_with_count(
            super().get_paginator(*args, **kwargs), dict(self.initials).get(self.letter)
        )

    def get_context_data(self, **kwargs):
        page_shows(cachekeys.ALL, cachekeys.AUTHORS)
        context = super().get_context_data(**kwargs)
        context["letter"] = self.letter
        context["initials"] = self.initials
        context["letters"] = [
            (initial or "#", list(group))
            for initial, group in groupby(context["authors"], key=lambda a: a.initial)
        ]
        return context


class AuthorView(ListView):
    """An author's profile and their published pieces, newest first."""

    template_name = "authors/author_detail.html"
    context_object_name = "commentaries"
    paginate_by = 20

    @cached_property
    def author(self):
        return get_object_or_404(
            author_selectors.with_affiliations(selectors.published_authors()),
            slug=self.kwargs["slug"],
        )

    def get(self, request, *args, **kwargs):
        try:
            self.author  # noqa: B018  (looked up before anything renders)
        except Http404:
            # A merged-away record's address leads to the author it became.
            moved = author_selectors.moved_author(self.kwargs["slug"])
            if moved is None:
                raise
            return HttpResponsePermanentRedirect(moved.get_absolute_url())
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        return selectors.listing().filter(bylines__author=self.author)

    def get_context_data(self, **kwargs):
        affiliations = list(self.author.affiliations.all())
        context = super().get_context_data(
            author=self.author,
            current_affiliations=[a for a in affiliations if a.is_current],
            past_affiliations=[a for a in affiliations if not a.is_current],
            **kwargs,
        )
        page_shows(cachekeys.author(self.author.pk), cachekeys.author_list(self.author.pk))
        cachekeys.shows_pieces(context["object_list"])
        return context

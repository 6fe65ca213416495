from itertools import groupby

from django.db.models import Prefetch
from django.shortcuts import get_object_or_404
from django.utils.functional import cached_property
from django.views.generic import ListView

from commentaries import selectors

from .models import Affiliation


class AuthorListView(ListView):
    """The A–Z directory of everyone with a published piece."""

    template_name = "authors/author_list.html"
    context_object_name = "authors"

    def get_queryset(self):
        return (
            selectors.published_authors().with_current_affiliations().order_by("sort_name", "name")
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["letters"] = [
            (letter, list(group))
            for letter, group in groupby(
                context["authors"], key=lambda a: (a.sort_name[:1] or "#").upper()
            )
        ]
        return context


class AuthorView(ListView):
    """An author's profile and their published pieces, newest first."""

    template_name = "authors/author_detail.html"
    context_object_name = "commentaries"
    paginate_by = 20

    @cached_property
    def author(self):
        affiliations = Affiliation.objects.select_related("organization")
        return get_object_or_404(
            selectors.published_authors().prefetch_related(
                Prefetch("affiliations", queryset=affiliations)
            ),
            slug=self.kwargs["slug"],
        )

    def get_queryset(self):
        return selectors.listing().filter(bylines__author=self.author)

    def get_context_data(self, **kwargs):
        affiliations = list(self.author.affiliations.all())
        return super().get_context_data(
            author=self.author,
            current_affiliations=[a for a in affiliations if a.is_current],
            past_affiliations=[a for a in affiliations if not a.is_current],
            **kwargs,
        )

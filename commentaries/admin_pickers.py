"""The “Responds to” picker: pieces found by their number as editors write
it ("#20", "68R", "PacNet #68R"), shown with series, number and year, and
never a draft or the piece being edited."""

import re

from django.urls import Resolver404, resolve

from .models import Commentary

# "#20", "20", "68R", "68 r2", "PacNet #68R": an optional series label, the
# number, and an optional suffix.
NUMBER_QUERY = re.compile(
    r"^\s*(?P<label>[^\d#]*?)\s*#?\s*(?P<number>\d{1,6})\s*(?P<suffix>[A-Za-z]\d{0,2})?\s*$"
)


def piece_being_edited(request):
    """The pk of the piece whose change form asked (the picker's page)."""
    referer = request.headers.get("Referer", "")
    path = re.sub(r"^[a-z]+://[^/]+", "", referer).split("?")[0]
    try:
        match = resolve(path)
    except Resolver404:
        return None
    if match.url_name == "commentaries_commentary_change":
        return match.kwargs.get("object_id")
    return None


class RespondsToPickerMixin:
    def autocomplete_text(self, commentary):
        year = commentary.year or (commentary.published_at and commentary.published_at.year)
        if commentary.number is None:
            return f"{commentary.series.short_label} ({year or 'no year'}) – {commentary.title}"
        return f"{commentary.label} ({year}) – {commentary.title}"

    def get_search_results(self, request, queryset, search_term):
        if not (
            request.path.endswith("/autocomplete/")
            and request.GET.get("model_name") == "commentary"
            and request.GET.get("field_name") == "responds_to"
        ):
            return super().get_search_results(request, queryset, search_term)
        queryset = queryset.filter(status=Commentary.Status.PUBLISHED).select_related("series")
        editing = piece_being_edited(request)
        if editing is not None:
            queryset = queryset.exclude(pk=editing)
        number = NUMBER_QUERY.match(search_term)
        if number:
            found = queryset.filter(number=int(number["number"]))
            if number["suffix"]:
                found = found.filter(suffix=number["suffix"].upper())
            if number["label"]:
                found = found.filter(series__short_label__icontains=number["label"])
            return found.order_by("-year", "number", "suffix"), False
        return super().get_search_results(request, queryset, search_term)

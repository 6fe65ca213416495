from django.http import Http404
from django.shortcuts import get_object_or_404
from django.views.generic import DetailView, ListView

from .models import Commentary, Series, Topic


class PublishedMixin:
    """Readers see published pieces whose time has come; nothing else."""

    def get_queryset(self):
        return Commentary.objects.published().with_bylines()


class HomeView(PublishedMixin, ListView):
    template_name = "commentaries/home.html"
    context_object_name = "commentaries"
    paginate_by = 20


class SeriesView(PublishedMixin, ListView):
    template_name = "commentaries/series_detail.html"
    context_object_name = "commentaries"
    paginate_by = 20

    def get_queryset(self):
        self.series = get_object_or_404(Series, slug=self.kwargs["series"])
        return super().get_queryset().in_series(self.series)

    def get_context_data(self, **kwargs):
        return super().get_context_data(series=self.series, **kwargs)


class TopicView(PublishedMixin, ListView):
    template_name = "commentaries/topic_detail.html"
    context_object_name = "commentaries"
    paginate_by = 20

    def get_queryset(self):
        self.topic = get_object_or_404(Topic, slug=self.kwargs["slug"])
        return super().get_queryset().filter(topics=self.topic)

    def get_context_data(self, **kwargs):
        return super().get_context_data(topic=self.topic, **kwargs)


class CommentaryView(PublishedMixin, DetailView):
    template_name = "commentaries/commentary_detail.html"
    context_object_name = "commentary"

    def get_object(self, queryset=None):
        return get_object_or_404(
            self.get_queryset().prefetch_related("topics"),
            series__slug=self.kwargs["series"],
            year=self.kwargs["year"],
            slug=self.kwargs["slug"],
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
            Commentary.objects.with_bylines().prefetch_related("topics"), pk=self.kwargs["pk"]
        )

    def render_to_response(self, context, **response_kwargs):
        response = super().render_to_response(context, **response_kwargs)
        response["X-Robots-Tag"] = "noindex, nofollow"
        response["Cache-Control"] = "private, no-store"
        return response

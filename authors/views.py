from django.views.generic import DetailView, ListView

from commentaries.models import Commentary

from .models import Author


class AuthorListView(ListView):
    queryset = Author.objects.with_current_affiliations()
    template_name = "authors/author_list.html"
    context_object_name = "authors"


class AuthorView(DetailView):
    queryset = Author.objects.prefetch_related("affiliations__organization")
    template_name = "authors/author_detail.html"
    context_object_name = "author"

    def get_context_data(self, **kwargs):
        commentaries = (
            Commentary.objects.published().with_bylines().filter(bylines__author=self.object)
        )
        return super().get_context_data(commentaries=commentaries, **kwargs)

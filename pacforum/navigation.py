from django.utils.functional import SimpleLazyObject

from commentaries.site_state import site_state


def _navigation(request):
    state = site_state()
    return {
        "series": [
            {
                "name": series.name,
                "slug": series.slug,
                "url": series.get_absolute_url(),
                "subscribable": series.subscribable,
            }
            for series in state["series"]
            if series.has_published
        ],
        "pages": state["pages"],
    }


def navigation(request):
    """Series with published pieces and the static pages, for the header and
    footer; from the site state cached per content version (templates never
    query)."""
    return {
        "navigation": SimpleLazyObject(lambda: _navigation(request)),
        "page_url": request.build_absolute_uri(request.path),
    }

"""What an editor sees first: their drafts, what is scheduled, what went out
recently, and how many subscription requests wait."""

from django.apps import apps

from commentaries.models import Commentary
from pacforum.worker import worker_status

DASHBOARD_ROWS = 10


def dashboard_context(user) -> dict:
    if not user.has_perm("commentaries.view_commentary"):
        return {}
    pieces = Commentary.objects.select_related("series", "last_edited_by")
    context = {
        "dashboard": True,
        "my_drafts": list(
            pieces.drafts().filter(last_edited_by=user).order_by("-updated_at")[:DASHBOARD_ROWS]
        ),
        "scheduled": list(pieces.scheduled().order_by("published_at")[:DASHBOARD_ROWS]),
        "recently_published": list(pieces.published().order_by("-published_at")[:DASHBOARD_ROWS]),
    }
    worker = worker_status()
    if worker is not None and worker["problems"]:
        context["worker_problems"] = worker["problems"]
    if user.has_perm("subscriptions.view_subscriptionrequest"):
        request_model = apps.get_model("subscriptions", "SubscriptionRequest")
        context["new_subscription_requests"] = request_model.objects.filter(
            status=request_model.Status.PENDING
        ).count()
    return context

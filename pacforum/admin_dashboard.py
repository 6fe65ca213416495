"""What an editor sees first: the review queue, their drafts, what is
scheduled, what went out recently, and how many subscription requests wait."""

from django.apps import apps

from commentaries import rules
from commentaries.models import Commentary
from commentaries.review import review_queue, with_submitters
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
    if rules.role_of(user) == rules.Role.EDITOR:
        queue = review_queue()
        rows = with_submitters(queue[:DASHBOARD_ROWS])
        context["review_queue"] = rows
        context["review_count"] = len(rows) if len(rows) < DASHBOARD_ROWS else queue.count()
    worker = worker_status()
    if worker is not None and worker["problems"]:
        context["worker_problems"] = worker["problems"]
    if user.has_perm("subscriptions.view_subscriptionrequest"):
        request_model = apps.get_model("subscriptions", "SubscriptionRequest")
        context["new_subscription_requests"] = request_model.objects.filter(
            status=request_model.Status.PENDING
        ).count()
    return context

from django.conf import settings
from django.contrib import messages
from django.core.validators import slug_re
from django.http import HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse, reverse_lazy
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.generic import FormView, TemplateView

from commentaries.models import Series

from . import ratelimit, services, tokens
from .forms import ManageSeriesForm, SubscribeForm
from .models import SubscriptionRequest


def too_many_requests(request, *, window):
    return TemplateResponse(
        request,
        "subscriptions/rate_limited.html",
        status=429,
        headers={"Retry-After": str(window)},
    )


def invalid_link(request, *, expired=False):
    return TemplateResponse(
        request, "subscriptions/link_invalid.html", {"expired": expired}, status=400
    )


def consent_text():
    return services.CONSENT_TEXT.format(site=settings.SITE_NAME)


class SubscribeView(FormView):
    form_class = SubscribeForm
    template_name = "subscriptions/subscribe_form.html"
    success_url = reverse_lazy("subscriptions:sent")

    def get_initial(self):
        slug = self.request.GET.get("series", "")
        if not slug_re.fullmatch(slug):
            return {}
        return {"series": list(Series.objects.filter(subscribable=True, slug=slug))}

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "consent_text": consent_text()}

    def post(self, request, *args, **kwargs):
        if ratelimit.over_limit("ip", request.META.get("REMOTE_ADDR", "")):
            return too_many_requests(request, window=ratelimit.limits()["ip"][1])
        return super().post(request, *args, **kwargs)

    def form_valid(self, form):
        if form.is_bot:
            return redirect(self.get_success_url())
        data = form.cleaned_data
        if ratelimit.over_limit("email", data["email"].lower()):
            return too_many_requests(self.request, window=ratelimit.limits()["email"][1])
        services.subscription_request_submit(
            name=data["name"],
            email=data["email"],
            organization=data["organization"],
            series=list(data["series"]),
            consent_text=form.fields["consent"].label,
            consent_version=services.CONSENT_VERSION,
            site_url=self.request.build_absolute_uri("/"),
        )
        return redirect(self.get_success_url())


class SubscribeSentView(TemplateView):
    template_name = "subscriptions/subscribe_sent.html"


@method_decorator(never_cache, name="dispatch")
class ConfirmView(View):
    """The link in the confirmation email. Mail scanners open every link in
    an email, so opening it (GET) changes nothing: the page shows one
    "Confirm my subscription" button, and its POST confirms."""

    def get(self, request, token):
        try:
            confirmation = tokens.read_confirm_token(token)
        except tokens.ExpiredToken:
            return invalid_link(request, expired=True)
        except tokens.InvalidToken:
            return invalid_link(request)
        subscription = SubscriptionRequest.objects.filter(pk=confirmation.request_id).first()
        if subscription is None or not tokens.belongs_to(confirmation, subscription):
            return invalid_link(request)
        outcome = services.confirmation_outcome(
            confirmation=confirmation, subscription=subscription
        )
        if outcome == services.ConfirmationResult.STALE:
            return invalid_link(request, expired=True)
        if outcome == services.ConfirmationResult.ALREADY_CONFIRMED:
            return self.done(request, subscription, already_confirmed=True)
        return TemplateResponse(
            request,
            "subscriptions/confirm.html",
            {
                "subscription": subscription,
                "series": Series.objects.filter(
                    pk__in=confirmation.series_ids, subscribable=True
                ).order_by("position", "name"),
            },
        )

    def post(self, request, token):
        try:
            confirmation = tokens.read_confirm_token(token)
            subscription, result = services.subscription_confirm(confirmation=confirmation)
        except tokens.ExpiredToken:
            return invalid_link(request, expired=True)
        except (tokens.InvalidToken, SubscriptionRequest.DoesNotExist):
            return invalid_link(request)
        if result == services.ConfirmationResult.STALE:
            return invalid_link(request, expired=True)
        return self.done(
            request,
            subscription,
            already_confirmed=result == services.ConfirmationResult.ALREADY_CONFIRMED,
        )

    def done(self, request, subscription, *, already_confirmed):
        return TemplateResponse(
            request,
            "subscriptions/confirm_done.html",
            {
                "subscription": subscription,
                "series": subscription.series.all(),
                "already_confirmed": already_confirmed,
                "manage_url": reverse(
                    "subscriptions:manage",
                    kwargs={"token": tokens.make_manage_token(subscription=subscription)},
                ),
            },
        )


class SubscriberLinkMixin:
    """Resolves the personal link of an email to its subscription request."""

    def dispatch(self, request, *args, **kwargs):
        try:
            membership = tokens.read_manage_token(kwargs["token"])
        except tokens.ExpiredToken:
            return invalid_link(request, expired=True)
        except tokens.InvalidToken:
            return invalid_link(request)
        self.subscription = (
            SubscriptionRequest.objects.filter(pk=membership.request_id)
            .prefetch_related("series")
            .first()
        )
        if self.subscription is None or not tokens.belongs_to(membership, self.subscription):
            return invalid_link(request)
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        return super().get_context_data(subscription=self.subscription, **kwargs)


class UnsubscribeView(SubscriberLinkMixin, TemplateView):
    template_name = "subscriptions/unsubscribe.html"

    def post(self, request, token):
        services.subscription_unsubscribe(subscription=self.subscription)
        return TemplateResponse(request, "subscriptions/unsubscribe_done.html")


@method_decorator(csrf_exempt, name="dispatch")
class OneClickUnsubscribeView(SubscriberLinkMixin, View):
    """RFC 8058: mail clients POST here without a session, so no CSRF token exists."""

    http_method_names = ["get", "post"]

    def get(self, request, token):
        return redirect("subscriptions:unsubscribe", token=token)

    def post(self, request, token):
        services.subscription_unsubscribe(subscription=self.subscription)
        return HttpResponse("You are unsubscribed.\n", content_type="text/plain; charset=utf-8")


class ManageView(SubscriberLinkMixin, FormView):
    form_class = ManageSeriesForm
    template_name = "subscriptions/manage.html"

    def get_initial(self):
        return {"series": list(self.subscription.series.all())}

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            is_unsubscribed=self.subscription.status == SubscriptionRequest.Status.UNSUBSCRIBED,
            **kwargs,
        )

    def form_valid(self, form):
        subscription = services.subscription_change_series(
            subscription=self.subscription, series=list(form.cleaned_data["series"])
        )
        if subscription.status == SubscriptionRequest.Status.UNSUBSCRIBED:
            messages.success(self.request, "You are unsubscribed; we will not email you again.")
        else:
            messages.success(self.request, "Your series are saved.")
        return redirect(self.request.path)

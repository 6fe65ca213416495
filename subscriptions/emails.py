"""The emails subscribers receive: plain text plus HTML, with RFC 8058 headers."""

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse

from .tokens import make_confirm_token, make_manage_token


def absolute(site_url, path):
    return site_url.rstrip("/") + path


def subscriber_links(*, subscription, site_url):
    """The personal links every email to a subscriber carries."""
    token = make_manage_token(subscription=subscription)
    return {
        "unsubscribe_url": absolute(
            site_url, reverse("subscriptions:unsubscribe", kwargs={"token": token})
        ),
        "one_click_url": absolute(
            site_url, reverse("subscriptions:one_click_unsubscribe", kwargs={"token": token})
        ),
        "manage_url": absolute(site_url, reverse("subscriptions:manage", kwargs={"token": token})),
    }


def unsubscribe_headers(links):
    return {
        "List-Unsubscribe": f"<{links['one_click_url']}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }


def confirmation_message(*, subscription, series, site_url):
    token = make_confirm_token(subscription=subscription, series_ids=[s.pk for s in series])
    links = subscriber_links(subscription=subscription, site_url=site_url)
    context = {
        "site_name": settings.SITE_NAME,
        "subscription": subscription,
        "series": series,
        "confirm_url": absolute(
            site_url, reverse("subscriptions:confirm", kwargs={"token": token})
        ),
        "subscribe_url": absolute(site_url, reverse("subscriptions:subscribe")),
        **links,
    }
    # Subjects are one line whatever a template or a series name holds.
    subject = " ".join(
        render_to_string("subscriptions/email/confirmation_subject.txt", context).split()
    )
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string("subscriptions/email/confirmation.txt", context),
        to=[subscription.email],
        headers=unsubscribe_headers(links),
    )
    message.attach_alternative(
        render_to_string("subscriptions/email/confirmation.html", context), "text/html"
    )
    return message

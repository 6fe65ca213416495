"""The site's URLs as they are with an email service through anymail: the
tracking webhook of each service the tests post to, routed as EMAIL_BACKEND
naming that service routes it."""

from pacforum.urls import email_service_webhooks
from pacforum.urls import urlpatterns as site

SERVICES = ["mailgun", "postmark", "sendgrid"]

urlpatterns = [
    *(
        pattern
        for service in SERVICES
        for pattern in email_service_webhooks(f"anymail.backends.{service}.EmailBackend")
    ),
    *site,
]

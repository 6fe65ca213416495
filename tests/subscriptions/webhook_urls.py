"""The site's URLs as they are with Mailgun through anymail as the email service."""

from pacforum.urls import email_service_webhooks
from pacforum.urls import urlpatterns as site

urlpatterns = [*email_service_webhooks("anymail.backends.mailgun.EmailBackend"), *site]

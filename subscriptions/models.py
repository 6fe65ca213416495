from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone

from pacforum.models import TimestampedModel


class SubscriptionRequestQuerySet(models.QuerySet):
    def for_email(self, email):
        return self.filter(email__iexact=email)

    def pending(self):
        return self.filter(status=SubscriptionRequest.Status.PENDING)

    def confirmed(self):
        return self.filter(status=SubscriptionRequest.Status.CONFIRMED)

    def never_confirmed_since(self, moment):
        """Pending requests, never confirmed, last asked for before `moment`."""
        return self.pending().filter(confirmed_at__isnull=True, last_requested_at__lt=moment)


class Status(models.TextChoices):
    PENDING = "pending", "Pending confirmation"
    CONFIRMED = "confirmed", "Confirmed"
    UNSUBSCRIBED = "unsubscribed", "Unsubscribed"


class SubscriptionRequest(TimestampedModel):
    Status = Status

    name = models.CharField(max_length=200)
    email = models.EmailField(max_length=254)
    organization = models.CharField(max_length=200, blank=True)
    series = models.ManyToManyField(
        "commentaries.Series", related_name="subscription_requests", blank=True
    )
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PENDING)
    consent_text = models.TextField(help_text="The privacy note the visitor agreed to.")
    consent_version = models.CharField(max_length=20)
    created_at = models.DateTimeField(auto_now_add=True, verbose_name="requested at")
    confirmed_at = models.DateTimeField(null=True, blank=True)
    unsubscribed_at = models.DateTimeField(null=True, blank=True)
    last_requested_at = models.DateTimeField(
        default=timezone.now,
        verbose_name="last asked at",
        help_text="When the visitor last submitted the form; unconfirmed requests are "
        "purged a while after this.",
    )
    confirmation_sent_at = models.DateTimeField(
        null=True,
        blank=True,
        verbose_name="confirmation email sent at",
        help_text="When the last confirmation email left the mail server.",
    )

    objects = SubscriptionRequestQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "subscription request"
        constraints = [
            models.UniqueConstraint(
                Lower("email"),
                name="unique_subscription_email_ci",
                violation_error_message="A request for this email address already exists.",
            ),
            models.CheckConstraint(
                condition=Q(status__in=Status.values),
                name="subscription_status_valid",
            ),
            models.CheckConstraint(
                condition=~Q(status=Status.CONFIRMED) | Q(confirmed_at__isnull=False),
                name="confirmed_subscription_has_time",
            ),
            models.CheckConstraint(
                condition=~Q(status=Status.UNSUBSCRIBED) | Q(unsubscribed_at__isnull=False),
                name="unsubscribed_subscription_has_time",
            ),
        ]

    def __str__(self):
        return f"{self.name} <{self.email}>"


class RateLimitWindow(models.Model):
    """Subscription-form attempts in the current window for one visitor address
    or email (by digest), counted here only while the cache cannot count them
    (Redis unreachable, or the cache disabled)."""

    key = models.CharField(max_length=100, unique=True)
    started_at = models.DateTimeField()
    attempts = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["started_at"]
        verbose_name = "rate-limit window"

    def __str__(self):
        return f"{self.key}: {self.attempts} since {self.started_at:%Y-%m-%d %H:%M}"

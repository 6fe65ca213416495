from django.conf import settings
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
    source = models.CharField(
        max_length=100,
        default="form",
        help_text="Where the address came from: the site's form, or the list it was imported from.",
    )
    hard_bounces = models.PositiveSmallIntegerField(
        default=0, help_text="Permanent delivery failures reported for this address."
    )
    undeliverable_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="Set after repeated hard bounces or a spam complaint: nothing is sent any more.",
    )
    undeliverable_reason = models.CharField(max_length=200, blank=True)

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


class SeriesNewsletter(models.Model):
    """How a series' new pieces reach its subscribers (no row: automatically)."""

    class Mode(models.TextChoices):
        AUTOMATIC = "automatic", "Send automatically at go-live"
        ON_DEMAND = "on_demand", "Send on demand, after a test send"

    series = models.OneToOneField(
        "commentaries.Series", on_delete=models.CASCADE, related_name="newsletter"
    )
    mode = models.CharField(max_length=12, choices=Mode.choices, default=Mode.AUTOMATIC)

    class Meta:
        verbose_name = "newsletter setting"
        constraints = [
            models.CheckConstraint(
                condition=Q(mode__in=["automatic", "on_demand"]), name="newsletter_mode_valid"
            )
        ]

    def __str__(self):
        return f"{self.series}: {self.get_mode_display()}"


class Edition(models.Model):
    """A piece as an email to its series' subscribers: rendered once, sent to each."""

    class Status(models.TextChoices):
        WAITING = "waiting", "Waiting for an editor to send it"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        CANCELLED = "cancelled", "Cancelled"

    commentary = models.OneToOneField(
        "commentaries.Commentary", on_delete=models.CASCADE, related_name="edition"
    )
    series = models.ForeignKey(
        "commentaries.Series", on_delete=models.PROTECT, related_name="editions"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.WAITING)
    subject = models.CharField(max_length=300)
    html = models.TextField(help_text="The email's HTML, CSS inlined, personal links as markers.")
    text = models.TextField(help_text="The plain-text part, personal links as markers.")
    created_at = models.DateTimeField(auto_now_add=True)
    test_sent_at = models.DateTimeField(null=True, blank=True)
    send_requested_at = models.DateTimeField(null=True, blank=True)
    send_requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    prepared_at = models.DateTimeField(
        null=True, blank=True, help_text="When its delivery rows were created."
    )
    finished_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["waiting", "sending", "sent", "cancelled"]),
                name="edition_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(status="waiting") | Q(send_requested_at__isnull=False),
                name="edition_sending_has_time",
            ),
        ]

    def __str__(self):
        return self.subject


class DeliveryQuerySet(models.QuerySet):
    def due(self, now=None):
        now = now or timezone.now()
        return self.filter(
            Q(state=Delivery.State.QUEUED)
            | Q(state=Delivery.State.DEFERRED, next_attempt_at__lte=now)
        )


class Delivery(models.Model):
    """One edition to one subscriber. The row is the guarantee: it is marked
    *sending* and committed before the SMTP transaction starts and *sent* once
    the server accepted; a crash in between leaves it *sending*, which becomes
    *unknown* and is never sent again unless an editor asks."""

    class State(models.TextChoices):
        QUEUED = "queued", "Queued"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        DEFERRED = "deferred", "Temporary failure, retry scheduled"
        UNKNOWN = "unknown", "Unknown (interrupted while sending)"
        FAILED = "failed", "Failed"
        BOUNCED = "bounced", "Bounced"
        COMPLAINED = "complained", "Marked as spam"
        SKIPPED = "skipped", "Skipped (unsubscribed or undeliverable)"
        CANCELLED = "cancelled", "Cancelled"

    edition = models.ForeignKey(Edition, on_delete=models.CASCADE, related_name="deliveries")
    # Erasing a subscriber keeps the row, anonymous, for the edition's counts.
    subscription = models.ForeignKey(
        SubscriptionRequest,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="deliveries",
    )
    state = models.CharField(max_length=10, choices=State.choices, default=State.QUEUED)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=500, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now, db_index=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    objects = DeliveryQuerySet.as_manager()

    class Meta:
        ordering = ["pk"]
        verbose_name_plural = "deliveries"
        constraints = [
            models.UniqueConstraint(
                fields=["edition", "subscription"], name="one_delivery_per_subscriber"
            ),
            models.CheckConstraint(
                condition=Q(
                    state__in=[
                        "queued",
                        "sending",
                        "sent",
                        "deferred",
                        "unknown",
                        "failed",
                        "bounced",
                        "complained",
                        "skipped",
                        "cancelled",
                    ]
                ),
                name="delivery_state_valid",
            ),
            models.CheckConstraint(
                condition=~Q(state="sent") | Q(sent_at__isnull=False),
                name="sent_delivery_has_time",
            ),
        ]
        # A batch walks an edition's queued rows in id order; the counts group by state.
        indexes = [models.Index(fields=["edition", "state", "id"], name="delivery_edition_state")]

    def __str__(self):
        return f"{self.edition_id}/{self.pk}: {self.state}"

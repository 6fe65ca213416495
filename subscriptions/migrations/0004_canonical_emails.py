"""Store every subscriber address in its canonical form (subscriptions/addresses.py).

Rows whose addresses become the same are merged into the earliest request
(its consent is kept): every series is kept, the latest confirmation, request
and unsubscription times are kept, and the status follows the latest of them.
Address literals have no canonical form and are left as they are (the form now
refuses them).
"""

from collections import defaultdict

from django.db import migrations


def _latest(values):
    values = [value for value in values if value is not None]
    return max(values) if values else None


def merge_status(rows):
    """(status, confirmed_at, unsubscribed_at) for rows of one address."""
    confirmed_at = _latest(r.confirmed_at for r in rows)
    unsubscribed_at = _latest(r.unsubscribed_at for r in rows)
    confirmed = _latest(r.confirmed_at for r in rows if r.status == "confirmed")
    left = _latest(r.unsubscribed_at for r in rows if r.status == "unsubscribed")
    asked_again = _latest(r.last_requested_at for r in rows if r.status == "pending")
    if confirmed and not (left and left > confirmed):
        status = "confirmed"
    elif left and not (asked_again and asked_again > left):
        status = "unsubscribed"
    else:
        status = "pending"
    return status, confirmed_at, unsubscribed_at


def canonicalise(apps, schema_editor):
    from subscriptions.addresses import canonical_stored_email

    SubscriptionRequest = apps.get_model("subscriptions", "SubscriptionRequest")
    groups = defaultdict(list)
    for row in SubscriptionRequest.objects.order_by("created_at", "pk"):
        canonical = canonical_stored_email(row.email)
        if canonical is not None:
            groups[canonical].append(row)
    for email, rows in groups.items():
        keep, others = rows[0], rows[1:]
        if not others:
            if keep.email != email:
                SubscriptionRequest.objects.filter(pk=keep.pk).update(email=email)
            continue
        series = {pk for row in rows for pk in row.series.values_list("pk", flat=True)}
        latest_request = max(rows, key=lambda r: (r.last_requested_at, r.pk))
        keep.status, keep.confirmed_at, keep.unsubscribed_at = merge_status(rows)
        keep.last_requested_at = latest_request.last_requested_at
        keep.name = latest_request.name
        keep.organization = latest_request.organization
        keep.confirmation_sent_at = _latest(r.confirmation_sent_at for r in rows)
        keep.email = email
        SubscriptionRequest.objects.filter(pk__in=[r.pk for r in others]).delete()
        keep.save()
        keep.series.add(*series)


class Migration(migrations.Migration):
    dependencies = [("subscriptions", "0003_rate_limit_windows")]

    operations = [migrations.RunPython(canonicalise, migrations.RunPython.noop)]

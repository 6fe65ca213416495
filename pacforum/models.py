"""Abstract models every app may build on (no tables of their own)."""

from django.db import models


class TimestampedModel(models.Model):
    """`created_at` and `updated_at`, set by Django on save."""

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True

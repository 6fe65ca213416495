"""Signals authors send to the apps that refer to them."""

from django.dispatch import Signal

# Sent by `author_merge` inside its transaction, once per duplicate and before
# the duplicate is deleted, with `keep` and `duplicate`: whatever points at the
# duplicate (bylines) must move to `keep` now.
author_merging = Signal()

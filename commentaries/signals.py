"""What the publication domain tells the rest of the site.

Other apps connect receivers (in their AppConfig.ready); this module imports
none of them, so `commentaries` stays independent of who listens.
"""

from django.dispatch import Signal

# Sent once per publication of a piece, by the go-live tick (commentaries/golive.py),
# when a published piece's time has come: straight after "publish now", or at
# the scheduled time. Keyword arguments: `commentary` (the live piece).
# Sent inside the transaction that records the go-live, so a receiver that
# raises rolls the record back and the next tick announces the piece again:
# receivers must be idempotent, and should only record work and queue tasks.
piece_went_live = Signal()

# Sent by every go-live tick, after the announcements, so that other apps can
# hang periodic upkeep on the one scheduler (resuming interrupted deliveries,
# for example). No arguments; receivers run with send_robust and must be quick.
tick = Signal()

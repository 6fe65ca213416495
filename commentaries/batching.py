"""Derived data worked out once at the end of a block of writes.

A piece's credits and its series' menus (`commentaries.credits`,
`commentaries.menus`) are refreshed by receivers after every byline, topic
link, author or piece saved. A form that saves a piece with three bylines and
four topics, or a factory building one, would work them out eight times;
inside `batched()` each refresh only notes what it was asked for, and the
block works each out once on its way out, for everything noted, before the
transaction it runs in commits. A block left by an exception refreshes
nothing: its transaction is rolled back.
"""

from contextlib import contextmanager
from contextvars import ContextVar

# {refresh function: the ids it was asked for}, in the order first asked.
_pending: ContextVar[dict | None] = ContextVar("derived_data_pending", default=None)


@contextmanager
def batched():
    """Work out derived data once, at the end of the block. A block inside
    another joins it."""
    if _pending.get() is not None:
        yield
        return
    pending = {}
    token = _pending.set(pending)
    try:
        yield
    finally:
        _pending.reset(token)
    for refresh, ids in pending.items():
        refresh(ids)


def later(refresh, ids) -> bool:
    """Inside `batched()`: note that `refresh(ids)` is due and return True;
    outside, False (the caller refreshes now)."""
    pending = _pending.get()
    if pending is None:
        return False
    pending.setdefault(refresh, set()).update(ids)
    return True

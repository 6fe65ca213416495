"""Pagination helpers shared by the listings."""


def paginator_with_count(paginator, count):
    """`paginator`, told its count when it is already known (no COUNT query)."""
    if count is not None:
        paginator.__dict__["count"] = count  # Paginator.count is a cached_property
    return paginator

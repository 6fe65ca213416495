"""Who may change an author's or an organization's public record.

An author who signs a published piece is part of the publication record, and
only editors may change them. What “published” means belongs to the
publication app, which authors never import: that app registers the rule
here when it starts (`register`), and the author admin asks `author_refusal`
and `organization_refusal`. With nothing registered, nothing is refused.
"""

_guards: list = []


def register(*, author, organization) -> None:
    """`author(user, author)` and `organization(user, organization)` return
    why the user may not change the record, or None."""
    pair = (author, organization)
    if pair not in _guards:
        _guards.append(pair)


def author_refusal(user, author) -> str | None:
    for guard, _ in _guards:
        reason = guard(user, author)
        if reason:
            return reason
    return None


def organization_refusal(user, organization) -> str | None:
    for _, guard in _guards:
        reason = guard(user, organization)
        if reason:
            return reason
    return None

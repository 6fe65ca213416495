"""Links and buttons that an app higher in the graph adds to the admin change
form of a model it may not be imported by.

`commentaries` owns the piece's admin page, but sending a piece to its
subscribers belongs to `subscriptions`, which `commentaries` never imports. The
higher app registers a provider for the model in its `AppConfig.ready()`; the
model's admin asks `tools_for(request, obj)` and shows what the providers give
among the page's object tools (templates/admin/includes/object_tools.html).
A provider decides who sees what; it returns nothing for everyone else.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Tool:
    """One object tool: a link (GET), or a button posting to `url` (POST)."""

    label: str
    url: str
    method: str = "get"

    @property
    def posts(self) -> bool:
        return self.method.lower() == "post"


Provider = Callable[..., Iterable[Tool]]

# model label ("commentaries.commentary") -> {uid: provider}; a dict per model
# so that registering twice (ready() run again in a test) keeps one provider.
_providers: dict[str, dict[str, Provider]] = {}


def register(model_label: str, provider: Provider, *, uid: str) -> None:
    """Add `provider(request, obj)` to the change form of `model_label`'s objects."""
    _providers.setdefault(model_label.lower(), {})[uid] = provider


def tools_for(request, obj) -> list[Tool]:
    """Every registered provider's tools for `obj`, in registration order."""
    if obj is None or obj.pk is None:
        return []
    providers = _providers.get(obj._meta.label_lower, {})
    return [tool for provider in providers.values() for tool in provider(request, obj)]

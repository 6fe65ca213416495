"""Sign-off links in the commentary admin: an editor makes a preview link for
an outside author from a piece that is not live yet, and may revoke it."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone

from pacforum.editing import services

from .models import Commentary

DEFAULT_DAYS = 7


class SignoffAdminMixin:
    def get_urls(self):
        return [
            path(
                "<path:object_id>/signoff/",
                self.admin_site.admin_view(self.signoff_view),
                name="commentaries_commentary_signoff",
            ),
            *super().get_urls(),
        ]

    def signoff_view(self, request, object_id):
        piece = get_object_or_404(Commentary, pk=object_id)
        if not self.has_change_permission(request, piece):
            raise PermissionDenied
        here = reverse("admin:commentaries_commentary_signoff", args=[piece.pk])
        if request.method == "POST":
            if piece.is_live:
                messages.error(request, "This piece is published: readers can already see it.")
            elif "create" in request.POST:
                try:
                    days = int(request.POST.get("days") or DEFAULT_DAYS)
                except ValueError:
                    days = 0
                if not 1 <= days <= 60:
                    messages.error(request, "A link lasts from 1 to 60 days.")
                else:
                    services.preview_link_create(obj=piece, user=request.user, days=days)
                    messages.success(request, f"A sign-off link valid for {days} days is ready.")
            elif "revoke" in request.POST:
                link = services.preview_links_of(piece).filter(pk=request.POST["revoke"]).first()
                if link is not None:
                    services.preview_link_revoke(link=link)
                    messages.success(request, "The link is revoked: it no longer opens the piece.")
            return redirect(here)
        now = timezone.now()
        links = [
            {
                "link": link,
                "url": request.build_absolute_uri(
                    reverse("commentaries:signoff", kwargs={"token": link.token})
                ),
                "valid": link.is_valid(now),
            }
            for link in services.preview_links_of(piece).select_related("created_by")
        ]
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "original": piece,
            "title": f"Sign-off links for {piece}",
            "links": links,
            "default_days": DEFAULT_DAYS,
            "is_live": piece.is_live,
        }
        return TemplateResponse(request, "admin/commentaries/commentary/signoff.html", context)

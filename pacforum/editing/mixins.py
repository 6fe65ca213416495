"""The admin side of editing together: any ModelAdmin whose model has
`updated_at` gets the opened-at version check, the edit lock, autosave and
restore by listing `EditingAdminMixin` first among its bases."""

import difflib
import html
import re

from django import forms
from django.core.exceptions import PermissionDenied
from django.http import JsonResponse
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html_join
from django.views.decorators.http import require_POST

from . import services
from .models import FormDraft

STALE_MESSAGE = (
    "{who} saved this {what} at {when}, after you opened it. Your changes were not saved; "
    "they are kept (“Your refused save” above) and still in the form. Compare the two "
    "versions above, then Save again to replace theirs with yours, or reload the page to "
    "start from theirs."
)
# A change form posted without the version it was opened at (a page from
# before this check, a script) could silently replace someone's newer save.
UNVERSIONED_MESSAGE = (
    "This form did not say which version of the {what} it was opened at, so saving it "
    "could replace changes saved since. Your changes were not saved; they are kept "
    "(“Your refused save” above) and still in the form. Compare them with the saved "
    "version above, then Save again to replace it with yours."
)
TAG = re.compile(r"<[^>]+>")
BLOCK_END = re.compile(r"</(p|h[1-6]|li|blockquote|figcaption|tr|pre)>|<br\s*/?>", re.IGNORECASE)


def readable(value) -> str:
    """A value as an editor reads it: names for records, text for rich text."""
    if value is None or value is False:
        return "" if value is None else "no"
    if value is True:
        return "yes"
    if hasattr(value, "all") and callable(value.all):
        value = list(value.all())
    if isinstance(value, list | tuple):
        return ", ".join(readable(v) for v in value)
    text = str(value)
    if "<" in text:
        text = html.unescape(TAG.sub("", BLOCK_END.sub("\n", text)))
        text = "\n".join(line.strip() for line in text.splitlines() if line.strip())
    return text


def side_by_side(theirs: str, yours: str):
    """Two columns with the differing words marked (<del> theirs, <ins> yours)."""
    a, b = re.findall(r"\s+|[^\s]+", theirs), re.findall(r"\s+|[^\s]+", yours)
    left, right = [], []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op == "equal":
            left.append(("span", "".join(a[i1:i2])))
            right.append(("span", "".join(b[j1:j2])))
            continue
        if i2 > i1:
            left.append(("del", "".join(a[i1:i2])))
        if j2 > j1:
            right.append(("ins", "".join(b[j1:j2])))
    cell = "<{0}>{1}</{0}>"
    return format_html_join("", cell, left), format_html_join("", cell, right)


def person(user) -> str:
    if user is None:
        return "Someone"
    return user.get_full_name() or user.get_username()


class EditingAdminMixin:
    """Put first in the bases: `class Admin(EditingAdminMixin, VersionAdmin)`."""

    editing_form_label = None  # "piece", "author": how the stale message names the record

    # The form carries the version it was opened at.

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        admin = self

        class EditingForm(form):
            opened_version = forms.CharField(required=False, widget=forms.HiddenInput)
            conflict = None

            def __init__(self, *args, **kwargs):
                restore = getattr(request, "editing_restore", None)
                if restore is not None and not args and kwargs.get("data") is None:
                    kwargs["data"] = restore.querydict()
                super().__init__(*args, **kwargs)
                if not self.is_bound:
                    self.initial["opened_version"] = services.version_token(self.instance)

            def clean(self):
                cleaned = super().clean()
                if self.instance.pk is None or getattr(request, "editing_history", False):
                    return cleaned
                opened = self.data.get(self.add_prefix("opened_version"), "")
                if request.method != "POST":
                    current = services.version_token(self.instance)
                else:
                    current = services.stored_version(self.instance)
                if opened and opened != current:
                    admin._refuse_stale(request, self, opened, current)
                elif not opened and request.method == "POST":
                    admin._refuse_stale(request, self, opened, current, unversioned=True)
                return cleaned

        EditingForm.__name__ = form.__name__
        return EditingForm

    def _refuse_stale(self, request, form, opened, current, *, unversioned=False):
        stored = type(form.instance)._default_manager.get(pk=form.instance.pk)
        who = person(getattr(stored, "last_edited_by", None))
        when = timezone.localtime(stored.updated_at)
        what = self.editing_form_label or self.model._meta.verbose_name
        form.conflict = self._conflict_rows(form, stored)
        message = UNVERSIONED_MESSAGE if unversioned else STALE_MESSAGE
        form.add_error(None, message.format(who=who, what=what, when=f"{when:%H:%M:%S}"))
        if request.method == "POST":
            services.draft_keep_refused(
                user=request.user,
                model=self.model,
                object_id=form.instance.pk,
                base_version=opened,
                post=request.POST,
            )
        # The next Save is made knowing theirs: it goes through.
        form.data = form.data.copy()
        form.data[form.add_prefix("opened_version")] = current

    def _conflict_rows(self, form, stored):
        rows = []
        for name, field in form.fields.items():
            if name == "opened_version" or isinstance(field.widget, forms.FileInput):
                continue
            theirs = readable(getattr(stored, name, form.initial.get(name)))
            if name in form.cleaned_data:
                yours = readable(form.cleaned_data[name])
            else:
                yours = readable(form.data.get(form.add_prefix(name), ""))
            if theirs != yours:
                left, right = side_by_side(theirs, yours)
                rows.append({"label": field.label or name, "theirs": left, "yours": right})
        return rows

    def _inline_conflict_rows(self, inline_admin_formsets):
        rows = []
        for inline in inline_admin_formsets:
            formset = inline.formset
            fk = getattr(formset, "fk", None)
            names = [
                n
                for n in formset.form.base_fields
                if n not in ("id", "DELETE", "ORDER") and (fk is None or n != fk.name)
            ]
            theirs = "\n".join(
                " · ".join(filter(None, (readable(getattr(obj, n, "")) for n in names)))
                for obj in formset.get_queryset()
            )
            yours_rows = []
            for form in formset.forms:
                data = getattr(form, "cleaned_data", None) or {}
                if not data or data.get("DELETE"):
                    continue
                yours_rows.append(" · ".join(filter(None, (readable(data.get(n)) for n in names))))
            yours = "\n".join(yours_rows)
            if theirs != yours:
                left, right = side_by_side(theirs, yours)
                rows.append(
                    {
                        "label": str(inline.opts.verbose_name_plural).capitalize(),
                        "theirs": left,
                        "yours": right,
                    }
                )
        return rows

    # Restoring a draft: the form and its inlines are shown with the draft's data.

    def get_formset_kwargs(self, request, obj, inline, prefix):
        kwargs = super().get_formset_kwargs(request, obj, inline, prefix)
        restore = getattr(request, "editing_restore", None)
        if restore is not None and request.method != "POST":
            kwargs["data"] = restore.querydict()
        return kwargs

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        if request.method == "GET" and request.GET.get("restore"):
            request.editing_restore = (
                services.drafts_of(user=request.user, model=self.model, object_id=object_id)
                .filter(pk=request.GET["restore"].strip() or 0)
                .first()
                if request.GET["restore"].strip().isdigit()
                else None
            )
        return super().changeform_view(request, object_id, form_url, extra_context)

    def revision_view(self, request, object_id, version_id, extra_context=None):
        # A history restore replaces the record on purpose, from an old version.
        request.editing_history = True
        return super().revision_view(request, object_id, version_id, extra_context)

    def recover_view(self, request, version_id, extra_context=None):
        request.editing_history = True
        return super().recover_view(request, version_id, extra_context)

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        form = context["adminform"].form
        if form.is_bound:
            form.errors  # noqa: B018  (a restored draft is checked like a save)
        object_id = obj.pk if obj is not None else None
        lock = None
        if obj is not None and self.has_change_permission(request, obj):
            lock = services.lock_touch(user=request.user, model=self.model, object_id=obj.pk)
        drafts = list(services.drafts_of(user=request.user, model=self.model, object_id=object_id))
        conflict = form.conflict
        if conflict is not None:
            conflict = conflict + self._inline_conflict_rows(context["inline_admin_formsets"])
        opts = self.model._meta
        pulse_name = f"admin:{opts.app_label}_{opts.model_name}_pulse"
        context["editing"] = {
            "pulse_url": reverse(pulse_name, args=[obj.pk])
            if obj
            else reverse(pulse_name + "_new"),
            "pulse_seconds": services.pulse_seconds(),
            "lock": lock,
            "lock_is_mine": lock is None or lock.user_id == request.user.pk,
            "holder": person(lock.user) if lock else "",
            "autosave": next((d for d in drafts if d.kind == FormDraft.Kind.AUTOSAVE), None),
            "refused": [d for d in drafts if d.kind == FormDraft.Kind.REFUSED][:1],
            "restoring": getattr(request, "editing_restore", None),
            "conflict": conflict,
        }
        return super().render_change_form(request, context, add, change, form_url, obj)

    def response_change(self, request, obj):
        services.draft_clear_autosave(user=request.user, model=self.model, object_id=obj.pk)
        if "_save" in request.POST:
            services.lock_release(user=request.user, model=self.model, object_id=obj.pk)
        return super().response_change(request, obj)

    def response_add(self, request, obj, post_url_continue=None):
        services.draft_clear_autosave(user=request.user, model=self.model, object_id=None)
        return super().response_add(request, obj, post_url_continue)

    # The heartbeat: holds the lock and autosaves the open form.

    def get_urls(self):
        opts = self.model._meta
        name = f"{opts.app_label}_{opts.model_name}_pulse"
        return [
            path("pulse/", self.admin_site.admin_view(self.pulse_view), name=name + "_new"),
            path(
                "<path:object_id>/pulse/",
                self.admin_site.admin_view(self.pulse_view),
                name=name,
            ),
            *super().get_urls(),
        ]

    def pulse_view(self, request, object_id=None):
        return require_POST(self._pulse)(request, object_id)

    def _pulse(self, request, object_id):
        obj = None
        if object_id is not None:
            obj = get_object_or_404(self.model, pk=object_id)
            if not self.has_change_permission(request, obj):
                raise PermissionDenied
        elif not self.has_add_permission(request):
            raise PermissionDenied
        answer = {}
        if obj is not None:
            lock = services.lock_touch(user=request.user, model=self.model, object_id=obj.pk)
            answer["lock"] = {
                "mine": lock.user_id == request.user.pk,
                "holder": person(lock.user),
                "since": f"{timezone.localtime(lock.since):%H:%M}",
            }
        if request.POST.get("_autosave"):
            draft = services.draft_autosave(
                user=request.user,
                model=self.model,
                object_id=object_id,
                base_version=request.POST.get("opened_version", ""),
                post=request.POST,
            )
            answer["autosaved"] = f"{timezone.localtime(draft.saved_at):%H:%M:%S}"
        return JsonResponse(answer)

    @property
    def media(self):
        return super().media + forms.Media(js=["admin/pacforum/editing.js"])

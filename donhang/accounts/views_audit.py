"""The audit log page for the owner: who did what to which record, filtered, exported."""

from __future__ import annotations

from django import forms
from django.apps import apps
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from donhang.accounts.decorators import permission_required_403
from donhang.accounts.models import User
from donhang.core.audit import (
    SENSITIVE_ACTIONS,
    AuditFilter,
    audit_export_xlsx,
    audit_page,
)

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _object_types() -> list[tuple[str, str]]:
    return sorted(
        (model._meta.label_lower, f"{model._meta.verbose_name} ({model._meta.label_lower})")
        for model in apps.get_models()
        if model.__module__.startswith("donhang.")
    )


class AuditFilterForm(forms.Form):
    actor_id = forms.TypedChoiceField(label=_("Who"), required=False, coerce=int, empty_value=None)
    actor = forms.CharField(
        label=_("Who (name or API key)"), required=False, max_length=150, strip=True
    )
    action = forms.CharField(label=_("Action"), required=False, max_length=80, strip=True)
    object_type = forms.ChoiceField(label=_("Object"), required=False)
    object_id = forms.CharField(label=_("Object id"), required=False, max_length=64, strip=True)
    date_from = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["actor_id"].choices = [("", _("Anyone"))] + [
            (u.pk, u.get_username()) for u in User.objects.order_by("username")
        ]
        self.fields["object_type"].choices = [("", _("Any")), *_object_types()]

    def audit_filter(self) -> AuditFilter:
        data = self.cleaned_data if self.is_valid() else {}
        return AuditFilter(
            actor_id=data.get("actor_id"),
            actor=data.get("actor") or "",
            action=data.get("action") or "",
            object_type=data.get("object_type") or "",
            object_id=data.get("object_id") or "",
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
        )


def _before(request) -> int | None:
    value = request.GET.get("before", "")
    return int(value) if value.isdigit() and len(value) < 19 else None


@permission_required_403("core.view_auditentry")
def audit_log(request):
    form = AuditFilterForm(request.GET or None)
    filters = form.audit_filter()
    if request.GET.get("format") == "xlsx":
        response = HttpResponse(audit_export_xlsx(filters), content_type=XLSX_TYPE)
        stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
        response["Content-Disposition"] = f'attachment; filename="audit-log-{stamp}.xlsx"'
        return response
    entries, next_before = audit_page(filters, before_id=_before(request))
    query = request.GET.copy()
    query.pop("before", None)
    query.pop("format", None)
    return render(
        request,
        "accounts/audit_log.html",
        {
            "form": form,
            "entries": entries,
            "next_before": next_before,
            "query": query.urlencode(),
            "sensitive_actions": sorted(SENSITIVE_ACTIONS.items()),
            "paged": _before(request) is not None,
        },
    )

"""Shipping pages: create shipments (one order or many), labels, the shipment list, COD
reconciliation and carrier accounts. Views validate input, call a service or selector, render;
the services check permissions themselves, the decorators only decide who may open a page."""

from __future__ import annotations

import time
import uuid

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_GET, require_POST

from donhang.accounts.decorators import permission_required_403
from donhang.core.errors import DomainError
from donhang.core.integrations import IntegrationError, log_call
from donhang.core.text import plain_int
from donhang.orders.models import Order, Status, SubState
from donhang.orders.selectors import order_list_by_codes
from donhang.shipping import selectors, services
from donhang.shipping.forms import (
    CREDENTIAL_FIELDS,
    LABEL_SIZES,
    CarrierAccountForm,
    PayoutForm,
    PayoutImportForm,
    ShipmentCreateForm,
    ShipmentFilterForm,
)
from donhang.shipping.labels import SIZES, render_labels
from donhang.shipping.models import CarrierAccount, LabelBatch, Provider, Shipment

PAGE_SIZE = 25
MAX_BULK = 200
# More labels than this are printed in the background (a page follows the progress).
LABELS_INLINE_MAX = 300


def _int_list(raw, *, limit: int | None = MAX_BULK) -> list[int]:
    values = raw if isinstance(raw, list) else str(raw or "").split(",")
    out = []
    for value in values:
        for part in str(value).split(","):
            number = plain_int(part)
            if number is not None:
                out.append(number)
    return list(dict.fromkeys(out))[:limit]


def _back(request, fallback: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback


def _order_or_404(code: str) -> Order:
    orders = order_list_by_codes(codes=[code.strip().upper()])
    if not orders:
        raise Http404(_("There is no order %(code)s.") % {"code": code})
    return orders[0]


def _shipment_or_404(pk: int) -> Shipment:
    shipment = selectors.shipment_get(pk=pk)
    if shipment is None:
        raise Http404(_("There is no such shipment."))
    return shipment


# --- create from the order page ---------------------------------------------------------------


def _draft_from(form_data, draft: services.ShipmentDraft) -> services.ShipmentDraft:
    """The quote probe with what staff typed (weight, size, COD) where it is a number."""

    def number(name, default):
        try:
            value = int(str(form_data.get(name, "")).replace(".", "").replace(",", "").strip())
        except ValueError:
            return default
        return value if value >= 0 else default

    return services.ShipmentDraft(
        weight_g=number("weight_g", draft.weight_g) or draft.weight_g,
        length_cm=number("length_cm", draft.length_cm) or draft.length_cm,
        width_cm=number("width_cm", draft.width_cm) or draft.width_cm,
        height_cm=number("height_cm", draft.height_cm) or draft.height_cm,
        cod_amount=number("cod_amount", draft.cod_amount),
        goods_value=draft.goods_value,
        fee_payer=form_data.get("fee_payer") or draft.fee_payer,
    )


def _cheapest_choice(carrier_quotes) -> str:
    options = [
        (q.fee, f"{cq.account.pk}:{q.service_code}") for cq in carrier_quotes for q in cq.quotes
    ]
    return min(options)[1] if options else ""


@permission_required_403("shipping.add_shipment")
def shipment_create(request, code):
    """Quotes from every active carrier side by side; choose one and send the shipment."""
    order = _order_or_404(code)
    order_url = reverse("orders:order_detail", args=[order.code])
    if order.status != Status.PROCESSING or order.sub_state not in (
        SubState.PACKING,
        SubState.READY_TO_SHIP,
    ):
        messages.error(
            request,
            _("A shipment can be created for an order being packed or ready to ship."),
        )
        return redirect(order_url)
    accounts = list(selectors.carrier_account_list(active_only=True))
    draft = services.shipment_draft(order)
    form, initial = None, {}
    if request.method == "POST":
        draft = _draft_from(request.POST, draft)
        if request.POST.get("action") == "quote":  # quote again with the typed weight and size
            initial = {
                k: v for k, v in request.POST.dict().items() if k in ShipmentCreateForm.base_fields
            }
        else:
            form = ShipmentCreateForm(request.POST, accounts=accounts)
            if form.is_valid():
                values = form.service_values()
                try:
                    parcels = services.shipment_create_parcels(
                        order=order, actor=request.user, **values
                    )
                except DomainError as exc:
                    form.add_domain_error(exc)
                else:
                    carrier = values["account"].get_provider_display()
                    if len(parcels) > 1:
                        messages.success(
                            request,
                            _(
                                "Sent to %(carrier)s as %(n)s parcels; the tracking numbers appear in a moment."
                            )
                            % {"carrier": carrier, "n": len(parcels)},
                        )
                    else:
                        messages.success(
                            request,
                            _("Sent to %(carrier)s; the tracking number appears in a moment.")
                            % {"carrier": carrier},
                        )
                    return redirect(order_url + "#shipments")
    carrier_quotes = services.shipment_quotes(order=order, draft=draft, accounts=accounts)
    if form is None:
        offered = {f"{cq.account.pk}:{q.service_code}" for cq in carrier_quotes for q in cq.quotes}
        initial = {
            "cod_amount": draft.cod_amount,
            "weight_g": draft.weight_g,
            "length_cm": draft.length_cm,
            "width_cm": draft.width_cm,
            "height_cm": draft.height_cm,
            "fee_payer": draft.fee_payer,
            "inspection": Shipment.Inspection.VIEW,
            **initial,
        }
        if initial.get("choice") not in offered:
            initial["choice"] = _cheapest_choice(carrier_quotes)
        form = ShipmentCreateForm(initial=initial, accounts=accounts)
    selected = form["choice"].value() or ""
    return render(
        request,
        "shipping/shipment_create.html",
        {
            "order": order,
            "form": form,
            "draft": draft,
            "carrier_quotes": carrier_quotes,
            "selected": selected,
            "lines": list(order.lines.all()),
            "parcels": selectors.shipment_parcel_plan(order),
        },
        status=422 if form.is_bound and form.errors else 200,
    )


# --- actions on one shipment ------------------------------------------------------------------


def _action(service, success):
    @require_POST
    def view(request, pk):
        shipment = _shipment_or_404(pk)
        fallback = reverse("orders:order_detail", args=[shipment.order.code]) + "#shipments"
        try:
            service(shipment=shipment, actor=request.user)
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(
                request,
                success()
                % {
                    "carrier": shipment.account.get_provider_display(),
                    "code": shipment.tracking_code or shipment.reference,
                },
            )
        return redirect(_back(request, fallback))

    return view


shipment_retry = permission_required_403("shipping.add_shipment")(
    _action(
        services.shipment_retry,
        lambda: _("Sent to %(carrier)s again; the tracking number appears in a moment."),
    )
)


@permission_required_403("shipping.change_shipment")
@require_POST
def shipment_cancel(request, pk):
    """Cancel now, or (the carrier has not answered the create yet) as soon as it does."""
    shipment = _shipment_or_404(pk)
    fallback = reverse("orders:order_detail", args=[shipment.order.code]) + "#shipments"
    try:
        shipment = services.shipment_cancel(shipment=shipment, actor=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        values = {
            "carrier": shipment.account.get_provider_display(),
            "code": shipment.tracking_code or shipment.reference,
        }
        if shipment.status == "cancelled":
            messages.success(request, _("Shipment %(code)s cancelled.") % values)
        else:
            messages.warning(
                request,
                _(
                    "Cancel requested: %(carrier)s has not answered the create of %(code)s yet. The shipment is cancelled as soon as it does."
                )
                % values,
            )
    return redirect(_back(request, fallback))


shipment_redeliver = permission_required_403("shipping.change_shipment")(
    _action(
        services.shipment_redeliver,
        lambda: _("Asked %(carrier)s to deliver %(code)s again."),
    )
)
shipment_return = permission_required_403("shipping.change_shipment")(
    _action(
        services.shipment_return,
        lambda: _("Asked %(carrier)s to return %(code)s to the shop."),
    )
)


@permission_required_403("shipping.view_shipment")
@require_GET
def shipment_carrier_label(request, pk):
    """The carrier's own label, fetched now (with the client's timeout)."""
    shipment = _shipment_or_404(pk)
    fallback = reverse("orders:order_detail", args=[shipment.order.code]) + "#shipments"
    if not shipment.tracking_code:
        messages.error(request, _("The carrier has not given a tracking number yet."))
        return redirect(_back(request, fallback))
    size = request.GET.get("size", "A5")
    started = time.perf_counter()
    try:
        label = services.adapter_for(shipment.account).label([shipment.tracking_code], size=size)
    except IntegrationError as exc:
        log_call(
            service=shipment.account.provider,
            operation="label",
            reference=shipment.reference,
            attempt=1,
            ok=False,
            error=exc.message,
            started=started,
        )
        messages.error(
            request,
            _(
                "%(carrier)s did not give the label (%(reason)s). Try again in a moment, or print our own label."
            )
            % {"carrier": shipment.account.get_provider_display(), "reason": exc.message},
        )
        return redirect(_back(request, fallback))
    log_call(
        service=shipment.account.provider,
        operation="label",
        reference=shipment.reference,
        attempt=1,
        ok=True,
        started=started,
    )
    response = HttpResponse(label.content, content_type=label.content_type)
    if label.content_type == "application/pdf":
        response["Content-Disposition"] = f'inline; filename="{shipment.tracking_code}.pdf"'
    return response


@permission_required_403("shipping.view_shipment")
def labels_pdf(request):
    """Our own labels for many shipments in one PDF: `?ids=1,2,3` (shipments) or the order
    codes posted by the order list's bulk form, as many as chosen. Up to LABELS_INLINE_MAX the
    PDF is the answer; more are made in the background while a page shows the progress."""
    source = request.POST if request.method == "POST" else request.GET
    size = source.get("size") or "A6"
    if size not in SIZES:
        size = "A6"
    codes = list(dict.fromkeys(c.strip().upper() for c in source.getlist("codes") if c.strip()))
    if codes:
        ids = selectors.shipment_ids_for_order_codes(codes)
    else:
        ids = _int_list(source.getlist("ids"), limit=None)
    if len(ids) > LABELS_INLINE_MAX:
        batch = services.label_batch_create(shipment_ids=ids, size=size, actor=request.user)
        return redirect("shipping:label_batch", pk=batch.pk)
    shipments = selectors.shipments_for_labels(ids)
    if not shipments:
        messages.warning(request, _("None of the selected orders has a shipment yet."))
        return redirect(_back(request, reverse("shipping:shipment_list")))
    response = HttpResponse(render_labels(shipments, size=size), content_type="application/pdf")
    name = shipments[0].tracking_code or shipments[0].reference
    filename = f"labels-{name}" if len(shipments) == 1 else f"labels-{len(shipments)}"
    response["Content-Disposition"] = f'inline; filename="{filename}.pdf"'
    return response


@permission_required_403("shipping.view_shipment")
@require_GET
def label_batch(request, pk):
    """A batch of labels being printed: its progress (polled every second), then the file."""
    batch = selectors.label_batch_get(pk=pk)
    if batch is None:
        raise Http404
    template = (
        "shipping/partials/label_batch_body.html"
        if request.headers.get("HX-Request")
        else "shipping/label_batch.html"
    )
    return render(request, template, {"batch": batch})


@permission_required_403("shipping.view_shipment")
@require_GET
def label_batch_pdf(request, pk):
    batch = selectors.label_batch_get(pk=pk)
    if batch is None or batch.state != LabelBatch.State.DONE or not batch.file:
        raise Http404
    return FileResponse(
        batch.file.open("rb"),
        content_type="application/pdf",
        as_attachment=False,
        filename=f"labels-{batch.total}.pdf",
    )


# --- bulk create --------------------------------------------------------------------------------


@permission_required_403("shipping.add_shipment")
@require_POST
def bulk_create(request):
    """Create a shipment with one carrier for each selected order; a refusal does not stop the
    others. Then the progress page follows them."""
    back = reverse("orders:order_list") + "?" + request.POST.get("next_query", "")
    account_ids = _int_list(request.POST.get("account"))
    account = selectors.carrier_account_get(pk=account_ids[0]) if account_ids else None
    if account is None or not account.is_active:
        messages.error(request, _("Choose an active carrier."))
        return redirect(back)
    codes = [c.strip().upper() for c in request.POST.getlist("codes") if c.strip()][:MAX_BULK]
    if not codes:
        messages.warning(request, _("Select at least one order first."))
        return redirect(back)
    created, refused = [], []
    for order in order_list_by_codes(codes=codes):
        try:
            parcels = services.shipment_create_parcels(
                order=order, account=account, actor=request.user
            )
        except DomainError as exc:
            refused.append([order.code, exc.message])
        else:
            created += [shipment.pk for shipment in parcels]
    batch = uuid.uuid4().hex[:12]
    request.session[f"shipping_bulk:{batch}"] = refused
    url = reverse("shipping:bulk_progress") + f"?ids={','.join(map(str, created))}&batch={batch}"
    return redirect(url)


_state = selectors.shipment_send_state


@permission_required_403("shipping.view_shipment")
@require_GET
def bulk_progress(request):
    ids = _int_list(request.GET.get("ids"))
    batch = request.GET.get("batch", "")
    refused = request.session.get(f"shipping_bulk:{batch}", []) if batch else []
    shipments = selectors.shipments_by_ids(ids)
    for shipment in shipments:
        shipment.state = _state(shipment)
        if shipment.state == "stuck":
            shipment.state = "failed"  # no answer for minutes: retry it like a failure
        elif shipment.state in ("cancel_requested", "cancelled"):
            shipment.state = "created" if shipment.state == "cancelled" else "sending"
    counts = {
        state: sum(1 for s in shipments if s.state == state)
        for state in ("created", "sending", "failed")
    }
    failed_reasons = sorted(
        {s.last_error for s in shipments if s.state == "failed"} | {r for _c, r in refused}
    )
    context = {
        "shipments": shipments,
        "refused": refused,
        "counts": counts,
        "failed_total": counts["failed"] + len(refused),
        "failed_reasons": failed_reasons,
        "done": counts["sending"] == 0,
        "ids": ",".join(map(str, ids)),
        "batch": batch,
        "failed_ids": ",".join(str(s.pk) for s in shipments if s.state == "failed"),
        "poll_url": request.get_full_path(),
    }
    template = (
        "shipping/partials/bulk_progress_body.html"
        if request.headers.get("HX-Request")
        else "shipping/bulk_progress.html"
    )
    return render(request, template, context)


@permission_required_403("shipping.add_shipment")
@require_POST
def bulk_retry(request):
    ids = _int_list(request.POST.get("ids"))
    retried, errors = 0, []
    for shipment in selectors.shipments_by_ids(_int_list(request.POST.get("failed_ids"))):
        try:
            services.shipment_retry(shipment=shipment, actor=request.user)
            retried += 1
        except DomainError as exc:
            errors.append(f"{shipment.order.code}: {exc.message}")
    if retried:
        messages.success(
            request,
            ngettext("%(n)s shipment sent again.", "%(n)s shipments sent again.", retried)
            % {"n": retried},
        )
    for error in errors:
        messages.error(request, error)
    url = reverse("shipping:bulk_progress") + f"?ids={','.join(map(str, ids))}"
    if request.POST.get("batch"):
        url += f"&batch={request.POST['batch']}"
    return redirect(url)


# --- shipment list and detail -------------------------------------------------------------------


@permission_required_403("shipping.view_shipment")
@require_GET
def shipment_list(request):
    tab = request.GET.get("tab", "")
    if tab not in ("late", "action"):
        tab = ""
    form = ShipmentFilterForm(request.GET)
    filters = form.filters()
    shipments = selectors.shipment_list(
        late=tab == "late" or request.GET.get("late") == "1",
        needs_action=tab == "action",
        **filters,
    )
    page_obj = Paginator(shipments, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = list(page_obj.object_list)
    for shipment in rows:
        shipment.tracking_url = selectors.shipment_tracking_url(shipment)
        shipment.state = _state(shipment)
        shipment.can_retry = selectors.shipment_can_retry(shipment)
        shipment.cod_missing = services.order_cod_owed(shipment.order) if shipment.cod_short else 0
    tabs = [
        {"key": "", "label": _("All shipments"), "count": None},
        {"key": "late", "label": _("Late"), "count": selectors.shipments_late().count()},
        {
            "key": "action",
            "label": _("Needs action"),
            "count": selectors.shipments_needing_action().count(),
        },
    ]
    return render(
        request,
        "shipping/shipment_list.html",
        {
            "form": form,
            "tab": tab,
            "tabs": tabs,
            "page_obj": page_obj,
            "shipments": rows,
            "filtered": any(filters.values()) if filters else False,
            "section": "shipments",
        },
    )


@permission_required_403("shipping.view_shipment")
@require_GET
def shipment_detail(request, pk):
    shipment = _shipment_or_404(pk)
    shipment.tracking_url = selectors.shipment_tracking_url(shipment)
    shipment.state = _state(shipment)
    shipment.can_retry = selectors.shipment_can_retry(shipment)
    shipment.can_cancel = selectors.shipment_can_cancel(shipment)
    return render(
        request,
        "shipping/shipment_detail.html",
        {
            "shipment": shipment,
            "events": shipment_events_shown(shipment.events.all()),
            "calls": selectors.shipment_integration_calls(shipment),
            "label_sizes": LABEL_SIZES,
            "section": "shipments",
        },
    )


# Where a carrier event came from, in words (the column stores a code).
EVENT_SOURCES = {
    "webhook": gettext_lazy("carrier's notice"),
    "poll": gettext_lazy("checked with the carrier"),
    "api": gettext_lazy("our request"),
}


def shipment_events_shown(events) -> list:
    """The carrier's events in the reader's words; the same status told twice in a row (a
    webhook, then a poll) is shown once, with both sources."""
    shown = []
    for event in events:
        label = str(EVENT_SOURCES.get(event.source, event.source))
        if (
            shown
            and shown[-1].status == event.status
            and shown[-1].carrier_status == (event.carrier_status)
        ):
            if label not in shown[-1].sources:
                shown[-1].sources.append(label)
            continue
        event.sources = [label]
        shown.append(event)
    return shown


# --- COD reconciliation ---------------------------------------------------------------------


@permission_required_403("shipping.view_codpayout")
@require_GET
def cod_overview(request):
    page_obj = Paginator(selectors.cod_payout_list(), PAGE_SIZE).get_page(request.GET.get("page"))
    outstanding = selectors.cod_outstanding()
    parcels = selectors.cod_outstanding_parcels()
    for row in outstanding:
        row["parcels"] = [p for p in parcels if p.account_id == row["account"].pk]
    return render(
        request,
        "shipping/cod_overview.html",
        {
            "outstanding": outstanding,
            "today": timezone.localdate(),
            "outstanding_total": sum(r["amount"] for r in outstanding),
            "cod_short": selectors.shipments_cod_short(),
            "page_obj": page_obj,
            "payouts": list(page_obj.object_list),
            "section": "cod",
        },
    )


def _payout_done(request, payout):
    problems = sum(1 for ln in payout.lines.all() if ln.problem)
    if problems:
        messages.warning(
            request,
            ngettext(
                "Payout recorded; %(n)s line needs checking.",
                "Payout recorded; %(n)s lines need checking.",
                problems,
            )
            % {"n": problems},
        )
    else:
        messages.success(request, _("Payout recorded; every line matches."))
    return redirect("shipping:payout_detail", pk=payout.pk)


@permission_required_403("shipping.reconcile_cod")
def payout_create(request):
    """Record a payout by hand: the carrier account, the date and the parcels it paid for."""
    form = PayoutForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            payout = services.cod_payout_record(
                account=data["account"],
                paid_at=data["paid_at"],
                reference=data["reference"],
                lines=data["lines"],
                actor=request.user,
            )
        except DomainError as exc:
            form.add_domain_error(exc)
        else:
            return _payout_done(request, payout)
    return render(
        request,
        "shipping/payout_form.html",
        {"form": form, "section": "cod"},
        status=422 if form.errors else 200,
    )


@permission_required_403("shipping.reconcile_cod")
@require_POST
def payout_from_outstanding(request):
    """Record a payout from the parcels ticked on the COD page: each pays its COD less its fee,
    as the carrier owes them; no retyping of tracking numbers."""
    account_id = plain_int(request.POST.get("account"))
    account = CarrierAccount.objects.filter(pk=account_id).first() if account_id else None
    ids = _int_list(request.POST.getlist("shipments"))
    parcels = [
        p
        for p in selectors.cod_outstanding_parcels()
        if account is not None and p.account_id == account.pk and p.pk in set(ids)
    ]
    back = reverse("shipping:cod") + (f"#account-{account.pk}" if account else "")
    if account is None or not parcels:
        messages.warning(request, _("Tick the parcels this payout paid for."))
        return redirect(back)
    try:
        paid_at = parse_date(request.POST.get("paid_at") or "") or timezone.localdate()
    except ValueError:  # a date that does not exist
        paid_at = timezone.localdate()
    try:
        payout = services.cod_payout_record(
            account=account,
            paid_at=paid_at,
            reference=(request.POST.get("reference") or "").strip()[:60],
            lines=[
                services.PayoutLineInput(
                    tracking_code=p.tracking_code,
                    cod_amount=p.cod_amount,
                    fee=p.fee_charged if p.fee_charged is not None else p.fee,
                )
                for p in parcels
            ],
            actor=request.user,
        )
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect(back)
    return _payout_done(request, payout)


@permission_required_403("shipping.reconcile_cod")
def payout_import(request):
    """Import a carrier statement (.xlsx/.csv); every row is checked before anything is saved."""
    form = PayoutImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        upload = data["file"]
        try:
            rows = services.cod_payout_rows_from_file(filename=upload.name, content=upload.read())
            payout = services.cod_payout_record(
                account=data["account"],
                paid_at=data["paid_at"],
                reference=data["reference"],
                lines=rows,
                source_file=upload.name[:200],
                actor=request.user,
            )
        except DomainError as exc:
            form.add_error(None, exc.message)
            for key, reason in exc.fields.items():
                if key not in form.fields:
                    form.add_error(None, f"{key}: {reason}")
        else:
            return _payout_done(request, payout)
    return render(
        request,
        "shipping/payout_import.html",
        {"form": form, "section": "cod"},
        status=422 if form.errors else 200,
    )


@permission_required_403("shipping.view_codpayout")
@require_GET
def payout_detail(request, pk):
    payout = selectors.cod_payout_get(pk=pk)
    if payout is None:
        raise Http404(_("There is no such payout."))
    lines = list(payout.lines.all())
    return render(
        request,
        "shipping/payout_detail.html",
        {
            "payout": payout,
            "lines": lines,
            "cod_total": sum(ln.cod_amount for ln in lines),
            "fee_total": sum(ln.fee for ln in lines),
            "problems": sum(1 for ln in lines if ln.problem),
            "section": "cod",
        },
    )


# --- carrier accounts ---------------------------------------------------------------------------


def _webhook_url(request, provider: str) -> str:
    return request.build_absolute_uri(reverse("shipping:webhook", args=[provider]))


@permission_required_403("shipping.view_carrieraccount")
@require_GET
def carrier_account_list(request):
    accounts = list(selectors.carrier_account_list())
    for account in accounts:
        account.webhook_url = _webhook_url(request, account.provider)
        account.has_webhook_secret = bool(account.webhook_secret_encrypted)
    return render(
        request,
        "shipping/carrier_account_list.html",
        {"accounts": accounts, "section": "accounts"},
    )


@permission_required_403("shipping.add_carrieraccount")
def carrier_account_create(request):
    return _carrier_account_form(request, None)


@permission_required_403("shipping.change_carrieraccount")
def carrier_account_edit(request, pk):
    account = selectors.carrier_account_get(pk=pk)
    if account is None:
        raise Http404(_("There is no such carrier account."))
    return _carrier_account_form(request, account)


def _carrier_account_form(request, account):
    form = CarrierAccountForm(request.POST or None, account=account)
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.carrier_account_save(
                account=account, actor=request.user, **form.service_values()
            )
        except DomainError as exc:
            form.add_domain_error(exc)
        else:
            messages.success(request, _("Carrier account “%(name)s” saved.") % {"name": saved})
            return redirect("shipping:carrier_account_list")
    return render(
        request,
        "shipping/carrier_account_form.html",
        {
            "form": form,
            "account": account,
            "secrets": form.secrets_status(),
            "webhook_urls": {p: _webhook_url(request, p) for p in Provider.values},
            "credential_fields": CREDENTIAL_FIELDS,
            "section": "accounts",
        },
        status=422 if form.errors else 200,
    )

"""The REST API at /api/v1/: one NinjaAPI, one error format, API-key or session auth."""

import logging

from django.db import DataError, IntegrityError
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from donhang.api.auth import ApiKeyAuth, SessionAuth
from donhang.api.docs import docs_access
from donhang.api.errors import error_response, validation_fields
from donhang.core.errors import DomainError

logger = logging.getLogger(__name__)

api = NinjaAPI(
    title="donhang API",
    version="1",
    description=(
        "Order processing for online sellers in Vietnam. Authenticate with "
        "`Authorization: Bearer <API key>` (owners create keys under Staff → API keys, or with "
        "`manage.py create_api_key NAME --role ROLE`). Errors always have the shape "
        '`{"error": {"code", "message", "fields": {field: reason}}}`. Money is integer VND.'
    ),
    auth=[ApiKeyAuth(), SessionAuth()],
    urls_namespace="api",
    # Staff only unless API_DOCS_PUBLIC; Swagger UI from the package's files, not a CDN.
    docs_decorator=docs_access,
)


@api.exception_handler(DomainError)
def _domain_error(request, exc: DomainError):
    return error_response(request, exc.status_code, exc.code, exc.message, exc.fields)


@api.exception_handler(NinjaValidationError)
def _validation_error(request, exc: NinjaValidationError):
    return error_response(
        request,
        422,
        "validation_error",
        _("Some fields are not valid."),
        validation_fields(exc.errors),
    )


@api.exception_handler(AuthenticationError)
def _auth_error(request, exc):
    return error_response(
        request,
        401,
        "unauthorized",
        _("Missing or unknown API key. Send Authorization: Bearer <key>."),
    )


@api.exception_handler(DataError)
@api.exception_handler(OverflowError)
def _out_of_range(request, exc):
    # Safety net: a number no column can hold (an id or offset of 30 digits) is bad input.
    return error_response(
        request, 422, "out_of_range", _("A number in the request is too large or out of range.")
    )


@api.exception_handler(IntegrityError)
def _integrity_error(request, exc):
    # Safety net: services check uniqueness first; this is what a race between two requests
    # looks like. Nothing was saved (the transaction rolled back).
    if "datatype mismatch" in str(exc):  # SQLite's word for a number too large for a column
        return _out_of_range(request, exc)
    logger.warning("integrity error on %s: %s", request.path, exc)
    return error_response(
        request, 409, "conflict", _("This conflicts with data saved at the same moment; try again.")
    )


@api.exception_handler(HttpError)
def _http_error(request, exc: HttpError):
    return error_response(request, exc.status_code, "http_error", str(exc))


def _register_routers() -> None:
    # Each domain app exposes `router` in its api.py; they are mounted here.
    from donhang.accounts.api import router as accounts_router
    from donhang.catalog.api import router as catalog_router
    from donhang.chatbot.api import router as chatbot_router
    from donhang.customers.api import router as customers_router
    from donhang.inventory.api import router as inventory_router
    from donhang.invoicing.api import router as invoicing_router
    from donhang.marketplaces.api import router as marketplaces_router
    from donhang.orders.api import router as orders_router
    from donhang.orders.api import stock_router
    from donhang.purchasing.api import router as purchasing_router
    from donhang.reports.api import router as reports_router
    from donhang.returns.api import router as returns_router
    from donhang.shipping.api import router as shipping_router

    api.add_router("/", accounts_router)
    api.add_router("/", catalog_router)
    api.add_router("/", inventory_router)
    api.add_router("/", customers_router)
    api.add_router("/", orders_router)
    api.add_router("/", stock_router)
    api.add_router("/", purchasing_router)
    api.add_router("/", shipping_router)
    api.add_router("/", invoicing_router)
    api.add_router("/", marketplaces_router)
    api.add_router("/", returns_router)
    api.add_router("/", chatbot_router)
    api.add_router("/", reports_router)


_register_routers()

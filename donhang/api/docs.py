"""Who may read the API's documentation: the docs page and the OpenAPI schema.

Logged-in staff (the docs page's "Try it out" then uses their session), and for the schema also
a program with an API key; everyone when API_DOCS_PUBLIC is on. The page's Swagger UI comes from
django-ninja's own static files (ninja is in INSTALLED_APPS), so it works offline and under the
Content-Security-Policy."""

from __future__ import annotations

from functools import wraps

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.utils.translation import gettext as _

from donhang.accounts.services import api_key_authenticate
from donhang.api.errors import error_response

SCHEMA_URL_NAME = "openapi-json"


def _bearer_key(request) -> str:
    scheme, _space, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


def docs_access(view):
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if settings.API_DOCS_PUBLIC or request.user.is_authenticated:
            return view(request, *args, **kwargs)
        match = request.resolver_match
        if match is not None and match.url_name == SCHEMA_URL_NAME:
            token = _bearer_key(request)
            if token and api_key_authenticate(raw_key=token) is not None:
                return view(request, *args, **kwargs)
            return error_response(
                request,
                401,
                "unauthorized",
                _("Log in, or send Authorization: Bearer <API key>, to read the API schema."),
            )
        return redirect_to_login(request.get_full_path())

    return wrapper

from django.conf import settings
from django.middleware.locale import LocaleMiddleware
from django.utils import translation


class ShopLocaleMiddleware(LocaleMiddleware):
    """Vietnamese unless the user picked another language with the switch (its cookie).

    The browser's Accept-Language is not used: a shop's staff and buyers read Vietnamese by
    default even on an English-language computer."""

    def process_request(self, request):
        language = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
        if language not in dict(settings.LANGUAGES):
            language = settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()


def content_security_policy(*, form_action: tuple[str, ...] = ()) -> str:
    """The site's policy. `form_action` adds origins a page's form may end up at: browsers check
    form-action against every redirect that follows a form's POST, so a form whose answer sends
    the user to another site (a marketplace's authorization page) needs that origin here, set by
    its view as the response's own policy (the middleware keeps a policy a view has set)."""
    return "; ".join(
        [
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self' 'unsafe-inline'",
            "img-src 'self' data: blob:",
            "font-src 'self'",
            "connect-src 'self'",
            "object-src 'none'",
            "base-uri 'self'",
            " ".join(["form-action 'self'", *form_action]),
            "frame-ancestors 'none'",
        ]
    )


CONTENT_SECURITY_POLICY = content_security_policy()


class ContentSecurityPolicyMiddleware:
    """Every response says scripts come from our own files only: no inline <script>, no
    onclick=, no eval, nothing from another origin. Behaviour lives in static files (web/app.js
    and each page's own script).

    A response that already carries a policy keeps it: uploaded media set a stricter one
    (`default-src 'none'; sandbox`)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if "Content-Security-Policy" not in response:
            response["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
        return response

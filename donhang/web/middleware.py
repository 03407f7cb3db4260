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

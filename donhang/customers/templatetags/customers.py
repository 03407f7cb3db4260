from django import template

from donhang.core.phone import display_phone

register = template.Library()


@register.filter
def phone_display(e164):
    """ "+84912345678" → "0912 345 678"."""
    return display_phone(e164)

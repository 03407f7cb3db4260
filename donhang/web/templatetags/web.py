from django import template
from django.utils.formats import number_format

from donhang.core.money import format_vnd

register = template.Library()


MINUS = "\u2212"  # one minus sign on every page: "−20.000 ₫", "−3"


@register.filter
def vnd(amount):
    """Integer VND → "1.234.567 ₫" ("−20.000 ₫" below zero)."""
    text = format_vnd(amount)
    return MINUS + text[1:] if text.startswith("-") else text


@register.filter
def qty(value):
    """A quantity with the language's grouping: 2.861 in Vietnamese, 2,861 in English."""
    if value in (None, ""):
        return ""
    try:
        number = int(value)
    except (TypeError, ValueError):
        return value
    text = number_format(abs(number), force_grouping=True)
    return MINUS + text if number < 0 else text


@register.filter
def signed(value):
    """A change with its sign: "+1.200", "−3", "0"."""
    try:
        number = int(value)
    except (TypeError, ValueError):
        return value
    text = number_format(abs(number), force_grouping=True)
    return ("+" if number > 0 else MINUS if number < 0 else "") + text


@register.simple_tag(takes_context=True)
def query_replace(context, **kwargs):
    """The current query string with some parameters replaced (for pagination and filters)."""
    query = context["request"].GET.copy()
    for key, value in kwargs.items():
        query[key] = value
    return query.urlencode()

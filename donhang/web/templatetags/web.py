from django import template

from donhang.core.money import format_vnd

register = template.Library()


@register.filter
def vnd(amount):
    """Integer VND → "1.234.567 ₫"."""
    return format_vnd(amount)


@register.simple_tag(takes_context=True)
def query_replace(context, **kwargs):
    """The current query string with some parameters replaced (for pagination and filters)."""
    query = context["request"].GET.copy()
    for key, value in kwargs.items():
        query[key] = value
    return query.urlencode()

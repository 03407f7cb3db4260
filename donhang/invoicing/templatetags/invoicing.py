from decimal import Decimal

from django import template

register = template.Library()


@register.filter
def unit_price(value) -> str:
    """152777.6700 → "152.777,67"; whole đồng without decimals (invoices print it so)."""
    if value in (None, ""):
        return ""
    value = Decimal(value).normalize()
    whole = int(value)
    text = f"{abs(whole):,}".replace(",", ".")
    if value < 0:
        text = "-" + text
    fraction = abs(value - whole)
    if fraction:
        text += "," + f"{fraction:f}".split(".")[1].rstrip("0")
    return text

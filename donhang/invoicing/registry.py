"""Provider code → adapter class. The adapter is built from an invoice account's settings and
the seller's tax code (the shop profile's)."""

from __future__ import annotations

from collections.abc import Callable

from donhang.invoicing.ports import InvoiceAdapter
from donhang.invoicing.providers.misa.adapter import MisaAdapter
from donhang.invoicing.providers.sinvoice.adapter import SInvoiceAdapter

ADAPTERS: dict[str, type] = {
    "sinvoice": SInvoiceAdapter,
    "misa": MisaAdapter,
}


def build_adapter(
    *,
    provider: str,
    environment: str,
    base_url: str,
    credentials: dict,
    options: dict,
    seller_tax_code: str,
    on_token: Callable[[str, float], None] | None = None,
) -> InvoiceAdapter:
    try:
        cls = ADAPTERS[provider]
    except KeyError:
        raise ValueError(f"no adapter for e-invoice provider {provider!r}") from None
    return cls(
        environment=environment,
        base_url=base_url,
        credentials=credentials,
        options=options,
        seller_tax_code=seller_tax_code,
        on_token=on_token,
    )

"""A small callback registry: how a lower app tells a higher one something without importing it.

The layers contract (DESIGN.md section 4) forbids e.g. inventory importing orders. When inventory
must say "stock arrived for these variants" (so that waiting orders get served), orders registers
a handler for the hook name at start-up (its AppConfig.ready) and inventory calls `emit`.

Handlers run synchronously, in the caller's transaction, in registration order. Hook names are
documented where they are emitted:

- ``stock.arrived`` (variant_ids: set[int], actor): sellable stock grew; serve waiting orders.
- ``stock.shortfall`` (shortfall: dict[(variant_id, warehouse_id), int], actor, reason: str):
  on-hand stock is about to drop below what is reserved; take that many units of reservation
  back from the newest open orders so that the count can be posted.
- ``order.shipping_panel`` (request, order) -> dict | None: the order page's shipments card
  (provided by shipping); ``orders.bulk_carriers`` (request) -> list: carrier accounts offered
  for "create shipments" on the order list.
- ``order.page_panels`` (request, order) -> dict | None: a card on the order page of an app
  above orders: {"template": "app/partials/x.html", …values the template reads}.
- ``order.handed_over`` / ``order.completed`` (order, actor): emitted in the transaction that
  moved the order (e.g. invoicing issues the e-invoice then, on commit).
- ``order.returned`` (order, actor, source): a parcel came back (the returns app opens a return
  for a carrier's returned-to-sender parcel); ``order.returned_units`` (order) -> {order line id:
  units back}: what returns took back (invoicing leaves it out of a replacement invoice);
  ``ledger.check`` () -> list[str]: extra problems for `stock_rebuild --check` (returns).
- ``customer.*``: the customer pages' orders and totals (provided by orders), see
  donhang.customers.selectors; ``customer.merged`` (keep, duplicate_ids, actor): duplicates are
  about to be merged into ``keep`` (orders move their orders over).
- ``catalog.stock_sum`` (field, product) -> expression, ``catalog.warehouses`` () -> list,
  ``catalog.initial_stock`` (variant, quantities, actor): the catalog's stock columns, warehouse
  choices and opening stock (provided by inventory), see donhang.catalog.stock.
- ``inventory.channel_rules`` () -> rows, ``inventory.allocation_strategies`` () -> choices,
  ``inventory.channel_rule_set`` (...): the per-channel warehouse rules shown with the
  warehouses but owned by orders.
- ``orders.ids_by_tracking`` (tracking) -> list[int] | None: orders whose parcel has that
  carrier tracking number (provided by shipping), for the order list's search.
- ``web.dashboard`` (request) -> dict | None: the home page, {"template": …, …values} (provided
  by reports); without a handler the shell shows its own summary.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from typing import Any

_handlers: dict[str, list[Callable[..., Any]]] = defaultdict(list)


def register(name: str, handler: Callable[..., Any]) -> None:
    """Register handler for name once (registering the same function again is a no-op)."""
    if handler not in _handlers[name]:
        _handlers[name].append(handler)


def emit(name: str, **kwargs: Any) -> list[Any]:
    """Call every handler of name with kwargs; return their results in order."""
    return [handler(**kwargs) for handler in list(_handlers.get(name, ()))]


def registered(name: str) -> list[Callable[..., Any]]:
    return list(_handlers.get(name, ()))


def first(name: str, default: Any = None, **kwargs: Any) -> Any:
    """The first handler's result that is not None (a higher app provides a piece of a page or
    a service); `default` when no handler is registered or all answer None."""
    for handler in list(_handlers.get(name, ())):
        result = handler(**kwargs)
        if result is not None:
            return result
    return default

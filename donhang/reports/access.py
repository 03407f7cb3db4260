"""What a person (or an API key) may see of the figures. Revenue needs accounts.view_revenue;
cost and margins need catalog.view_cost as well: sales and warehouse staff see orders and units
only, on every page, export and API answer. Selectors leave out what the caller may not see,
so a template or an export cannot show it by mistake."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Access:
    money: bool = False  # revenue, returns' value, average order value
    margin: bool = False  # cost of goods, margin, stock and purchase value
    customers: bool = False  # the sales-by-customer report (names, phones)
    stock: bool = False  # inventory movements
    purchases: bool = False
    returns: bool = False
    cod: bool = False  # COD amounts, payouts
    shipping: bool = False  # parcels and their fees
    invoices: bool = False
    marketplaces: bool = False
    stocktakes: bool = False
    settings: bool = False  # the daily email

    @classmethod
    def of(cls, who) -> Access:
        """From a user or a donhang.accounts.principal.Principal (both have has_perm)."""
        if who is None:
            return cls()

        def can(perm: str) -> bool:
            return bool(who.has_perm(perm))

        money = can("accounts.view_revenue")
        return cls(
            money=money,
            margin=money and can("catalog.view_cost"),
            customers=can("customers.view_customer"),
            stock=can("inventory.view_stockmovement"),
            purchases=can("purchasing.view_purchaseorder"),
            returns=can("returns.view_return"),
            cod=can("shipping.view_codpayout"),
            shipping=can("shipping.view_shipment"),
            invoices=can("invoicing.view_invoice"),
            marketplaces=can("marketplaces.view_shopconnection"),
            stocktakes=can("inventory.view_stocktake"),
            settings=can("reports.change_reportsettings"),
        )

    @property
    def costs(self) -> bool:
        """Cost prices (stock value, purchases): catalog.view_cost."""
        return self.margin

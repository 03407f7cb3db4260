// The lines editor of purchase orders and goods receipts: Enter in the product search searches,
// the same product twice adds a unit to its line, amounts and totals follow the typing, lines
// can be removed. A static file: the Content-Security-Policy allows no inline script.
(function () {
  const body = document.body;
  const search = document.getElementById("variant-search");
  // Enter in the product search searches (htmx); it does not submit the form.
  if (search) search.addEventListener("keydown", (e) => {
    if (e.key === "Enter") { e.preventDefault(); htmx.trigger(search, "search"); }
  });
  const vnd = (n) => n.toLocaleString("vi-VN") + " ₫";
  const recalc = () => {
    const totals = document.getElementById("po-totals");
    if (!totals) return;
    let goods = 0, vat = 0;
    document.querySelectorAll("#lines-body tr").forEach((row) => {
      const q = parseInt(row.querySelector(".line-quantity")?.value, 10) || 0;
      const p = parseInt(row.querySelector(".line-price")?.value, 10) || 0;
      const rate = row.querySelector(".line-vat")?.value;
      const amount = q * p;
      const cell = row.querySelector(".line-amount");
      if (cell) cell.textContent = vnd(amount);
      goods += amount;
      vat += rate && rate !== "exempt" ? Math.round(amount * parseInt(rate, 10) / 100) : 0;
    });
    totals.querySelector("[data-total=goods]").textContent = vnd(goods);
    totals.querySelector("[data-total=vat]").textContent = vnd(vat);
    totals.querySelector("[data-total=total]").textContent = vnd(goods + vat);
  };
  // The same product twice: one more unit on its line instead of a second line.
  body.addEventListener("htmx:beforeRequest", (e) => {
    const id = e.detail.elt.dataset && e.detail.elt.dataset.variantId;
    if (!id) return;
    const row = document.querySelector(`#lines-body tr[data-line-variant="${id}"]`);
    if (!row) return;
    e.preventDefault();
    const qty = row.querySelector("input[name=line_quantity]");
    qty.value = (parseInt(qty.value, 10) || 0) + 1;
    recalc();
  });
  body.addEventListener("htmx:afterSwap", (e) => { if (e.detail.target.id === "lines-body") recalc(); });
  body.addEventListener("input", (e) => { if (e.target.closest("#lines-body")) recalc(); });
  body.addEventListener("change", (e) => { if (e.target.closest("#lines-body")) recalc(); });
  body.addEventListener("click", (e) => {
    const remove = e.target.closest("[data-remove-line]");
    if (remove) { remove.closest("tr").remove(); recalc(); }
  });
  recalc();
})();

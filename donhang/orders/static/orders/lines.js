// The order lines editor (new order, edit lines): Enter in the product search searches, the same
// product twice adds to its line, removing a line, and "lines-changed" for the totals preview.
// A static file, not inline script: the Content-Security-Policy allows only our own files.
(function () {
  const body = document.body;
  const changed = () => body.dispatchEvent(new Event("lines-changed"));
  // Enter in the product search searches (htmx), it does not submit the order.
  const search = document.getElementById("variant-search");
  if (search) search.addEventListener("keydown", (e) => {
    if (e.key === "Enter") { e.preventDefault(); htmx.trigger(search, "search"); }
  });
  // The same product twice: add to the quantity of its line instead of a second line.
  body.addEventListener("htmx:beforeRequest", (e) => {
    const id = e.detail.elt.dataset && e.detail.elt.dataset.variantId;
    if (!id) return;
    const row = document.querySelector(`#lines-body tr[data-line-variant="${id}"]`);
    if (!row) return;
    e.preventDefault();
    const qty = row.querySelector("input[name=line_quantity]");
    qty.value = (parseInt(qty.value, 10) || 0) + 1;
    changed();
  });
  body.addEventListener("htmx:afterSwap", (e) => {
    if (e.detail.target.id === "lines-body") changed();
  });
  body.addEventListener("click", (e) => {
    const remove = e.target.closest("[data-remove-line]");
    if (remove) { remove.closest("tr").remove(); changed(); }
  });
})();

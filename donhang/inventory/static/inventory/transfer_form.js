// The new-transfer page: Enter in the product search searches (it does not save the transfer),
// the same product twice adds to its line, and lines can be removed. A static file: the
// Content-Security-Policy allows no inline script.
(function () {
  const body = document.body;
  // Enter in the product search searches; it does not save the transfer.
  const search = document.getElementById("variant-search");
  if (search) search.addEventListener("keydown", (e) => {
    if (e.key === "Enter") { e.preventDefault(); htmx.trigger(search, "search"); }
  });
  // The same product twice: add to its line's quantity instead of a second line.
  body.addEventListener("htmx:beforeRequest", (e) => {
    const id = e.detail.elt.dataset && e.detail.elt.dataset.variantId;
    if (!id) return;
    const row = document.querySelector(`#transfer-lines-body tr[data-line-variant="${id}"]`);
    if (!row) return;
    e.preventDefault();
    const qty = row.querySelector("input[name=line_quantity]");
    qty.value = (parseInt(qty.value, 10) || 0) + 1;
  });
  body.addEventListener("click", (e) => {
    const remove = e.target.closest("[data-remove-line]");
    if (remove) remove.closest("tr").remove();
  });
})();

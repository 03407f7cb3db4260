// The product page: margins recompute as a price or the VAT rate is typed, and a sale price
// below cost turns red with "Below cost!" (the same rule as donhang.core.money.margin: the sale
// price net of VAT, rounded half up, minus the cost excl. VAT; percent of the net price).
(function () {
  "use strict";
  const table = document.getElementById("variant-table");
  if (!table) return;
  const lang = document.documentElement.lang || "vi";
  const vnd = (n) => (n < 0 ? "−" : "") + Math.abs(n).toLocaleString("vi-VN") + " ₫";
  const number = (text) => parseInt(String(text || "").replace(/[^\d]/g, ""), 10) || 0;

  function recompute(row) {
    if (row.dataset.cost === undefined) return;
    const input = (kind) => row.querySelector(`[data-margin-input=${kind}]`);
    const sale = input("sale") ? number(input("sale").value) : number(row.dataset.sale);
    const cost = input("cost") ? number(input("cost").value) : number(row.dataset.cost);
    const rate = input("vat") ? input("vat").value : row.dataset.vat;
    const vat = rate === "exempt" ? 0 : (parseInt(rate, 10) || 0);
    const net = Math.round(sale * 100 / (100 + vat));
    const margin = net - cost;
    const cell = row.querySelector(".margin");
    if (!cell) return;
    cell.querySelector(".margin-amount").textContent = vnd(margin);
    cell.querySelector(".margin-percent").textContent = net
      ? (Math.round(margin * 1000 / net) / 10).toLocaleString(lang, { minimumFractionDigits: 1, maximumFractionDigits: 1 }) + " %"
      : "—";
    const below = margin < 0;
    cell.classList.toggle("margin-negative", below);
    cell.classList.toggle("fw-semibold", below);
    const warning = row.querySelector(".below-cost");
    if (warning) warning.hidden = !below;
    if (input("sale")) input("sale").classList.toggle("is-invalid", below);
  }

  table.addEventListener("input", (e) => {
    if (e.target.dataset.marginInput) recompute(e.target.closest("tr"));
  });
  table.addEventListener("change", (e) => {
    if (e.target.dataset.marginInput) {
      recompute(e.target.closest("tr"));
      if (e.target.tagName === "SELECT") e.target.title = e.target.selectedOptions[0].textContent;
    }
  });
})();

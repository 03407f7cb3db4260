// Scan mode on the goods receipt: each scan of a barcode (or a typed SKU + Enter) counts one unit
// on its line. Against a purchase order, turning scan mode on starts every line from 0; without
// one, a code not yet on the receipt adds its line. An unknown code beeps and says so.
(function () {
  "use strict";
  const panel = document.getElementById("receipt-scan");
  if (!panel) return;
  const input = panel.querySelector("[data-scan-input]");
  const message = panel.querySelector("[data-scan-message]");
  const toggle = document.getElementById("scan-mode-on");
  const body = document.getElementById("lines-body");
  const say = (text, ok) => {
    message.textContent = text;
    message.className = ok ? "text-success fw-semibold" : "text-danger fw-semibold";
    message.dataset.state = ok ? "ok" : "refused";
  };
  const beep = () => (window.donhangBeep ? window.donhangBeep() : null);
  const same = (a, b) => (a || "").toLowerCase() === (b || "").toLowerCase();
  function rowFor(code) {
    return Array.from(body.querySelectorAll("tr")).find((tr) =>
      (tr.dataset.lineBarcode && tr.dataset.lineBarcode === code) || same(tr.dataset.lineSku, code));
  }
  function countOne(row) {
    const qty = row.querySelector("input[name=line_quantity]");
    qty.value = (parseInt(qty.value, 10) || 0) + 1;
    qty.dispatchEvent(new Event("input", { bubbles: true }));
    say(`${row.dataset.lineSku}: ${qty.value}`, true);
  }
  if (toggle) {
    toggle.addEventListener("change", () => {
      panel.querySelector(".scan-box").hidden = !toggle.checked;
      if (toggle.checked) {
        body.querySelectorAll("input[name=line_quantity]").forEach((q) => { q.value = 0; });
        input.focus();
      }
    });
  }
  let queue = Promise.resolve();
  function scan(code) {
    const row = rowFor(code);
    if (row) { countOne(row); return Promise.resolve(); }
    if (!panel.dataset.lookupUrl) { beep(); say(panel.dataset.notOnOrder.replace("__CODE__", code), false); return Promise.resolve(); }
    return fetch(panel.dataset.lookupUrl + "?code=" + encodeURIComponent(code), { credentials: "same-origin" })
      .then((r) => r.json())
      .then((found) => {
        if (!found.found) { beep(); say(found.message, false); return null; }
        const existing = body.querySelector(`tr[data-line-variant="${found.id}"]`);
        if (existing) { countOne(existing); return null; }
        return htmx.ajax("GET", panel.dataset.rowUrl + "&variant=" + found.id, { target: "#lines-body", swap: "beforeend" })
          .then(() => say(`${found.sku}: 1`, true));
      })
      .catch(() => { beep(); say(code, false); });
  }
  input.addEventListener("keydown", (e) => {
    if (e.key !== "Enter") return;
    e.preventDefault();
    const code = input.value.trim();
    input.value = "";
    if (code) queue = queue.then(() => scan(code));
  });
})();

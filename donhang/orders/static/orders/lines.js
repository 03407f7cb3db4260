// The order lines editor (new order, edit lines), made for a barcode scanner and the keyboard:
// - a SKU or barcode + Enter adds its line (again: quantity + 1); the box is emptied and keeps
//   the focus, so the next scan goes in;
// - words of a name in any order, without diacritics, list the products; ↑/↓ move in the list
//   and Enter picks; Escape closes it;
// - a quantity above what can be sold says "backorder N?" on its line;
// - "lines-changed" asks for the totals preview.
// A static file, not inline script: the Content-Security-Policy allows only our own files.
(function () {
  "use strict";
  const body = document.body;
  const search = document.getElementById("variant-search");
  const results = document.getElementById("variant-results");
  const linesBody = document.getElementById("lines-body");
  const message = document.getElementById("scan-message");
  if (!linesBody) return;
  const changed = () => body.dispatchEvent(new Event("lines-changed"));
  const intValue = (text) => parseInt(String(text || "").replace(/[.\s]/g, ""), 10) || 0;

  function say(text, bad) {
    if (!message) return;
    message.textContent = text || "";
    message.className = "small mb-2 " + (bad ? "text-danger fw-semibold" : "text-success");
  }

  function beep() {
    try {
      const Context = window.AudioContext || window.webkitAudioContext;
      if (!Context) return;
      const context = new Context();
      const tone = context.createOscillator();
      tone.frequency.value = 440;
      tone.connect(context.destination);
      tone.start();
      tone.stop(context.currentTime + 0.25);
    } catch (error) { /* no sound: the message still says it */ }
  }

  function backorderHints() {
    linesBody.querySelectorAll("tr[data-line-variant]").forEach((row) => {
      const hint = row.querySelector(".backorder-hint");
      const qty = row.querySelector("input[name=line_quantity]");
      if (!hint || !qty) return;
      const over = intValue(qty.value) - intValue(row.dataset.available);
      hint.hidden = over <= 0;
      if (over > 0) hint.textContent = hint.dataset.text.replace("__N__", over.toLocaleString(document.documentElement.lang || "vi"));
    });
  }

  // Back to the box for the next scan, but never away from a field someone is typing in.
  function ready() {
    if (!search) return;
    const active = document.activeElement;
    const typing = active && active !== search && active.matches("input, select, textarea") && !active.closest("#variant-results");
    if (!typing) search.focus();
  }

  function clearResults() {
    if (results) results.innerHTML = "";
  }

  // Add one unit of a variant: +1 on its line, or a new line.
  function addVariant(id, sku) {
    const row = linesBody.querySelector(`tr[data-line-variant="${id}"]`);
    clearResults();
    if (row) {
      const qty = row.querySelector("input[name=line_quantity]");
      qty.value = intValue(qty.value) + 1;
      say(`${sku || row.dataset.lineSku}: ${qty.value}`);
      backorderHints();
      changed();
      ready();
      return Promise.resolve();
    }
    return htmx.ajax("GET", search.dataset.rowUrl + "?variant=" + encodeURIComponent(id), {
      target: "#lines-body", swap: "beforeend",
    }).then(() => {
      say(`${sku || ""}: 1`);
      ready();
    });
  }

  function options() {
    return results ? Array.from(results.querySelectorAll(".variant-result")) : [];
  }

  function highlighted() {
    return results ? results.querySelector(".variant-result.active") : null;
  }

  // The row chosen with ↑/↓ (or offered after Enter), kept when a late answer redraws the list.
  let activeIndex = -1;
  function highlight(index) {
    const list = options();
    if (!list.length) return;
    const i = (index + list.length) % list.length;
    activeIndex = i;
    list.forEach((item, n) => {
      item.classList.toggle("active", n === i);
      item.setAttribute("aria-selected", n === i ? "true" : "false");
    });
    list[i].scrollIntoView({ block: "nearest" });
  }

  function pick(item) {
    activeIndex = -1;
    const button = item.querySelector("[data-variant-id]");
    return addVariant(button.dataset.variantId, button.dataset.variantSku);
  }

  // Enter: what is highlighted, else the exact code (a scan), else the only match, else the list.
  // The box is emptied at once: a scanner types the next code before this one is answered.
  let busy = Promise.resolve();
  function enter(q, chosen) {
    if (chosen) return pick(chosen);
    if (!q) return Promise.resolve();
    return fetch(search.dataset.searchUrl + "?q=" + encodeURIComponent(q), {
      headers: { "HX-Request": "true" }, credentials: "same-origin",
    }).then((response) => response.text()).then((html) => {
      results.innerHTML = html;
      htmx.process(results);
      const list = options();
      const exact = results.querySelector(".variant-result[data-exact]");
      if (exact) return pick(exact);
      if (list.length === 1) return pick(list[0]);
      if (!list.length) {
        beep();
        say(results.textContent.trim(), true);
        return null;
      }
      // Several: the words stay in the box, ↑/↓ and Enter choose.
      if (!search.value) search.value = q;
      highlight(0);
      return null;
    });
  }

  if (search) {
    search.addEventListener("keydown", (e) => {
      if (e.key === "Enter" && !e.ctrlKey && !e.metaKey) {
        e.preventDefault();
        // A scanner types faster than the answers come: handle each Enter in turn.
        const q = search.value.trim();
        const chosen = highlighted();
        search.value = "";
        if (chosen) chosen.classList.remove("active");
        const run = () => enter(q, chosen);
        busy = busy.then(run, run);
      } else if (e.key === "ArrowDown" || e.key === "ArrowUp") {
        if (!options().length) return;
        e.preventDefault();
        const list = options();
        const current = list.indexOf(highlighted());
        highlight(current < 0 ? (e.key === "ArrowDown" ? 0 : -1) : current + (e.key === "ArrowDown" ? 1 : -1));
      } else if (e.key === "Escape") {
        clearResults();
        activeIndex = -1;
      } else if (e.key.length === 1) {
        activeIndex = -1;  // typing again: a new search, nothing chosen yet
      }
    });
    // A late answer for text that is gone (the line was added meanwhile) is not shown.
    body.addEventListener("htmx:beforeSwap", (e) => {
      if (e.detail.target === results && !search.value.trim()) e.detail.shouldSwap = false;
    });
  }

  // A click on "Add" in the list (htmx request): the same product twice adds to its line.
  body.addEventListener("htmx:beforeRequest", (e) => {
    const elt = e.detail.elt;
    const id = elt.dataset && elt.dataset.variantId;
    if (!id) return;
    e.preventDefault();
    addVariant(id, elt.dataset.variantSku);
  });
  body.addEventListener("htmx:afterSwap", (e) => {
    if (e.detail.target.id === "lines-body") { backorderHints(); changed(); }
    if (e.detail.target === results && activeIndex >= 0) highlight(activeIndex);
  });
  linesBody.addEventListener("input", backorderHints);
  body.addEventListener("click", (e) => {
    const result = e.target.closest(".variant-result");
    if (result && !e.target.closest("button")) { pick(result); return; }
    const remove = e.target.closest("[data-remove-line]");
    if (remove) { remove.closest("tr").remove(); changed(); ready(); }
  });
  const discount = document.getElementById("id_order_discount");
  if (discount) {
    let timer = null;
    discount.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(changed, 300); });
  }
  backorderHints();
})();

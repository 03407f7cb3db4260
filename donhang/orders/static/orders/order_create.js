// The new-order page: a customer found by phone fills in the name, email and address (only
// empty fields, unless "use" is clicked); a saved address button fills the address; "pickup at
// the shop" hides the address; shortcuts F2 (product), F4 (customer), Ctrl+Enter (save).
(function () {
  "use strict";
  const form = document.getElementById("order-form");
  if (!form) return;
  const input = (name) => form.querySelector(`[name=${name}]`);
  function useAddress(button) {
    input("address_line").value = button.dataset.line;
    const province = input("province");
    province.value = button.dataset.province;
    const ward = input("ward");
    htmx.ajax("GET", province.getAttribute("hx-get") + "?province=" + encodeURIComponent(button.dataset.province) + "&selected=" + encodeURIComponent(button.dataset.ward), {target: "#" + ward.id, swap: "innerHTML"});
  }
  function useCustomer(found, onlyEmpty) {
    if (!onlyEmpty || !input("name").value) input("name").value = found.dataset.customerName;
    if (!onlyEmpty || !input("email").value) input("email").value = found.dataset.customerEmail;
    const first = found.querySelector("[data-use-address]");
    if (first && (!onlyEmpty || !input("address_line").value)) useAddress(first);
  }
  document.body.addEventListener("htmx:afterSwap", (e) => {
    if (e.detail.target.id !== "customer-lookup") return;
    const found = document.getElementById("customer-found");
    if (found) useCustomer(found, true);
  });
  document.body.addEventListener("click", (e) => {
    const address = e.target.closest("[data-use-address]");
    if (address) { useAddress(address); return; }
    const use = e.target.closest("[data-use-customer]");
    if (use) useCustomer(document.getElementById("customer-found"), false);
  });
  // Pickup at the shop: no address to fill in.
  const addressFields = document.getElementById("address-fields");
  form.addEventListener("change", (e) => {
    if (e.target.name === "delivery" && addressFields) {
      addressFields.hidden = e.target.value === "pickup";
    }
  });
  // Shortcuts: none the browser itself owns (F5, Ctrl+S, Ctrl+F… stay the browser's).
  document.addEventListener("keydown", (e) => {
    if (e.key === "F2") {
      e.preventDefault();
      const box = document.getElementById("variant-search");
      if (box) { box.focus(); box.select(); }
    } else if (e.key === "F4") {
      e.preventDefault();
      const phone = input("phone");
      if (phone) { phone.focus(); phone.select(); }
    } else if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) {
      e.preventDefault();
      const save = form.querySelector("[data-shortcut-save]");
      if (save) save.click();
    }
  });
  // The page opens ready for the phone number, or for the next product once lines exist.
  const box = document.getElementById("variant-search");
  if (document.querySelector("#lines-body tr") && box) box.focus();
  else if (input("phone")) input("phone").focus();
})();

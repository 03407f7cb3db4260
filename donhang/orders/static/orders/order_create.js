// The new-order page: a customer found by phone fills in the name, email and address (only
// empty fields, unless "use" is clicked); a saved address button fills the address.
(function () {
  const form = document.getElementById("order-form");
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
})();

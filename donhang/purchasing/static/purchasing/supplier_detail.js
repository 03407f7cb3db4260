// The supplier page: Enter in the product search searches; it does not submit the form.
// A static file: the Content-Security-Policy allows no inline script.
(function () {
  const search = document.getElementById("variant-search");
  if (search) search.addEventListener("keydown", (e) => {
    if (e.key === "Enter") { e.preventDefault(); htmx.trigger(search, "search"); }
  });
})();

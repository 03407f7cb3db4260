// The count sheet: Enter moves to the next count instead of submitting; leaving a changed row
// saves it (htmx). A static file: the Content-Security-Policy allows no inline script.
document.addEventListener("keydown", (e) => {
  if (e.key !== "Enter" || !e.target.classList.contains("count-input")) return;
  e.preventDefault();
  const inputs = Array.from(document.querySelectorAll(".count-input"));
  const next = inputs[inputs.indexOf(e.target) + 1];
  if (next) next.focus();
});

// Scan mode, declared in the markup (no inline script: the Content-Security-Policy forbids it):
//   <div data-scan-url="/…/scan/"> with an <input data-scan-input>, a [data-scan-message] and
//   {% csrf_token %}: each Enter (a scanner ends every code with one) posts `code`; the answer
//   {ok, message, line, row} replaces the row #line-<line> and says what was counted; a refusal
//   beeps and says why in red. The box is emptied at once and keeps the focus, so scans can
//   follow each other faster than the answers come (they are sent one after the other).
(function () {
  "use strict";
  function beep() {
    try {
      const Context = window.AudioContext || window.webkitAudioContext;
      if (!Context) return;
      const context = new Context();
      const tone = context.createOscillator();
      tone.type = "square";
      tone.frequency.value = 330;
      tone.connect(context.destination);
      tone.start();
      tone.stop(context.currentTime + 0.3);
    } catch (error) { /* no sound here: the message still says it */ }
  }
  window.donhangBeep = beep;

  document.querySelectorAll("[data-scan-url]").forEach((panel) => {
    const input = panel.querySelector("[data-scan-input]");
    const message = panel.querySelector("[data-scan-message]");
    const token = panel.querySelector("[name=csrfmiddlewaretoken]");
    let queue = Promise.resolve();
    const say = (text, ok) => {
      message.textContent = text;
      message.className = ok ? "text-success fw-semibold" : "text-danger fw-semibold";
      message.dataset.state = ok ? "ok" : "refused";
    };
    function send(code) {
      const body = new FormData();
      body.append("code", code);
      return fetch(panel.dataset.scanUrl, {
        method: "POST", body, credentials: "same-origin",
        headers: { "X-CSRFToken": token ? token.value : "" },
      }).then((response) => response.json().catch(() => ({ ok: false, message: response.statusText }))).then((answer) => {
        if (!answer.ok) { beep(); say(answer.message || code, false); return; }
        say(answer.message, true);
        const row = answer.line && document.getElementById("line-" + answer.line);
        if (row && answer.row) {
          row.insertAdjacentHTML("afterend", answer.row);
          const fresh = row.nextElementSibling;
          row.remove();
          if (window.htmx) htmx.process(fresh);
          fresh.classList.add("scan-flash");
        }
        panel.dispatchEvent(new CustomEvent("scanned", { detail: answer, bubbles: true }));
      }).catch(() => { beep(); say(code, false); });
    }
    input.addEventListener("keydown", (e) => {
      if (e.key !== "Enter") return;
      e.preventDefault();
      const code = input.value.trim();
      input.value = "";
      if (!code) return;
      queue = queue.then(() => send(code));
    });
  });
})();

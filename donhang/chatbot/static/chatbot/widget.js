// donhang web chat widget. A shop puts one line on its site:
//   <script src="https://<donhang>/static/chatbot/widget.js" data-widget="<public key>" defer></script>
// No inline script, no framework, no other file: the widget builds its elements itself (text
// only, never HTML from the server) and styles them through the DOM, so a strict
// Content-Security-Policy on the shop's page does not stop it. The visitor's signed token is
// kept in localStorage; replies from staff arrive by polling while the chat is open.
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || !script.dataset.widget) {
    return;
  }
  var key = script.dataset.widget;
  var origin = new URL(script.src, window.location.href).origin;
  var base = origin + "/chatbot/w/" + encodeURIComponent(key);
  var storageKey = "donhang-chat-" + key;
  var token = null;
  var lastId = 0;
  var seen = {};
  var pollTimer = null;
  var started = false;

  function el(tag, style, attrs) {
    var node = document.createElement(tag);
    if (style) {
      Object.assign(node.style, style);
    }
    Object.keys(attrs || {}).forEach(function (name) {
      node.setAttribute(name, attrs[name]);
    });
    return node;
  }

  var button = el(
    "button",
    {
      position: "fixed", right: "20px", bottom: "20px", zIndex: "2147483000",
      borderRadius: "28px", border: "0", padding: "12px 18px", background: "#0d6efd",
      color: "#fff", font: "600 15px system-ui, sans-serif", cursor: "pointer",
      boxShadow: "0 4px 12px rgba(0,0,0,.25)"
    },
    { id: "donhang-chat-button", type: "button", "aria-expanded": "false" }
  );
  button.textContent = "Chat với shop";
  var panel = el(
    "div",
    {
      position: "fixed", right: "20px", bottom: "80px", width: "340px", maxWidth: "calc(100vw - 40px)",
      height: "480px", maxHeight: "calc(100vh - 120px)", display: "none", flexDirection: "column",
      background: "#fff", border: "1px solid #ddd", borderRadius: "12px", zIndex: "2147483000",
      boxShadow: "0 8px 24px rgba(0,0,0,.2)", font: "14px system-ui, sans-serif", color: "#212529"
    },
    { id: "donhang-chat-panel", role: "dialog", "aria-label": "Chat" }
  );
  var header = el("div", {
    padding: "10px 14px", background: "#0d6efd", color: "#fff", fontWeight: "600",
    borderRadius: "12px 12px 0 0"
  });
  header.textContent = "Chat";
  var log = el(
    "div",
    { flex: "1", overflowY: "auto", padding: "10px", background: "#f8f9fa" },
    { id: "donhang-chat-messages", "aria-live": "polite" }
  );
  var form = el("form", { display: "flex", gap: "6px", padding: "8px", borderTop: "1px solid #eee" });
  var input = el(
    "input",
    { flex: "1", padding: "8px", border: "1px solid #ccc", borderRadius: "8px", font: "inherit" },
    { id: "donhang-chat-input", type: "text", maxlength: "2000", autocomplete: "off", placeholder: "Nhập tin nhắn…" }
  );
  var send = el(
    "button",
    { border: "0", borderRadius: "8px", padding: "8px 12px", background: "#0d6efd", color: "#fff", cursor: "pointer" },
    { id: "donhang-chat-send", type: "submit" }
  );
  send.textContent = "Gửi";
  form.appendChild(input);
  form.appendChild(send);
  panel.appendChild(header);
  panel.appendChild(log);
  panel.appendChild(form);

  function addMessage(message) {
    if (message.id && seen[message.id]) {
      return;
    }
    if (message.id) {
      seen[message.id] = true;
      lastId = Math.max(lastId, message.id);
    }
    var mine = message.from === "customer";
    var row = el("div", { display: "flex", justifyContent: mine ? "flex-end" : "flex-start", margin: "4px 0" });
    var bubble = el(
      "div",
      {
        maxWidth: "85%", padding: "8px 10px", borderRadius: "10px", whiteSpace: "pre-wrap",
        background: mine ? "#0d6efd" : message.from === "staff" ? "#cff4fc" : "#fff",
        color: mine ? "#fff" : "#212529", border: mine ? "0" : "1px solid #e5e5e5",
        overflowWrap: "anywhere"
      },
      { "class": "donhang-chat-msg", "data-from": message.from || "bot" }
    );
    bubble.textContent = message.text || "";
    (message.attachments || []).forEach(function (attachment) {
      if (attachment.type === "vietqr" && attachment.url) {
        var img = el("img", { display: "block", width: "180px", height: "180px", marginTop: "6px" }, {
          alt: "VietQR", "class": "donhang-chat-qr"
        });
        img.src = new URL(attachment.url, origin).href;
        bubble.appendChild(img);
      }
    });
    row.appendChild(bubble);
    log.appendChild(row);
    log.scrollTop = log.scrollHeight;
  }

  function call(method, path, body) {
    var headers = { "Content-Type": "application/json" };
    if (token) {
      headers["X-Visitor-Token"] = token;
    }
    return fetch(base + path, {
      method: method,
      headers: headers,
      body: body ? JSON.stringify(body) : undefined,
      credentials: "omit",
      mode: "cors"
    }).then(function (response) {
      return response.json().then(function (data) {
        if (!response.ok) {
          throw new Error((data.error && data.error.message) || response.status);
        }
        return data;
      });
    });
  }

  function start() {
    if (started) {
      return Promise.resolve();
    }
    started = true;
    var saved = null;
    try {
      saved = window.localStorage.getItem(storageKey);
    } catch (e) {
      saved = null;
    }
    return call("POST", "/session", { token: saved || "" }).then(function (data) {
      token = data.token;
      try {
        window.localStorage.setItem(storageKey, token);
      } catch (e) {
        // private browsing: the chat lasts as long as the page
      }
      header.textContent = data.bot_name || "Chat";
      if (!data.messages.length && data.greeting) {
        addMessage({ from: "bot", text: data.greeting });
      }
      data.messages.forEach(addMessage);
    }).catch(function () {
      started = false;
      addMessage({ from: "bot", text: "Xin lỗi, chat đang gián đoạn. Anh/chị thử lại sau ạ." });
    });
  }

  function poll() {
    if (!token) {
      return;
    }
    call("GET", "/messages?after=" + lastId).then(function (data) {
      data.messages.forEach(addMessage);
    }).catch(function () {});
  }

  button.addEventListener("click", function () {
    var open = panel.style.display === "none";
    panel.style.display = open ? "flex" : "none";
    button.setAttribute("aria-expanded", open ? "true" : "false");
    if (open) {
      start().then(function () {
        input.focus();
      });
      pollTimer = window.setInterval(poll, 4000);
    } else if (pollTimer) {
      window.clearInterval(pollTimer);
    }
  });

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var text = input.value.trim();
    if (!text) {
      return;
    }
    input.value = "";
    send.disabled = true;
    start().then(function () {
      return call("POST", "/messages", { text: text });
    }).then(function (data) {
      data.messages.forEach(addMessage);
    }).catch(function (error) {
      addMessage({ from: "bot", text: "Tin nhắn chưa gửi được (" + error.message + ")." });
    }).then(function () {
      send.disabled = false;
      input.focus();
    });
  });

  function mount() {
    document.body.appendChild(panel);
    document.body.appendChild(button);
  }
  if (document.body) {
    mount();
  } else {
    document.addEventListener("DOMContentLoaded", mount);
  }
})();

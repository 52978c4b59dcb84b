// frontdesk dashboard behaviour. Loaded from this server only (the Content-Security-Policy
// allows no inline script), and never needed to read a page: without it links and forms work.
(function () {
  "use strict";

  // ---- live updates: server-sent events, with polling while the stream is down ----
  var pollTimer = null;
  function refreshAll() {
    document.querySelectorAll("[data-refresh]").forEach(function (el) {
      htmx.trigger(el, "fd-refresh");
    });
  }
  function setLiveState(polling) {
    document.querySelectorAll("[data-live-state]").forEach(function (el) {
      el.textContent = polling ? "Reconnecting… (checking every few seconds)" : "Live";
      el.classList.toggle("is-polling", polling);
    });
  }
  document.addEventListener("htmx:sseError", function () {
    if (pollTimer === null) {
      setLiveState(true);
      pollTimer = setInterval(refreshAll, 3000);
    }
  });
  document.addEventListener("htmx:sseOpen", function () {
    if (pollTimer !== null) {
      clearInterval(pollTimer);
      pollTimer = null;
      refreshAll();
    }
    setLiveState(false);
  });

  // ---- local times ----
  function localTimes(root) {
    root.querySelectorAll("time[data-local]").forEach(function (t) {
      var d = new Date(t.getAttribute("datetime"));
      if (!isNaN(d)) {
        t.textContent = d.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
        t.title = d.toLocaleString();
      }
    });
  }

  // ---- transcript stays scrolled to the newest message ----
  function scrollTranscript() {
    var t = document.getElementById("transcript");
    if (t) { t.scrollTop = t.scrollHeight; }
  }

  // ---- toasts for failed htmx requests ----
  function toast(text) {
    var box = document.getElementById("toast");
    if (!box) { return; }
    var p = document.createElement("p");
    p.textContent = text;
    box.replaceChildren(p);
    setTimeout(function () { if (box.contains(p)) { box.replaceChildren(); } }, 6000);
  }
  document.addEventListener("htmx:responseError", function (e) {
    var xhr = e.detail.xhr;
    toast(xhr.getResponseHeader("X-Frontdesk-Message") || ("Request failed (" + xhr.status + ")"));
  });
  document.addEventListener("htmx:sendError", function () {
    toast("The server could not be reached. Check your connection.");
  });

  // ---- reply box: Enter sends, Shift+Enter is a newline, /shortcut + Tab inserts ----
  function cannedByShortcut(shortcut) {
    var options = document.querySelectorAll("#canned option[data-shortcut]");
    for (var i = 0; i < options.length; i++) {
      if (options[i].getAttribute("data-shortcut").toLowerCase() === shortcut.toLowerCase()) {
        return options[i].value;
      }
    }
    return null;
  }
  function insertAtCursor(area, text, replaceFrom) {
    var start = replaceFrom === undefined ? area.selectionStart : replaceFrom;
    var end = area.selectionEnd;
    area.value = area.value.slice(0, start) + text + area.value.slice(end);
    area.selectionStart = area.selectionEnd = start + text.length;
    area.focus();
  }
  document.addEventListener("keydown", function (e) {
    var area = e.target;
    if (!(area instanceof HTMLTextAreaElement) || area.id !== "reply-text") { return; }
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      if (area.value.trim() !== "") { area.form.requestSubmit(); }
    } else if (e.key === "Tab" && !e.shiftKey) {
      var before = area.value.slice(0, area.selectionStart);
      var match = before.match(/(^|\s)(\/[\w-]+)$/);
      var text = match && cannedByShortcut(match[2]);
      if (text) {
        e.preventDefault();
        insertAtCursor(area, text, area.selectionStart - match[2].length);
      }
    }
  });
  document.addEventListener("change", function (e) {
    var select = e.target;
    if (!(select instanceof HTMLSelectElement) || !select.hasAttribute("data-canned-insert")) { return; }
    var area = document.getElementById("reply-text");
    if (area && select.value) { insertAtCursor(area, select.value); }
    select.value = "";
  });
  document.addEventListener("htmx:afterRequest", function (e) {
    var form = e.detail.elt;
    if (form && form.id === "reply" && e.detail.successful) {
      form.reset();
      var area = document.getElementById("reply-text");
      if (area) { area.focus(); }
    }
  });

  document.addEventListener("htmx:afterSwap", function (e) {
    localTimes(e.detail.target);
    if (e.detail.target.id === "transcript") { scrollTranscript(); }
  });
  document.addEventListener("DOMContentLoaded", function () {
    localTimes(document);
    scrollTranscript();
  });
})();

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

  // ---- destructive actions ask first ----
  // `data-confirm` works on plain forms (which htmx never sees, so its hx-confirm would not) and
  // on htmx forms alike: this listener runs in the capture phase, before htmx's own.
  document.addEventListener("submit", function (e) {
    var form = e.target;
    var question = form instanceof HTMLFormElement && form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) {
      e.preventDefault();
      e.stopImmediatePropagation();
    }
  }, true);

  // ---- the transcript: new messages are added, never redrawn ----
  // It is an aria-live log, so only additions may touch it (a redraw would read the whole chat
  // out again), and it sticks to the bottom only when the agent was already there.
  var BOTTOM_SLACK_PX = 24;
  function atBottom(box) {
    return box.scrollHeight - box.scrollTop - box.clientHeight <= BOTTOM_SLACK_PX;
  }
  function scrollTranscript() {
    var t = document.getElementById("transcript");
    if (t) { t.scrollTop = t.scrollHeight; }
  }
  // Only the receipt of a message already shown can change.
  function updateReceipt(shown, fresh) {
    var was = shown.querySelector(".receipt");
    var now = fresh.querySelector(".receipt");
    if (was && now) {
      if (was.textContent !== now.textContent) { was.textContent = now.textContent; }
    } else if (now) {
      shown.appendChild(now);
    } else if (was) {
      was.remove();
    }
  }
  function mergeTranscript(box, html) {
    var incoming = document.createElement("template");
    incoming.innerHTML = html;
    var fresh = incoming.content.querySelectorAll("article[data-key]");
    if (fresh.length === 0) { box.replaceChildren(incoming.content); return; }
    var shown = new Map();
    Array.prototype.slice.call(box.children).forEach(function (child) {
      var key = child.getAttribute("data-key");
      if (key === null) { child.remove(); } else { shown.set(key, child); }
    });
    var keep = new Set();
    var previous = null;
    fresh.forEach(function (msg) {
      var key = msg.getAttribute("data-key");
      var old = shown.get(key);
      keep.add(key);
      if (old) {
        updateReceipt(old, msg);
        previous = old;
      } else {
        box.insertBefore(msg, previous ? previous.nextSibling : box.firstChild);
        localTimes(msg);
        previous = msg;
      }
    });
    shown.forEach(function (old, key) { if (!keep.has(key)) { old.remove(); } });
  }
  document.addEventListener("htmx:beforeSwap", function (e) {
    var box = e.detail.target;
    if (!box || box.id !== "transcript" || !e.detail.shouldSwap || e.detail.isError) { return; }
    e.detail.shouldSwap = false;
    var sent = e.detail.requestConfig && e.detail.requestConfig.elt;
    var stick = atBottom(box) || (sent && sent.id === "reply");
    var top = box.scrollTop;
    mergeTranscript(box, e.detail.serverResponse);
    box.scrollTop = stick ? box.scrollHeight : top;
  });

  // ---- the details panel: a box whose form was just sent starts empty again ----
  // Its typing boxes survive live swaps (hx-preserve), which would also keep the text the
  // agent has just sent; a failed request keeps it, so it can be fixed and sent again.
  document.addEventListener("htmx:beforeSwap", function (e) {
    var form = e.detail.requestConfig && e.detail.requestConfig.elt;
    if (!(form instanceof HTMLFormElement) || !e.detail.shouldSwap || e.detail.isError) { return; }
    form.querySelectorAll("[hx-preserve]").forEach(function (box) { box.value = ""; });
  });

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
  });
  document.addEventListener("DOMContentLoaded", function () {
    localTimes(document);
    scrollTranscript();
  });
})();

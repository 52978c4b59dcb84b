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
  // File links are signed for an hour: a message shown for longer takes the fresh ones (the
  // images already loaded stay as they are).
  function renewFileLinks(shown, fresh) {
    fresh.querySelectorAll("[data-file] a[href]").forEach(function (link) {
      var item = link.closest("[data-file]");
      var was = shown.querySelector("[data-file=\"" + CSS.escape(item.getAttribute("data-file")) + "\"] a[href]");
      if (was) { was.setAttribute("href", link.getAttribute("href")); }
    });
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
        renewFileLinks(old, msg);
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
      if (area.value.trim() !== "" || hasFiles(area.form)) { area.form.requestSubmit(); }
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
      clearUploads(form);
      var area = document.getElementById("reply-text");
      if (area) { area.focus(); }
    }
  });

  // ---- reply box files: a picker, drag and drop, or a pasted image ----
  // Each file uploads at once (XMLHttpRequest: fetch cannot report upload progress) and shows
  // as a chip with a progress bar and a remove button; a finished one holds a hidden
  // `attachments` field with its id, so sending the form sends it. The chips live in the reply
  // form, which no live update redraws. A reply may be files alone; it waits for uploads.
  function hasFiles(form) {
    return form !== null && form.querySelector("input[name=attachments]") !== null;
  }
  function uploading(form) {
    return form.querySelector(".chip.is-uploading") !== null;
  }
  function syncRequired(form) {
    var area = form.querySelector("#reply-text");
    if (area) { area.required = !hasFiles(form); }
  }
  function uploadError(form, text) {
    var p = form.querySelector("[data-upload-error]");
    p.textContent = text;
    p.hidden = !text;
  }
  function clearUploads(form) {
    var list = form.querySelector("[data-upload-list]");
    if (!list) { return; }
    list.querySelectorAll(".chip").forEach(function (chip) {
      if (chip.fdRequest) { chip.fdRequest.abort(); }
    });
    list.replaceChildren();
    uploadError(form, "");
    syncRequired(form);
  }
  // "2.4 MB": the units the size limit is set in (1 MB = 1024 KB).
  function sizeText(n) {
    var units = ["bytes", "KB", "MB", "GB"];
    var i = 0;
    while (n >= 1024 && i < units.length - 1) { n /= 1024; i++; }
    return (i > 0 && n < 10 ? Math.round(n * 10) / 10 : Math.round(n)) + " " + units[i];
  }
  function answerMessage(xhr) {
    try {
      var json = JSON.parse(xhr.responseText);
      if (json && typeof json.message === "string") { return json.message; }
    } catch (err) { /* not the JSON envelope: an error page */ }
    return xhr.getResponseHeader("X-Frontdesk-Message") ||
      ("The file could not be uploaded (" + xhr.status + ").");
  }
  function upload(form, file) {
    var name = file.name || "pasted image";
    var max = Number(form.getAttribute("data-max-bytes")) || 0;
    if (max > 0 && file.size > max) {
      uploadError(form, name + ": that file is too big (max " + form.getAttribute("data-max-size") + ").");
      return;
    }
    var chip = document.createElement("li");
    chip.className = "chip is-uploading";
    var label = document.createElement("span");
    label.className = "chip-name";
    label.textContent = name + " (" + sizeText(file.size) + ")";
    var bar = document.createElement("progress");
    bar.max = 100;
    bar.value = 0;
    bar.setAttribute("aria-label", "Uploading " + name);
    var remove = document.createElement("button");
    remove.type = "button";
    remove.className = "chip-remove";
    remove.textContent = "×";
    remove.setAttribute("aria-label", "Remove " + name);
    chip.append(label, bar, remove);
    form.querySelector("[data-upload-list]").appendChild(chip);

    var xhr = new XMLHttpRequest();
    chip.fdRequest = xhr;
    remove.addEventListener("click", function () {
      xhr.abort();
      chip.remove();
      syncRequired(form);
      form.querySelector("#reply-text").focus();
    });
    xhr.open("POST", form.getAttribute("data-upload-url"));
    xhr.setRequestHeader("Accept", "application/json");
    xhr.setRequestHeader("X-CSRF-Token", form.querySelector("input[name=csrf]").value);
    // A script's request: a lapsed sign-in answers 401 and where to sign in, not a redirect.
    xhr.setRequestHeader("HX-Request", "true");
    xhr.upload.addEventListener("progress", function (e) {
      if (e.lengthComputable) { bar.value = Math.round(e.loaded / e.total * 100); }
    });
    xhr.addEventListener("load", function () {
      chip.fdRequest = null;
      var signIn = xhr.status === 401 && xhr.getResponseHeader("HX-Redirect");
      if (signIn) { window.location.assign(signIn); return; }
      var id = null;
      try { id = JSON.parse(xhr.responseText).data.attachmentId; } catch (err) { id = null; }
      if (xhr.status !== 200 || typeof id !== "string") {
        chip.remove();
        uploadError(form, name + ": " + answerMessage(xhr));
        syncRequired(form);
        return;
      }
      var field = document.createElement("input");
      field.type = "hidden";
      field.name = "attachments";
      field.value = id;
      bar.replaceWith(field);
      chip.classList.remove("is-uploading");
      syncRequired(form);
    });
    xhr.addEventListener("error", function () {
      chip.fdRequest = null;
      chip.remove();
      uploadError(form, name + ": the server could not be reached. Check your connection.");
    });
    var body = new FormData();
    body.append("file", file, name);
    xhr.send(body);
  }
  function uploadAll(form, files) {
    uploadError(form, "");
    Array.prototype.forEach.call(files, function (file) { upload(form, file); });
  }
  function startUploads() {
    var form = document.getElementById("reply");
    var tools = form && form.querySelector("[data-upload-tools]");
    if (!tools) { return; }
    tools.hidden = false;
    var input = tools.querySelector("[data-file-input]");
    tools.querySelector("[data-attach]").addEventListener("click", function () { input.click(); });
    input.addEventListener("change", function () {
      uploadAll(form, input.files);
      input.value = "";
    });
    form.addEventListener("paste", function (e) {
      var files = e.clipboardData && e.clipboardData.files;
      if (files && files.length > 0) {
        e.preventDefault();
        uploadAll(form, files);
      }
    });
    var carriesFiles = function (e) {
      return e.dataTransfer && Array.prototype.indexOf.call(e.dataTransfer.types, "Files") >= 0;
    };
    form.addEventListener("dragover", function (e) {
      if (!carriesFiles(e)) { return; }
      e.preventDefault();
      e.dataTransfer.dropEffect = "copy";
      form.classList.add("is-dropping");
    });
    form.addEventListener("dragleave", function (e) {
      if (!form.contains(e.relatedTarget)) { form.classList.remove("is-dropping"); }
    });
    form.addEventListener("drop", function (e) {
      form.classList.remove("is-dropping");
      if (!carriesFiles(e)) { return; }
      e.preventDefault();
      uploadAll(form, e.dataTransfer.files);
    });
    // Before htmx sees the submit (capture phase): not while a file is still on its way.
    document.addEventListener("submit", function (e) {
      if (e.target === form && uploading(form)) {
        e.preventDefault();
        e.stopImmediatePropagation();
        uploadError(form, "Wait for the files to finish uploading, then send.");
      }
    }, true);
  }

  // ---- notifications: new chats, and new customer messages in the agent's own chats ----
  // The stream only names what changed, so the page re-reads the queue rows (on the queue page
  // the list itself, elsewhere a hidden copy) and compares them with what it saw last. What is
  // new raises a browser notification and a short sound (when this agent switched them on) and
  // counts in the tab title until the agent looks: opening a chat clears it, coming back to the
  // tab clears all. Switches are kept per agent in localStorage ("frontdesk.notify.<agent id>");
  // the count lives in this tab's sessionStorage so it survives moving between pages.
  var NAME_MAX = 60;
  var alerts = {
    box: null, agent: "", prefs: { on: false, sound: true }, known: null,
    unseen: [], baseTitle: document.title, audio: null
  };
  function stored(area, key, fallback) {
    try {
      var v = JSON.parse(window[area].getItem(key));
      return v === null ? fallback : v;
    } catch (err) { return fallback; } // storage off or garbled: defaults
  }
  function store(area, key, value) {
    try { window[area].setItem(key, JSON.stringify(value)); } catch (err) { /* storage off */ }
  }
  function permission() {
    return "Notification" in window ? window.Notification.permission : "unsupported";
  }
  function renderAlertControls() {
    var box = alerts.box;
    var on = alerts.prefs.on;
    box.querySelector("[data-notify-enable]").hidden = on;
    box.querySelector("[data-notify-toggle]").hidden = !on;
    var sound = box.querySelector("[data-sound-toggle]");
    sound.hidden = !on;
    sound.setAttribute("aria-pressed", String(alerts.prefs.sound));
    var p = permission();
    box.querySelector("[data-notify-note]").textContent = !on ? "" :
      p === "denied" ? "Pop-ups blocked by the browser: sound and tab count only" :
      p === "unsupported" ? "Pop-ups not supported here: sound and tab count only" : "";
  }
  function saveAlertPrefs() {
    store("localStorage", "frontdesk.notify." + alerts.agent, alerts.prefs);
    renderAlertControls();
  }
  // Browsers let a page start sound only after a gesture: the context is made (or woken) on one.
  function audioContext(create) {
    var Ctx = window.AudioContext || window.webkitAudioContext;
    if (!alerts.audio && create && Ctx) {
      try { alerts.audio = new Ctx(); } catch (err) { alerts.audio = null; }
    }
    if (alerts.audio && alerts.audio.state === "suspended") { alerts.audio.resume(); }
    return alerts.audio;
  }
  function chime() {
    var a = audioContext(false);
    if (!a) { return; }
    try {
      var t = a.currentTime;
      [880, 660].forEach(function (hz, i) {
        var osc = a.createOscillator();
        var gain = a.createGain();
        var at = t + i * 0.15;
        osc.frequency.value = hz;
        gain.gain.setValueAtTime(0.0001, at);
        gain.gain.exponentialRampToValueAtTime(0.2, at + 0.02);
        gain.gain.exponentialRampToValueAtTime(0.0001, at + 0.14);
        osc.connect(gain);
        gain.connect(a.destination);
        osc.start(at);
        osc.stop(at + 0.15);
      });
    } catch (err) { /* no sound is better than a broken page */ }
  }
  function renderTitle() {
    var n = alerts.unseen.length;
    document.title = n > 0 ? "(" + n + ") " + alerts.baseTitle : alerts.baseTitle;
  }
  function setUnseen(ids) {
    alerts.unseen = ids;
    store("sessionStorage", "frontdesk.unseen." + alerts.agent, ids);
    renderTitle();
  }
  function seen(id) {
    setUnseen(alerts.unseen.filter(function (x) { return x !== id; }));
  }
  function lookingAt(id) {
    var feed = document.querySelector("[data-open-chat]");
    return feed !== null && feed.getAttribute("data-open-chat") === id &&
      document.visibilityState === "visible" && document.hasFocus();
  }
  function snapshot(feed) {
    var rows = new Map();
    feed.querySelectorAll("[data-session]").forEach(function (li) {
      var link = li.querySelector("a[href]");
      var name = li.getAttribute("data-name") || "a visitor";
      rows.set(li.getAttribute("data-session"), {
        name: name.length > NAME_MAX ? name.slice(0, NAME_MAX) + "…" : name,
        owner: li.getAttribute("data-owner"),
        lastUser: Number(li.getAttribute("data-last-user")) || 0,
        href: link ? link.getAttribute("href") : null
      });
    });
    return rows;
  }
  // New chats nobody else holds, and customer messages in the agent's own chats.
  function news(before, after) {
    var found = [];
    after.forEach(function (row, id) {
      var was = before.get(id);
      if (!was && row.owner !== "other") {
        found.push({ id: id, href: row.href, title: "New chat from " + row.name });
      } else if (was && row.owner === "me" && row.lastUser > was.lastUser && !lookingAt(id)) {
        found.push({ id: id, href: row.href, title: "New message from " + row.name });
      }
    });
    return found;
  }
  function openChat(href) {
    var url = href && new URL(href, window.location.href);
    if (url && url.origin === window.location.origin) { window.location.assign(url.href); }
  }
  function raise(found) {
    if (found.length === 0) { return; }
    var ids = alerts.unseen.slice();
    found.forEach(function (n) { if (ids.indexOf(n.id) < 0) { ids.push(n.id); } });
    setUnseen(ids);
    if (!alerts.prefs.on) { return; }
    if (alerts.prefs.sound) { chime(); }
    if (permission() !== "granted") { return; }
    found.forEach(function (n) {
      try {
        // Text only: the Notification API never renders markup, and nothing builds HTML here.
        var shown = new window.Notification(n.title, { tag: "frontdesk-" + n.id });
        shown.onclick = function () {
          window.focus();
          if (shown.close) { shown.close(); }
          openChat(n.href);
        };
      } catch (err) { /* e.g. a browser that allows them only from a service worker */ }
    });
  }
  function feedChanged(feed) {
    var now = snapshot(feed);
    if (alerts.known !== null) { raise(news(alerts.known, now)); }
    alerts.known = now;
  }
  function startAlerts() {
    var box = document.querySelector("[data-notify]");
    if (!box) { return; }
    alerts.box = box;
    alerts.agent = box.getAttribute("data-agent") || "";
    var saved = stored("localStorage", "frontdesk.notify." + alerts.agent, {});
    alerts.prefs = { on: saved.on === true, sound: saved.sound !== false };
    var unseen = stored("sessionStorage", "frontdesk.unseen." + alerts.agent, []);
    alerts.unseen = Array.isArray(unseen) ? unseen : [];
    var open = document.querySelector("[data-open-chat]");
    if (open) { seen(open.getAttribute("data-open-chat")); } else { renderTitle(); }
    // A list rendered with the page is the starting point; an empty feed fills in on load.
    var feed = document.querySelector("[data-notify-feed]");
    if (feed && feed.children.length > 0) { alerts.known = snapshot(feed); }
    box.hidden = false;
    renderAlertControls();
    box.addEventListener("click", function (e) {
      var button = e.target instanceof Element && e.target.closest("button");
      if (!button) { return; }
      if (button.hasAttribute("data-notify-enable")) {
        alerts.prefs.on = true;
        audioContext(true);
        // Asked only from this click, and never once refused: the browser then says "denied".
        if (permission() === "default") {
          Promise.resolve(window.Notification.requestPermission())
            .then(renderAlertControls, renderAlertControls);
        }
        saveAlertPrefs();
        box.querySelector("[data-notify-toggle]").focus();
      } else if (button.hasAttribute("data-notify-toggle")) {
        alerts.prefs.on = false;
        saveAlertPrefs();
        box.querySelector("[data-notify-enable]").focus();
      } else if (button.hasAttribute("data-sound-toggle")) {
        alerts.prefs.sound = !alerts.prefs.sound;
        if (alerts.prefs.sound) { audioContext(true); }
        saveAlertPrefs();
      }
    });
    // Any gesture lets the sound play later; coming back to the tab counts as looking.
    ["pointerdown", "keydown"].forEach(function (type) {
      document.addEventListener(type, function () {
        if (alerts.prefs.on && alerts.prefs.sound) { audioContext(true); }
      }, { capture: true, once: true });
    });
    document.addEventListener("visibilitychange", function () {
      if (document.visibilityState === "visible") { setUnseen([]); }
    });
    window.addEventListener("focus", function () { setUnseen([]); });
  }
  document.addEventListener("htmx:afterSwap", function (e) {
    var target = e.detail.target;
    if (alerts.box && target instanceof Element && target.hasAttribute("data-notify-feed")) {
      feedChanged(target);
    }
  });

  document.addEventListener("htmx:afterSwap", function (e) {
    localTimes(e.detail.target);
  });
  document.addEventListener("DOMContentLoaded", function () {
    localTimes(document);
    scrollTranscript();
    startUploads();
    startAlerts();
  });
})();

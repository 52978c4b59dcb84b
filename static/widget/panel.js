/* frontdesk chat panel: runs inside the iframe at /widget/frame, on the server's own origin,
   and talks to the client API directly. Every text from the server is inserted with
   textContent, never as HTML. Hand-written, no dependencies. */
(function () {
  'use strict';
  var d = document;
  function $(id) { return d.getElementById(id); }
  var config = JSON.parse($('panel').getAttribute('data-config') || '{}');
  var params = new URLSearchParams(location.search);
  var embedded = window.parent !== window;
  // The parent's origin is believed only when it is this server's own or an allowed one;
  // messages go only to it and come only from it.
  var parentOrigin = trusted(params.get('origin'));
  var KEY = 'frontdesk.panel';

  var saved = load();
  // userToken: from identify; token: what requests carry (the user's, or the guest's own).
  var userToken = null, token = null, guest = false;
  var session = null, active = false;
  var isOpen = !embedded, booted = false;
  var generation = 0;
  var shown = {}, agentIds = [], context = {};
  var typingSent = 0, typingTimer = null, readSent = null;

  function trusted(origin) {
    if (!origin) return null;
    if (origin === location.origin) return origin;
    return (config.allowedOrigins || []).indexOf(origin) >= 0 ? origin : null;
  }
  function load() {
    try { return JSON.parse(localStorage.getItem(KEY)) || {}; } catch (e) { return {}; }
  }
  function save() {
    try { localStorage.setItem(KEY, JSON.stringify(saved)); } catch (e) { /* storage off: this tab only */ }
    tellState();
  }
  function tell(message) {
    if (embedded && parentOrigin) window.parent.postMessage(message, parentOrigin);
  }
  function tellState() {
    var state = session && active ? 'active' : (saved.guestToken || saved.sessionId ? 'stored' : null);
    tell({ type: 'state', state: state });
  }
  function subject(jwt) {
    try { return JSON.parse(atob(jwt.split('.')[1].replace(/-/g, '+').replace(/_/g, '/'))).sub; } catch (e) { return null; }
  }
  function show(id, on) { $(id).hidden = !on; }
  function visible() { return isOpen && d.visibilityState === 'visible'; }

  // ---- the API ----

  function call(method, path, body) {
    var headers = { Accept: 'application/json' };
    if (body) headers['Content-Type'] = 'application/json';
    if (token) headers.Authorization = 'Bearer ' + token;
    return fetch(path, { method: method, headers: headers, body: body ? JSON.stringify(body) : undefined })
      .then(function (res) {
        return res.json().catch(function () { return {}; }).then(function (json) {
          if (!res.ok || json.success === false) {
            throw { status: res.status, code: json.error && json.error.code, message: json.message || 'Something went wrong' };
          }
          return json.data || {};
        });
      }, function () { throw { status: 0, message: 'No connection. Please try again.' }; });
  }

  // ---- who the visitor is, and which chat is theirs ----

  function boot() {
    booted = true;
    generation++;
    live.reset();
    resetView();
    token = userToken;
    guest = !userToken;
    if (userToken) {
      findUserChat();
    } else if (saved.guestToken) {
      token = saved.guestToken;
      if (saved.sessionId) resume(saved.sessionId);
      else startView();
    } else {
      startView();
    }
  }

  // An identified user continues their open chat and sees their earlier ones.
  function findUserChat() {
    var mine = generation;
    call('GET', '/api/chat/history?limit=10').then(function (data) {
      if (mine !== generation) return;
      var list = data.sessions || [];
      var open = list.filter(function (s) { return s.status === 'active'; })[0];
      renderHistory(list.filter(function (s) { return s !== open; }));
      if (open) resume(open.sessionId);
      else startView();
    }, function (err) {
      if (mine !== generation) return;
      notice(err.status === 401 ? 'Your sign-in has expired. Please sign in again.' : err.message);
    });
  }

  function renderHistory(list) {
    var box = $('history');
    box.textContent = '';
    list.slice(0, 5).forEach(function (s) {
      if (!s.lastMessage) return;
      var li = d.createElement('li');
      var when = d.createElement('span');
      when.className = 'when';
      when.textContent = formatDate(s.startTime);
      var text = d.createElement('span');
      text.textContent = s.lastMessage.message;
      li.appendChild(when);
      li.appendChild(text);
      box.appendChild(li);
    });
    show('history-box', box.children.length > 0);
  }

  // No chat yet: the offline form when away, else the pre-chat form or the message box.
  function startView() {
    session = null;
    active = false;
    tellState();
    if (!token && !config.allowGuests) return checkAvailability(true);
    welcome();
    checkAvailability(false).then(function (online) {
      if (!online || session) return;
      if (guest && !token && config.prechat !== 'off') showPrechat();
      else showChat();
    });
  }

  function checkAvailability(signinOnly) {
    var mine = generation;
    return call('GET', '/api/chat/availability').then(function (a) {
      if (mine !== generation) return true;
      $('status').textContent = a.online ? '' : 'Away';
      if (a.online) return true;
      if (!session) showOffline(a);
      return false;
    }, function () { return true; }).then(function (online) {
      if (signinOnly && online) show('signin', true);
      return online;
    });
  }

  function resume(id) {
    session = id;
    active = true;
    if (!saved.seen || saved.seen.session !== id) saved.seen = { session: id, id: null };
    if (guest) saved.sessionId = id;
    save();
    showChat();
    live.connect();
    if (isOpen) checkAvailability(false);
  }

  function startSession(info) {
    var metadata = {
      pageUrl: (context.pageUrl || '').slice(0, 1000),
      referrer: (context.referrer || '').slice(0, 1000),
      language: (context.language || navigator.language || '').slice(0, 35),
      userAgent: navigator.userAgent.slice(0, 400)
    };
    var body = { channel: 'web', metadata: metadata };
    if (info) body.userInfo = info;
    return call('POST', '/api/chat/session', body).then(function (data) {
      if (data.sessionToken) {
        token = data.sessionToken;
        saved.guestToken = token;
      }
      resume(data.sessionId);
      return data.sessionId;
    });
  }

  // ---- views ----

  function resetView() {
    ['prechat', 'offline', 'offline-sent', 'chat', 'ended', 'signin', 'notice', 'reconnecting', 'history-box'].forEach(function (id) { show(id, false); });
    $('transcript').textContent = '';
    $('status').textContent = '';
    show('typing', false);
    show('composer', true);
    show('end-row', true);
    clearOutbox();
    shown = {};
    agentIds = [];
    setUnread();
  }

  function welcome() {
    if (!config.welcome || $('welcome-local')) return;
    var li = bubble('system', config.welcome);
    li.id = 'welcome-local';
    $('transcript').appendChild(li);
  }

  function showPrechat() {
    var required = config.prechat === 'required';
    Array.prototype.forEach.call(d.querySelectorAll('[data-optional]'), function (el) { el.hidden = required; });
    $('prechat-name').required = required;
    $('prechat-email').required = required;
    show('chat', false);
    show('prechat', true);
    focusFirst();
  }

  function showChat() {
    show('prechat', false);
    show('offline', false);
    show('chat', true);
    focusFirst();
  }

  function showOffline(a) {
    show('prechat', false);
    show('chat', false);
    show('offline', true);
    $('away-message').textContent = a.message || '';
    show('next-open', !!a.nextOpenAt);
    if (a.nextOpenAt) $('next-open').textContent = 'We open again ' + formatDate(a.nextOpenAt) + '.';
    focusFirst();
  }

  function showEnded() {
    active = false;
    live.stop();
    show('composer', false);
    show('end-row', false);
    clearOutbox();
    show('typing', false);
    show('ended', true);
    show('rating-form', !(saved.rated && saved.rated === session));
    show('rated', !!(saved.rated && saved.rated === session));
    tellState();
    if (visible()) $('ended-title').focus();
  }

  function notice(text) {
    $('notice').textContent = text;
    show('notice', !!text);
  }

  function focusFirst() {
    if (!visible()) return;
    var order = ['prechat', 'offline', 'chat', 'ended'];
    for (var i = 0; i < order.length; i++) {
      var section = $(order[i]);
      if (section.hidden) continue;
      var field = order[i] === 'chat' ? $('message') : section.querySelector('input, textarea, button');
      if (field && !field.closest('[hidden]')) { field.focus(); return; }
    }
  }

  function formatDate(iso) {
    try {
      return new Date(iso).toLocaleString(context.language || undefined, { weekday: 'short', hour: '2-digit', minute: '2-digit', month: 'short', day: 'numeric' });
    } catch (e) { return iso; }
  }

  // ---- the transcript ----

  function bubble(kind, text, name) {
    var li = d.createElement('li');
    li.className = 'msg ' + kind;
    if (name) {
      var who = d.createElement('span');
      who.className = 'who';
      who.textContent = name;
      li.appendChild(who);
    }
    if (text) {
      var body = d.createElement('p');
      body.className = 'text';
      body.textContent = text;
      li.appendChild(body);
    }
    return li;
  }

  // "2.4 MB": the units the size limit is set in (1 MB = 1024 KB).
  function sizeText(n) {
    var units = ['bytes', 'KB', 'MB', 'GB'], i = 0;
    while (n >= 1024 && i < 3) { n /= 1024; i++; }
    return (i && n < 10 ? Math.round(n * 10) / 10 : Math.round(n)) + ' ' + units[i];
  }

  // Raster images as thumbnails that open the full image; anything else as a download link.
  // Their names go in as text and attributes only, never as markup.
  function fileList(list) {
    var ul = d.createElement('ul');
    ul.className = 'files';
    list.forEach(function (a) {
      var li = d.createElement('li'), link = d.createElement('a');
      link.href = a.url;
      if (/^image\/(png|jpeg|gif|webp)$/.test(a.contentType)) {
        link.target = '_blank';
        link.rel = 'noopener';
        var img = d.createElement('img');
        img.src = a.thumbnailUrl || a.url;
        img.alt = a.name;
        // The thumbnail's box before it loads, so the transcript does not jump.
        if (a.width && a.height) {
          var scale = Math.min(1, 320 / Math.max(a.width, a.height));
          img.width = Math.round(a.width * scale);
          img.height = Math.round(a.height * scale);
        }
        link.appendChild(img);
        li.appendChild(link);
      } else {
        link.setAttribute('download', a.name);
        link.textContent = a.name;
        li.appendChild(link);
        li.appendChild(d.createTextNode(' ' + sizeText(a.size)));
      }
      ul.appendChild(li);
    });
    return ul;
  }

  function addMessage(m) {
    if (!m || !m.messageId) return;
    var files = m.attachments || [];
    var existing = shown[m.messageId];
    if (existing && !(files.length && existing.querySelector('.pending-files'))) {
      existing.classList.remove('pending', 'local');
      return place(existing);
    }
    var local = $('welcome-local');
    if (local) local.parentNode.removeChild(local);
    var kind = m.sender === 'user' ? 'user' : (m.sender === 'admin' ? 'agent' : 'system');
    var name = kind === 'agent' ? ((m.adminInfo && m.adminInfo.name) || 'Support') : null;
    // `fallbackText` is the files' names for clients that cannot show files; this one can.
    var li = bubble(kind, m.fallbackText ? '' : m.message, name);
    if (files.length) li.appendChild(fileList(files));
    li.setAttribute('data-id', m.messageId);
    shown[m.messageId] = li;
    // The visitor's own message with files: the server's copy brings their links.
    if (existing && existing.parentNode) existing.parentNode.replaceChild(li, existing);
    place(li);
    if (kind === 'agent') {
      agentIds.push(m.messageId);
      $('typing').hidden = true;
      if (visible()) $('live').textContent = name + ': ' + m.message;
    }
    setUnread();
  }

  // In the server's order, ahead of the visitor's messages it has not confirmed yet.
  function place(li) {
    var t = $('transcript');
    var local = t.querySelector('.local');
    t.insertBefore(li, local && local !== li ? local : null);
    scrollDown();
  }

  // Inside the transcript only: scrollIntoView could scroll the host page too.
  function scrollDown() {
    var t = $('chat-scroll');
    t.scrollTop = t.scrollHeight;
  }

  // Agent messages after the last one the visitor saw; seeing them tells the server too.
  function setUnread() {
    var seenAt = saved.seen ? agentIds.indexOf(saved.seen.id) : -1;
    var count = agentIds.length - (seenAt + 1);
    if (count > 0 && visible() && session) {
      var last = agentIds[agentIds.length - 1];
      saved.seen = { session: session, id: last };
      save();
      if (readSent !== last) {
        readSent = last;
        call('POST', '/api/chat/read', { sessionId: session, upTo: last }).catch(function () {});
      }
      count = 0;
    }
    tell({ type: 'unread', count: count });
  }

  function markSeen(upTo) {
    var mark = null;
    Array.prototype.forEach.call(d.querySelectorAll('.msg.user'), function (li) {
      li.classList.remove('seen');
      if (li.getAttribute('data-id') === upTo) mark = li;
    });
    if (!mark) return;
    // "Seen" under the newest of the visitor's messages the agent has read.
    var old = d.querySelector('.seen-label');
    if (old) old.parentNode.removeChild(old);
    var label = d.createElement('span');
    label.className = 'seen-label';
    label.textContent = 'Seen';
    mark.appendChild(label);
    mark.classList.add('seen');
  }

  // The chat or the token is gone (a guest token expired, the session was erased): start over.
  function lost() {
    live.stop();
    if (guest) {
      token = null;
      saved = {};
      save();
    }
    boot();
  }

  var live = window.frontdeskLive({
    session: function () { return session; },
    token: function () { return token; },
    active: function () { return active; },
    call: call,
    message: addMessage,
    typing: function (on) { show('typing', on); },
    read: markSeen,
    ended: showEnded,
    lost: lost,
    reconnecting: function (on) { show('reconnecting', on); }
  });

  // ---- what the visitor does ----

  // One chat however many things start it at once (a message and two files, say).
  var starting = null;
  function ensureSession() {
    if (session) return Promise.resolve(session);
    if (!starting) {
      starting = startSession(saved.info);
      starting.then(function () { starting = null; }, function () { starting = null; });
    }
    return starting;
  }

  function sendMessage(text, files) {
    var id = 'msg_' + Date.now() + '_' + Math.random().toString(36).slice(2, 7);
    var li = bubble('user pending local', text);
    if (files.length) {
      // Names only until the server's copy of the message brings the links.
      var names = d.createElement('p');
      names.className = 'pending-files';
      names.textContent = files.map(function (f) { return f.file.name; }).join(', ');
      li.appendChild(names);
    }
    li.setAttribute('data-id', id);
    shown[id] = li;
    var body = { messageId: id };
    if (text) body.message = text;
    if (files.length) body.attachments = files.map(function (f) { return f.id; });
    return ensureSession().then(function (sid) {
      $('transcript').appendChild(li);
      scrollDown();
      body.sessionId = sid;
      return call('POST', '/api/chat/message', body);
    }).then(function () {
      li.classList.remove('pending');
      typing(false);
    }, function (err) {
      if (li.parentNode) li.parentNode.removeChild(li);
      delete shown[id];
      if (!$('message').value) $('message').value = text;
      files.forEach(function (f) { outbox.push(f); $('outbox').appendChild(f.li); });
      showOutbox();
      error('send-error', err.message);
      if (err.code === 'SESSION_ENDED' || err.code === 'SESSION_EXPIRED') showEnded();
    });
  }

  // ---- files: picked or pasted, each uploaded at once with its progress; Send carries them ----

  var outbox = [];
  function showOutbox() { show('outbox', outbox.length > 0); }
  function tooBig() { return 'That file is too big (max ' + sizeText(config.maxAttachmentBytes) + ').'; }

  function attach(list) {
    error('send-error', '');
    Array.prototype.forEach.call(list, function (file) {
      if (config.maxAttachmentBytes && file.size > config.maxAttachmentBytes) return error('send-error', tooBig());
      var item = { file: file, id: null, xhr: null, li: d.createElement('li') };
      var name = d.createElement('span');
      name.textContent = file.name + ' (' + sizeText(file.size) + ')';
      item.bar = d.createElement('progress');
      item.bar.max = 1;
      item.bar.value = 0;
      item.bar.setAttribute('aria-label', 'Uploading ' + file.name);
      var remove = d.createElement('button');
      remove.type = 'button';
      remove.className = 'link';
      remove.textContent = '✕';
      remove.setAttribute('aria-label', 'Remove ' + file.name);
      remove.addEventListener('click', function () {
        if (item.xhr) item.xhr.abort();
        drop(item);
        $('message').focus();
      });
      item.li.appendChild(name);
      item.li.appendChild(item.bar);
      item.li.appendChild(remove);
      outbox.push(item);
      $('outbox').appendChild(item.li);
      showOutbox();
      ensureSession().then(function (sid) { upload(item, sid); }, function (err) {
        drop(item);
        error('send-error', err.message);
      });
    });
  }

  function clearOutbox() {
    outbox.splice(0).forEach(function (f) { if (f.xhr) f.xhr.abort(); });
    $('outbox').textContent = '';
    showOutbox();
  }

  function drop(item) {
    var at = outbox.indexOf(item);
    if (at >= 0) outbox.splice(at, 1);
    if (item.li.parentNode) item.li.parentNode.removeChild(item.li);
    showOutbox();
  }

  // XMLHttpRequest, not fetch: only it reports upload progress.
  function upload(item, sid) {
    var x = item.xhr = new XMLHttpRequest();
    x.open('POST', '/api/chat/attachments');
    x.setRequestHeader('Accept', 'application/json');
    x.setRequestHeader('Authorization', 'Bearer ' + token);
    x.upload.onprogress = function (e) { if (e.lengthComputable) item.bar.value = e.loaded / e.total; };
    x.onload = function () {
      var json = {};
      try { json = JSON.parse(x.responseText); } catch (e) { /* not the envelope */ }
      item.xhr = null;
      if (x.status === 200 && json.data && json.data.attachmentId) {
        item.id = json.data.attachmentId;
        item.li.removeChild(item.bar);
        return;
      }
      drop(item);
      error('send-error', x.status === 413 ? tooBig() : (json.message || 'That file could not be sent.'));
    };
    x.onerror = function () {
      item.xhr = null;
      drop(item);
      error('send-error', 'No connection. Please try again.');
    };
    var form = new FormData();
    form.append('sessionId', sid);
    form.append('file', item.file, item.file.name);
    x.send(form);
  }

  $('attach').addEventListener('click', function () { $('file').click(); });
  $('file').addEventListener('change', function () {
    attach($('file').files);
    $('file').value = '';
  });
  // A pasted screenshot is a file too; pasted text stays text.
  $('message').addEventListener('paste', function (e) {
    var files = e.clipboardData && e.clipboardData.files;
    if (files && files.length) {
      e.preventDefault();
      attach(files);
    }
  });

  function typing(on) {
    clearTimeout(typingTimer);
    if (!session || !active) return;
    var now = Date.now();
    if (on) {
      typingTimer = setTimeout(function () { typing(false); }, 4000);
      if (now - typingSent < 3000) return;
      typingSent = now;
    } else {
      if (!typingSent) return;
      typingSent = 0;
    }
    call('POST', '/api/chat/typing', { sessionId: session, isTyping: on }).catch(function () {});
  }

  function error(id, text) {
    $(id).textContent = text || '';
    show(id, !!text);
  }

  function validEmail(v) { return /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(v); }

  $('composer').addEventListener('submit', function (e) {
    e.preventDefault();
    var box = $('message');
    var text = box.value.trim();
    if (outbox.some(function (f) { return !f.id; })) return error('send-error', 'Please wait until your files are uploaded.');
    if (!text && !outbox.length) return;
    if (text.length > (config.maxMessageLength || 1000)) {
      return error('send-error', 'Messages can be at most ' + config.maxMessageLength + ' characters.');
    }
    error('send-error', '');
    box.value = '';
    var files = outbox.splice(0);
    files.forEach(function (f) { f.li.parentNode.removeChild(f.li); });
    showOutbox();
    sendMessage(text, files);
  });

  $('message').addEventListener('keydown', function (e) {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      $('composer').requestSubmit();
    }
  });
  $('message').addEventListener('input', function () { typing(!!$('message').value); });

  $('prechat-form').addEventListener('submit', function (e) {
    e.preventDefault();
    var name = $('prechat-name').value.trim(), email = $('prechat-email').value.trim();
    var required = config.prechat === 'required';
    if (required && !name) return error('prechat-error', 'Please enter your name.');
    if ((required || email) && !validEmail(email)) return error('prechat-error', 'Please enter a valid email address.');
    error('prechat-error', '');
    saved.info = {};
    if (name) saved.info.name = name;
    if (email) saved.info.email = email;
    startSession(saved.info).catch(function (err) { error('prechat-error', err.message); });
  });

  $('offline-form').addEventListener('submit', function (e) {
    e.preventDefault();
    var name = $('offline-name').value.trim(), email = $('offline-email').value.trim(), message = $('offline-message').value.trim();
    if (!name) return error('offline-error', 'Please enter your name.');
    if (!validEmail(email)) return error('offline-error', 'Please enter a valid email address.');
    if (!message) return error('offline-error', 'Please write a message.');
    error('offline-error', '');
    var metadata = { pageUrl: (context.pageUrl || '').slice(0, 1000), referrer: (context.referrer || '').slice(0, 1000), language: (context.language || '').slice(0, 35), userAgent: navigator.userAgent.slice(0, 400) };
    call('POST', '/api/chat/offline', { name: name, email: email, message: message, metadata: metadata }).then(function (data) {
      if (data.sessionToken) {
        token = data.sessionToken;
        saved.guestToken = token;
      }
      $('offline-form').reset();
      show('offline', false);
      show('offline-sent', true);
      resume(data.sessionId);
      $('offline-sent').focus();
    }, function (err) { error('offline-error', err.message); });
  });

  $('end').addEventListener('click', function () {
    if (!session) return;
    call('POST', '/api/chat/session/end', { sessionId: session, status: 'ended_by_user' })
      .then(showEnded, function (err) { error('send-error', err.message); });
  });

  $('rating-form').addEventListener('submit', function (e) {
    e.preventDefault();
    var picked = d.querySelector('input[name=rating]:checked');
    if (!picked) return error('rating-error', 'Please pick a number of stars.');
    var body = { sessionId: session, rating: +picked.value };
    var feedback = $('feedback').value.trim();
    if (feedback) body.feedback = feedback;
    call('POST', '/api/chat/rating', body).then(rated, function (err) {
      if (err.code === 'ALREADY_RATED') rated();
      else error('rating-error', err.message);
    });
  });

  function rated() {
    error('rating-error', '');
    saved.rated = session;
    save();
    show('rating-form', false);
    show('rated', true);
    $('restart').focus();
  }

  $('restart').addEventListener('click', function () {
    saved.sessionId = null;
    saved.seen = null;
    save();
    session = null;
    boot();
    focusFirst();
  });

  $('close').addEventListener('click', function () { tell({ type: 'close' }); });
  d.addEventListener('keydown', function (e) {
    if (e.key === 'Escape') tell({ type: 'close' });
  });
  d.addEventListener('visibilitychange', setUnread);

  // ---- the host page ----

  window.addEventListener('message', function (e) {
    if (!embedded || e.source !== window.parent || e.origin !== parentOrigin) return;
    var m = e.data || {};
    if (m.type === 'init') {
      isOpen = !!m.open;
      context = m.context || {};
      if (m.title) $('title').textContent = m.title;
      userToken = typeof m.token === 'string' ? m.token : null;
      boot();
    } else if (m.type === 'identify') {
      var next = typeof m.token === 'string' ? m.token : null;
      if (next === userToken) return;
      // A refreshed token for the same person changes nothing on screen.
      var same = next && userToken && subject(next) === subject(userToken);
      userToken = next;
      if (same) {
        token = next;
        return;
      }
      boot();
    } else if (m.type === 'open') {
      isOpen = true;
      if (m.context) context = m.context;
      if (!booted) return;
      if (token || config.allowGuests) checkAvailability(false);
      setUnread();
      focusFirst();
    } else if (m.type === 'close') {
      isOpen = false;
    } else if (m.type === 'shutdown') {
      generation++;
      live.stop();
      saved = {};
      token = userToken = null;
      try { localStorage.removeItem(KEY); } catch (err) { /* storage off */ }
      tell({ type: 'forgotten' });
    }
  });

  var accent = params.get('color');
  if (accent) d.documentElement.style.setProperty('--accent', accent);
  $('title').textContent = params.get('title') || config.title || 'Support';
  show('close', embedded);
  if (embedded && parentOrigin) tell({ type: 'hello' });
  else if (embedded) notice('This chat is not available on this site.');
  else boot();
})();

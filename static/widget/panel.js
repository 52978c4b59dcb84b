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
    var body = d.createElement('p');
    body.className = 'text';
    body.textContent = text;
    li.appendChild(body);
    return li;
  }

  function addMessage(m) {
    if (!m || !m.messageId) return;
    var existing = shown[m.messageId];
    if (existing) {
      existing.classList.remove('pending', 'local');
      return place(existing);
    }
    var local = $('welcome-local');
    if (local) local.parentNode.removeChild(local);
    var kind = m.sender === 'user' ? 'user' : (m.sender === 'admin' ? 'agent' : 'system');
    var name = kind === 'agent' ? ((m.adminInfo && m.adminInfo.name) || 'Support') : null;
    var li = bubble(kind, m.message, name);
    li.setAttribute('data-id', m.messageId);
    shown[m.messageId] = li;
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

  function sendMessage(text) {
    var id = 'msg_' + Date.now() + '_' + Math.random().toString(36).slice(2, 7);
    var li = bubble('user pending local', text);
    li.setAttribute('data-id', id);
    shown[id] = li;
    var ready = session ? Promise.resolve(session) : startSession(saved.info);
    return ready.then(function (sid) {
      $('transcript').appendChild(li);
      scrollDown();
      return call('POST', '/api/chat/message', { sessionId: sid, messageId: id, message: text });
    }).then(function () {
      li.classList.remove('pending');
      typing(false);
    }, function (err) {
      if (li.parentNode) li.parentNode.removeChild(li);
      delete shown[id];
      if (!$('message').value) $('message').value = text;
      error('send-error', err.message);
      if (err.code === 'SESSION_ENDED' || err.code === 'SESSION_EXPIRED') showEnded();
    });
  }

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
    if (!text) return;
    if (text.length > (config.maxMessageLength || 1000)) {
      return error('send-error', 'Messages can be at most ' + config.maxMessageLength + ' characters.');
    }
    error('send-error', '');
    box.value = '';
    sendMessage(text);
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

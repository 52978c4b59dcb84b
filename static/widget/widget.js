/* frontdesk website widget: the "Open chat" launcher, and from the first click the chat panel
   in an iframe served by the frontdesk server. Hand-written, no dependencies. Styles are set
   through element.style (never a <style> tag), so a strict CSP on the host page still works. */
(function () {
  'use strict';
  var w = window, d = document;
  if (w.frontdesk && w.frontdesk.loaded) return;
  var script = d.currentScript || d.querySelector('script[src*="/widget.js"]');
  if (!script) return;
  var server = new URL(script.src, location.href).origin;
  var data = script.dataset;
  var color = data.color && w.CSS && CSS.supports('color', data.color) ? data.color : '#2563eb';
  var left = data.position === 'left';
  var locale = (data.locale || navigator.language || '').slice(0, 35);
  var hideWhenOffline = data.hideWhenOffline !== undefined && data.hideWhenOffline !== 'false';
  // What the panel keeps in its own storage: "active" (an open conversation: load the panel
  // hidden on every page so the unread badge works) or "stored" (something to forget on shutdown).
  var KEY = 'frontdesk:state';
  var phone = w.matchMedia('(max-width: 639px)');
  var listeners = { unread: [], ready: [] };
  var host, launcher, badge, count, frame;
  var frameReady = false, isOpen = false, ready = false, unread = 0, token = null, forgetting = false;

  function css(el, styles) { for (var k in styles) el.style[k] = styles[k]; return el; }
  function el(tag, attrs) {
    var e = d.createElement(tag);
    for (var k in attrs || {}) e.setAttribute(k, attrs[k]);
    return e;
  }
  function stored() { try { return localStorage.getItem(KEY); } catch (e) { return null; } }
  function store(value) {
    try { value ? localStorage.setItem(KEY, value) : localStorage.removeItem(KEY); } catch (e) { /* storage off */ }
  }
  function context() {
    return {
      pageUrl: location.href.slice(0, 1000),
      referrer: d.referrer.slice(0, 1000),
      language: locale
    };
  }

  function build() {
    host = el('div', { id: 'frontdesk-widget' });
    var root = host.attachShadow ? host.attachShadow({ mode: 'open' }) : host;
    launcher = css(el('button', { type: 'button', 'aria-label': 'Open chat', 'aria-expanded': 'false', 'aria-describedby': 'frontdesk-unread' }), {
      position: 'fixed', bottom: '20px', width: '56px', height: '56px', borderRadius: '50%',
      border: '0', margin: '0', padding: '0', background: color, color: '#fff', cursor: 'pointer',
      boxShadow: '0 4px 14px rgba(0,0,0,.25)', zIndex: '2147483000', display: 'flex',
      alignItems: 'center', justifyContent: 'center'
    });
    launcher.style[left ? 'left' : 'right'] = '20px';
    var ns = 'http://www.w3.org/2000/svg';
    var icon = d.createElementNS(ns, 'svg');
    icon.setAttribute('viewBox', '0 0 24 24');
    icon.setAttribute('width', '28');
    icon.setAttribute('height', '28');
    icon.setAttribute('aria-hidden', 'true');
    var path = d.createElementNS(ns, 'path');
    path.setAttribute('fill', 'currentColor');
    path.setAttribute('d', 'M4 3h16a2 2 0 0 1 2 2v11a2 2 0 0 1-2 2H9l-5 4v-4a2 2 0 0 1-2-2V5a2 2 0 0 1 2-2z');
    icon.appendChild(path);
    launcher.appendChild(icon);
    badge = css(el('span', { 'aria-hidden': 'true' }), {
      position: 'absolute', top: '-4px', right: '-4px', minWidth: '20px', height: '20px',
      padding: '0 5px', boxSizing: 'border-box', borderRadius: '10px', background: '#d93025',
      color: '#fff', font: '600 12px/20px system-ui, sans-serif', textAlign: 'center', display: 'none'
    });
    launcher.appendChild(badge);
    // The unread count in words, as the launcher's description for screen readers.
    count = css(el('span', { id: 'frontdesk-unread' }), {
      position: 'absolute', width: '1px', height: '1px', overflow: 'hidden', clipPath: 'inset(50%)'
    });
    launcher.addEventListener('click', function () { isOpen ? close() : open(); });
    root.appendChild(launcher);
    root.appendChild(count);
    d.body.appendChild(host);
    phone.addEventListener ? phone.addEventListener('change', layout) : phone.addListener(layout);
    d.addEventListener('keydown', function (e) { if (e.key === 'Escape' && isOpen) close(); });
    w.addEventListener('message', receive);
    if (stored() === 'active') createFrame();
    if (hideWhenOffline && stored() !== 'active') checkAvailability();
  }

  function checkAvailability() {
    launcher.style.display = 'none';
    // The answer is also left on the host element for the page's own use.
    fetch(server + '/api/chat/availability').then(function (r) { return r.json(); }).then(function (body) {
      var away = !!(body && body.data && body.data.online === false);
      host.setAttribute('data-availability', away ? 'away' : 'online');
      if (!away) launcher.style.display = 'flex';
    }, function () { launcher.style.display = 'flex'; });
  }

  function createFrame() {
    var params = new URLSearchParams({ origin: location.origin, color: color, locale: locale });
    if (data.title) params.set('title', data.title.slice(0, 80));
    frame = css(el('iframe', {
      title: 'Support chat',
      src: server + '/widget/frame?' + params.toString(),
      allow: 'clipboard-write'
    }), { position: 'fixed', border: '0', background: '#fff', zIndex: '2147483001', display: 'none', colorScheme: 'normal' });
    frameReady = false;
    layout();
    host.shadowRoot ? host.shadowRoot.appendChild(frame) : host.appendChild(frame);
  }

  // Beside the launcher on a wide screen, the whole screen under 640 px.
  function layout() {
    if (!frame) return;
    var small = phone.matches;
    css(frame, small ? {
      top: '0', bottom: '0', left: '0', right: '0', width: '100%', height: '100%', borderRadius: '0', boxShadow: 'none'
    } : {
      top: 'auto', bottom: '88px', left: left ? '20px' : 'auto', right: left ? 'auto' : '20px',
      width: '380px', height: 'min(640px, calc(100vh - 108px))', borderRadius: '12px',
      boxShadow: '0 8px 30px rgba(0,0,0,.25)'
    });
  }

  function post(message) {
    if (frame && frameReady) frame.contentWindow.postMessage(message, server);
  }

  // Only the panel this script created, on the server's own origin, is believed.
  function receive(e) {
    if (!frame || e.origin !== server || e.source !== frame.contentWindow) return;
    var m = e.data || {};
    if (m.type === 'hello') {
      frameReady = true;
      if (forgetting) post({ type: 'shutdown' });
      else post({ type: 'init', open: isOpen, token: token, context: context(), title: data.title || '', color: color, locale: locale });
    } else if (m.type === 'unread') {
      setUnread(+m.count || 0);
    } else if (m.type === 'close') {
      close();
    } else if (m.type === 'state') {
      store(m.state === 'active' || m.state === 'stored' ? m.state : null);
      if (m.state === 'active' && launcher.style.display === 'none') launcher.style.display = 'flex';
    } else if (m.type === 'forgotten') {
      forgetting = false;
      frame.parentNode.removeChild(frame);
      frame = null;
      frameReady = false;
    }
  }

  function setUnread(n) {
    if (n === unread) return;
    unread = n;
    badge.textContent = n > 99 ? '99+' : String(n);
    badge.style.display = n > 0 ? 'block' : 'none';
    count.textContent = n > 0 ? n + (n === 1 ? ' unread message' : ' unread messages') : '';
    emit('unread', n);
  }

  function emit(name, value) {
    listeners[name].forEach(function (fn) {
      try { fn(value); } catch (e) { setTimeout(function () { throw e; }); }
    });
  }

  function open() {
    if (forgetting) return;
    if (!frame) createFrame();
    isOpen = true;
    frame.style.display = 'block';
    launcher.setAttribute('aria-expanded', 'true');
    launcher.setAttribute('aria-label', 'Close chat');
    frame.focus();
    post({ type: 'open', context: context() });
  }

  function close() {
    if (!isOpen) return;
    isOpen = false;
    frame.style.display = 'none';
    launcher.setAttribute('aria-expanded', 'false');
    launcher.setAttribute('aria-label', 'Open chat');
    post({ type: 'close' });
    launcher.focus();
  }

  // The visitor signed out: the panel forgets its tokens and chat, then goes away.
  function shutdown() {
    token = null;
    setUnread(0);
    if (isOpen) close();
    var had = stored();
    store(null);
    if (!frame && !had) return;
    forgetting = true;
    if (!frame) createFrame();
    else post({ type: 'shutdown' });
  }

  function api(command, arg, fn) {
    if (command === 'identify') {
      token = arg && typeof arg.token === 'string' ? arg.token : null;
      post({ type: 'identify', token: token });
    } else if (command === 'open') open();
    else if (command === 'close') close();
    else if (command === 'shutdown') shutdown();
    else if (command === 'on' && listeners[arg] && typeof fn === 'function') {
      listeners[arg].push(fn);
      if (arg === 'ready' && ready) fn();
      if (arg === 'unread' && unread) fn(unread);
    }
  }
  api.loaded = true;

  function start() {
    var queued = (w.frontdesk && w.frontdesk.q) || [];
    build();
    w.frontdesk = api;
    for (var i = 0; i < queued.length; i++) api.apply(null, queued[i]);
    ready = true;
    emit('ready');
  }
  d.body ? start() : d.addEventListener('DOMContentLoaded', start);
})();

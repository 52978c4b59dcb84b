/* frontdesk chat panel, realtime: the session's event stream read with fetch() (EventSource
   cannot send the bearer token), resumed with Last-Event-ID; after failures a visible
   "reconnecting" state and long-poll, with the stream tried again every few polls. */
window.frontdeskLive = function (hooks) {
  'use strict';
  var STREAM_TRIES = 2, POLL_WAIT = 25;
  var lastEventId = null, lastMessageId = null, streamAbort = null, mode = 'stream';
  var failures = 0, retryTimer = null, run = 0, polling = false;

  function connect() {
    stop();
    var mine = run;
    if (mode === 'poll') return poll(mine, 0);
    var abort = new AbortController();
    streamAbort = abort;
    var headers = { Accept: 'text/event-stream', Authorization: 'Bearer ' + hooks.token() };
    if (lastEventId) headers['Last-Event-ID'] = lastEventId;
    fetch('/api/chat/stream/' + encodeURIComponent(hooks.session()), { headers: headers, signal: abort.signal })
      .then(function (res) {
        if (!res.ok || !res.body) {
          return res.json().catch(function () { return {}; }).then(function (json) {
            throw { status: res.status, code: json.error && json.error.code };
          });
        }
        failures = 0;
        polling = false;
        hooks.reconnecting(false);
        return read(res.body.getReader(), mine);
      })
      .then(function () { if (mine === run && hooks.active()) retry(mine); },
        function (err) { if (mine === run && !abort.signal.aborted) retry(mine, err); });
  }

  function read(reader, mine) {
    var decoder = new TextDecoder();
    var buffer = '';
    function pump() {
      return reader.read().then(function (chunk) {
        if (chunk.done || mine !== run) return;
        buffer += decoder.decode(chunk.value, { stream: true }).replace(/\r\n?/g, '\n');
        var end;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          dispatch(buffer.slice(0, end));
          buffer = buffer.slice(end + 2);
        }
        return pump();
      });
    }
    return pump();
  }

  function dispatch(block) {
    var event = 'message', data = '', id = null;
    block.split('\n').forEach(function (line) {
      var colon = line.indexOf(':');
      if (colon === 0) return;
      var field = colon < 0 ? line : line.slice(0, colon);
      var value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
      if (field === 'event') event = value;
      else if (field === 'data') data += (data ? '\n' : '') + value;
      else if (field === 'id') id = value;
    });
    if (!data) return;
    var payload;
    try { payload = JSON.parse(data); } catch (e) { return; }
    if (id) lastEventId = id;
    if (event === 'message') message(payload);
    else if (event === 'typing') hooks.typing(!!payload.agentTyping);
    else if (event === 'read') hooks.read(payload.upTo);
    else if (event === 'ended') hooks.ended();
  }

  function message(m) {
    if (m && m.messageId) lastMessageId = m.messageId;
    hooks.message(m);
  }

  function retry(mine, err) {
    if (err && (err.status === 401 || err.status === 404)) return hooks.lost();
    if (mode === 'stream' && polling) {
      // The stream is still refused but polling works: keep polling, quietly.
      mode = 'poll';
      return connect();
    }
    failures++;
    hooks.reconnecting(true);
    if (failures >= STREAM_TRIES && mode === 'stream') {
      mode = 'poll';
      failures = 0;
    }
    var delay = Math.min(15000, 500 * Math.pow(2, failures));
    retryTimer = setTimeout(function () { if (mine === run && hooks.active()) connect(); }, delay);
  }

  // One request held until something happens (SPEC's `wait`).
  function poll(mine, rounds) {
    var path = '/api/chat/poll/' + encodeURIComponent(hooks.session()) + '?wait=' + POLL_WAIT +
      (lastMessageId ? '&after=' + encodeURIComponent(lastMessageId) : '');
    var asked = Date.now();
    hooks.call('GET', path).then(function (data) {
      if (mine !== run) return;
      failures = 0;
      polling = true;
      hooks.reconnecting(false);
      var messages = data.messages || [];
      messages.forEach(message);
      hooks.typing(!!data.agentTyping);
      if (data.sessionEnded) return hooks.ended();
      if (rounds >= 4 && !data.hasMoreMessages) {
        mode = 'stream';
        return connect();
      }
      // A poll the server could not hold answers at once: space those out.
      var quick = Date.now() - asked < 1000 && !messages.length;
      retryTimer = setTimeout(function () { if (mine === run) poll(mine, rounds + 1); }, quick ? 2000 : 0);
    }, function (err) {
      if (mine !== run) return;
      if (err.code === 'INVALID_CURSOR') lastMessageId = null;
      retry(mine, err);
    });
  }

  function stop() {
    run++;
    clearTimeout(retryTimer);
    if (streamAbort) streamAbort.abort();
    streamAbort = null;
  }

  // A different chat: start from its beginning, on the stream.
  function reset() {
    stop();
    lastEventId = null;
    lastMessageId = null;
    mode = 'stream';
    polling = false;
    failures = 0;
  }

  return { connect: connect, stop: stop, reset: reset };
};

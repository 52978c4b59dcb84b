// A socket.io-client the Rust tests drive: one JSON command per stdin line, one JSON report
// per stdout line.
//   {"cmd":"connect","url","namespace","token"?,"transport":"websocket"|"polling"}
//     -> {"type":"connect"} or {"type":"connect_error","message"}
//   {"cmd":"emit","id","event","args":[...]} -> {"type":"ack","id","data"} (or "ack_timeout")
//   {"cmd":"disconnect"}                     -> {"type":"disconnect","reason"}
// Every server event is reported as {"type":"event","event","data"}.
'use strict';
const { io } = require('socket.io-client');
const readline = require('readline');

let socket = null;
const out = (obj) => process.stdout.write(JSON.stringify(obj) + '\n');

function connect(cmd) {
  const options = {
    transports: [cmd.transport || 'websocket'],
    reconnection: false,
    forceNew: true,
    timeout: 10000,
  };
  if (cmd.token !== undefined) options.auth = { token: cmd.token };
  socket = io(cmd.url + (cmd.namespace || '/'), options);
  socket.on('connect', () => out({ type: 'connect', transport: socket.io.engine.transport.name }));
  socket.on('connect_error', (err) => out({ type: 'connect_error', message: err.message }));
  socket.on('disconnect', (reason) => out({ type: 'disconnect', reason }));
  socket.onAny((event, data) => out({ type: 'event', event, data }));
}

const rl = readline.createInterface({ input: process.stdin });
rl.on('line', async (line) => {
  const cmd = JSON.parse(line);
  if (cmd.cmd === 'connect') {
    connect(cmd);
  } else if (cmd.cmd === 'emit') {
    try {
      const data = await socket.timeout(15000).emitWithAck(cmd.event, ...(cmd.args || []));
      out({ type: 'ack', id: cmd.id, data });
    } catch (err) {
      out({ type: 'ack_timeout', id: cmd.id, message: String(err && err.message) });
    }
  } else if (cmd.cmd === 'disconnect') {
    socket.disconnect();
    out({ type: 'disconnect', reason: 'client' });
  }
});
// Once stdin closes the process ends by itself, after the last packets (a disconnect sent over
// polling) are written: exiting at once could drop them.
rl.on('close', () => {
  if (socket && socket.connected) socket.disconnect();
});

// Many socket.io-client users at once, each emitting `join_chat` the moment it connects (the
// emit is queued before the connect and sent right behind it), for the Rust tests.
// Reads one JSON line: {"url", "transport", "users": [{"token", "sessionId"}]}.
// Writes one JSON line when every join was answered, or when 15 s have passed:
//   {"users": N, "acked": A, "succeeded": S, "errors": [first few error acks]}
'use strict';
const { io } = require('socket.io-client');
const readline = require('readline');

const rl = readline.createInterface({ input: process.stdin });
rl.once('line', (line) => {
  const job = JSON.parse(line);
  const report = { users: job.users.length, acked: 0, succeeded: 0, errors: [] };
  const sockets = [];
  const finish = () => {
    process.stdout.write(JSON.stringify(report) + '\n');
    for (const s of sockets) s.close();
    process.exit(0);
  };
  // A safety net so that a lost ack shows as a count instead of a hung test.
  const net = setTimeout(finish, 15000);
  for (const user of job.users) {
    const socket = io(job.url, {
      transports: [job.transport],
      reconnection: false,
      forceNew: true,
      auth: { token: user.token },
    });
    sockets.push(socket);
    socket.emit('join_chat', { sessionId: user.sessionId }, (ack) => {
      report.acked += 1;
      if (ack && ack.success) report.succeeded += 1;
      else if (report.errors.length < 5) report.errors.push(ack);
      if (report.acked === report.users) {
        clearTimeout(net);
        finish();
      }
    });
  }
});

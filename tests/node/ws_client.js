// One WebSocket client (the `ws` package) driven by a test over JSON lines.
//
// Usage: node ws_client.js <url> [<headers as JSON>]
// Writes one JSON line per thing that happens:
//   {"event":"open"}
//   {"event":"refused","status":401,"body":{...}}      (the upgrade was answered with HTTP)
//   {"event":"frame","data":{...}}                     (a text frame, parsed as JSON)
//   {"event":"pong"}                                   (a protocol pong)
//   {"event":"close","code":1000,"reason":"..."}
//   {"event":"error","message":"..."}
// Reads one JSON line per command:
//   {"op":"send","frame":{...}}         a JSON text frame
//   {"op":"send_text","text":"..."}     any text frame
//   {"op":"send_binary","size":N}       a binary frame of N bytes
//   {"op":"ping"}                       a protocol ping
//   {"op":"close"}                      a normal close
const readline = require("readline");
const WebSocket = require("ws");

const url = process.argv[2];
const headers = process.argv[3] ? JSON.parse(process.argv[3]) : {};

function emit(event) {
  process.stdout.write(JSON.stringify(event) + "\n");
}

const socket = new WebSocket(url, { headers, maxPayload: 64 * 1024 * 1024 });

socket.on("open", () => emit({ event: "open" }));
socket.on("unexpected-response", (request, response) => {
  let body = "";
  response.on("data", (chunk) => (body += chunk));
  response.on("end", () => {
    let parsed = body;
    try {
      parsed = JSON.parse(body);
    } catch (_) {
      // kept as text: the test says what it expected
    }
    emit({ event: "refused", status: response.statusCode, body: parsed });
    process.exit(0);
  });
});
socket.on("message", (data, isBinary) => {
  const text = data.toString("utf8");
  let parsed;
  try {
    parsed = JSON.parse(text);
  } catch (_) {
    emit({ event: "frame", data: null, text, isBinary });
    return;
  }
  emit({ event: "frame", data: parsed });
});
socket.on("pong", () => emit({ event: "pong" }));
socket.on("close", (code, reason) => {
  emit({ event: "close", code, reason: reason.toString("utf8") });
  process.exit(0);
});
socket.on("error", (error) => emit({ event: "error", message: String(error.message) }));

const commands = readline.createInterface({ input: process.stdin });
commands.on("line", (line) => {
  if (!line.trim()) return;
  const command = JSON.parse(line);
  switch (command.op) {
    case "send":
      socket.send(JSON.stringify(command.frame));
      break;
    case "send_text":
      socket.send(command.text);
      break;
    case "send_binary":
      socket.send(Buffer.alloc(command.size, 7), { binary: true });
      break;
    case "ping":
      socket.ping();
      break;
    case "close":
      socket.close(1000, "bye");
      break;
    default:
      emit({ event: "error", message: "unknown op " + command.op });
  }
});
commands.on("close", () => socket.terminate());

// The comparison server of the realtime benchmark: the source documents' own stack (Node and
// socket.io) doing the same job as frontdesk in the benchmark, in memory and nothing more.
// A user connects with a token, joins their chat and gets `new_message` events; an agent's
// reply comes in over HTTP and goes to the chat's room. It keeps no history, writes nothing to
// disk and checks no signature: the figures it gives are a floor for what that stack costs.
//
//   node examples/realtime/node_server.js --port 3300
"use strict";

const http = require("node:http");
const crypto = require("node:crypto");
const { Server } = require("socket.io");

const port = Number(argument("--port", "3300"));
const sessions = new Map(); // sessionId -> owner (the token's `sub`)

function argument(name, fallback) {
  const at = process.argv.indexOf(name);
  return at > 0 ? process.argv[at + 1] : fallback;
}

// The token's subject, read without checking the signature (the comparison is about delivery).
function subjectOf(header) {
  const token = (header || "").replace(/^Bearer /, "");
  try {
    return JSON.parse(Buffer.from(token.split(".")[1], "base64url").toString()).sub;
  } catch {
    return undefined;
  }
}

function readJson(req) {
  return new Promise((resolve) => {
    let body = "";
    req.on("data", (chunk) => (body += chunk));
    req.on("end", () => {
      try {
        resolve(JSON.parse(body));
      } catch {
        resolve(undefined);
      }
    });
  });
}

function answer(res, status, data) {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify({ success: status === 200, data }));
}

const server = http.createServer(async (req, res) => {
  if (req.method === "POST" && req.url === "/api/chat/session") {
    const owner = subjectOf(req.headers.authorization);
    const body = await readJson(req);
    if (!owner || !body) return answer(res, 400, {});
    const sessionId = body.sessionId || `chat_${crypto.randomUUID()}`;
    sessions.set(sessionId, owner);
    return answer(res, 200, { sessionId });
  }
  if (req.method === "POST" && req.url === "/api/admin/chat/message") {
    const body = await readJson(req);
    if (!body || !sessions.has(body.sessionId)) return answer(res, 404, {});
    const message = {
      messageId: body.messageId || `msg_${crypto.randomUUID()}`,
      message: body.message,
      sender: "admin",
      timestamp: new Date().toISOString(),
      sessionId: body.sessionId,
    };
    io.to(body.sessionId).emit("new_message", message);
    return answer(res, 200, { messageId: message.messageId });
  }
  answer(res, 404, {});
});

const io = new Server(server, { cors: { origin: "*" } });
io.use((socket, next) => {
  const owner = subjectOf(`Bearer ${socket.handshake.auth.token || ""}`);
  if (!owner) return next(new Error("UNAUTHORIZED"));
  socket.data.owner = owner;
  next();
});
io.on("connection", (socket) => {
  socket.on("join_chat", (payload, ack) => {
    const sessionId = payload && payload.sessionId;
    if (sessions.get(sessionId) !== socket.data.owner) {
      if (typeof ack === "function") ack({ success: false, error: { code: "SESSION_NOT_FOUND" } });
      return;
    }
    socket.join(sessionId);
    if (typeof ack === "function") ack({ success: true, data: { sessionId, messages: [] } });
  });
});

server.listen(port, "127.0.0.1", () => console.log(`node socket.io server on ${port}`));

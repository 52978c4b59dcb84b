// Load generator for the realtime protocols: N users connected over Socket.IO or the plain
// WebSocket, each in a chat of their own, while agents reply over HTTP at a fixed total rate.
// Measures how long a reply takes from the agent's send to the user's socket, how many
// acknowledged replies never arrive, and the server's memory per connection.
//
//   node examples/realtime/load.js --url http://127.0.0.1:18080 --transport socketio \
//     --clients 10000 --agents 20 --rate 200 --duration 30 --secret "$JWT_SECRET" \
//     --agent-email admin@example.com --agent-password ... --server-pid 1234
//
// `--target node` runs the same job against examples/realtime/node_server.js (no agents to
// create: any token is an agent there). The last line is `RESULT {json}` for scripts/bench.
"use strict";

const http = require("node:http");
const crypto = require("node:crypto");
const fs = require("node:fs");
const { performance } = require("node:perf_hooks");
const { io } = require("socket.io-client");
const WebSocket = require("ws");

const options = parseOptions({
  url: "http://127.0.0.1:18080",
  transport: "socketio",
  target: "frontdesk",
  clients: "1000",
  agents: "20",
  rate: "200",
  warmup: "5",
  duration: "30",
  secret: process.env.JWT_SECRET || "",
  "agent-email": process.env.LOADGEN_AGENT_EMAIL || "",
  "agent-password": process.env.LOADGEN_AGENT_PASSWORD || "",
  "server-pid": "",
  parallelism: "64",
});
const clients = Number(options.clients);
const agentCount = Number(options.agents);
const rate = Number(options.rate);
const base = new URL(options.url);
const keepAlive = new http.Agent({ keepAlive: true, maxSockets: Number(options.parallelism) });
const run = crypto.randomBytes(4).toString("hex");

function parseOptions(defaults) {
  const out = { ...defaults };
  for (let i = 2; i < process.argv.length; i += 2) {
    const name = process.argv[i].replace(/^--/, "");
    if (!(name in defaults)) throw new Error(`unknown option --${name}`);
    out[name] = process.argv[i + 1];
  }
  return out;
}

function fail(what) {
  console.error(`realtime load: ${what}`);
  process.exit(1);
}

// An HS256 user token, as the mobile app's backend would mint one.
function userToken(sub) {
  const part = (value) => Buffer.from(JSON.stringify(value)).toString("base64url");
  const unsigned = `${part({ alg: "HS256", typ: "JWT" })}.${part({ sub, exp: Math.floor(Date.now() / 1000) + 86400 })}`;
  const signature = crypto.createHmac("sha256", options.secret).update(unsigned).digest("base64url");
  return `${unsigned}.${signature}`;
}

function call(method, path, token, body) {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = http.request(
      {
        host: base.hostname,
        port: base.port,
        method,
        path,
        agent: keepAlive,
        headers: {
          "content-type": "application/json",
          ...(token ? { authorization: `Bearer ${token}` } : {}),
        },
      },
      (res) => {
        let text = "";
        res.on("data", (chunk) => (text += chunk));
        res.on("end", () => {
          let json;
          try {
            json = JSON.parse(text);
          } catch {
            return reject(new Error(`${method} ${path}: ${res.statusCode} ${text.slice(0, 200)}`));
          }
          if (res.statusCode !== 200) {
            return reject(new Error(`${method} ${path}: ${res.statusCode} ${text.slice(0, 200)}`));
          }
          resolve(json.data);
        });
      },
    );
    req.on("error", reject);
    req.setTimeout(30000, () => req.destroy(new Error(`${method} ${path}: timed out`)));
    if (payload) req.write(payload);
    req.end();
  });
}

async function inBatches(count, work) {
  const results = new Array(count);
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const i = next++;
      results[i] = await work(i);
    }
  };
  await Promise.all(Array.from({ length: Number(options.parallelism) }, worker));
  return results;
}

function rssMb() {
  if (!options["server-pid"]) return NaN;
  const status = fs.readFileSync(`/proc/${options["server-pid"]}/status`, "utf8");
  return Number(/VmRSS:\s+(\d+)/.exec(status)[1]) / 1024;
}

function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length - 1) * p))];
}

// Users and their chats; on frontdesk, agents who hold them (replies need an assigned agent).
async function setUp() {
  const started = performance.now();
  const users = await inBatches(clients, async (i) => {
    const token = userToken(`rt-${run}-${i}`);
    const data = await call("POST", "/api/chat/session", token, { sessionId: `chat_rt_${run}_${i}` });
    return { token, sessionId: data.sessionId, agent: 0 };
  });
  console.error(`setup: ${clients} chats started in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  if (options.target === "node") return { users, agentTokens: ["agent"] };

  const login = async (email, password) => (await call("POST", "/api/admin/login", null, { email, password })).accessToken;
  const admin = await login(options["agent-email"], options["agent-password"]);
  const password = crypto.randomBytes(12).toString("hex");
  const capacity = Math.ceil(clients / agentCount);
  if (capacity > 1000) fail(`${clients} chats need more than ${agentCount} agents (1000 chats each at most)`);
  const agentTokens = [];
  for (let j = 0; j < agentCount; j++) {
    const email = `rt-${run}-agent${j}@loadgen.test`;
    await call("POST", "/api/admin/agents", admin, {
      email,
      name: `Realtime agent ${j}`,
      role: "chat_admin",
      password,
      maxConcurrentChats: capacity,
    });
    agentTokens.push(await login(email, password));
  }
  await inBatches(clients, async (i) => {
    users[i].agent = i % agentCount;
    await call("POST", "/api/admin/chat/session/assign", agentTokens[users[i].agent], { sessionId: users[i].sessionId });
  });
  console.error(`setup: ${agentCount} agents hold the chats (${((performance.now() - started) / 1000).toFixed(1)} s)`);
  return { users, agentTokens };
}

// Connects one user and calls `onMessage(messageId)` for every reply that reaches them.
const stages = { opened: 0, ready: 0 };
function connect(user, onMessage) {
  return new Promise((resolve, reject) => {
    // A client that never gets its answer fails the run instead of hanging it.
    const stuck = setTimeout(() => reject(new Error(`connect: no answer in 60 s (${JSON.stringify(stages)})`)), 60000);
    const done = resolve;
    resolve = (socket) => {
      clearTimeout(stuck);
      stages.ready += 1;
      done(socket);
    };
    if (options.transport === "socketio") {
      const socket = io(options.url, {
        auth: { token: user.token },
        transports: ["websocket"],
        reconnection: false,
      });
      socket.on("connect_error", (e) => reject(new Error(`connect: ${e.message}`)));
      socket.on("new_message", (m) => onMessage(m.messageId));
      socket.on("connect", () => {
        stages.opened += 1;
        socket.emit("join_chat", { sessionId: user.sessionId }, (ack) => {
          if (ack && ack.success) resolve(socket);
          else reject(new Error(`join_chat: ${JSON.stringify(ack)}`));
        });
      });
    } else {
      const url = `${options.url.replace(/^http/, "ws")}/chat/${user.sessionId}`;
      const socket = new WebSocket(url, { headers: { authorization: `Bearer ${user.token}` } });
      socket.on("error", (e) => reject(new Error(`connect: ${e.message}`)));
      socket.on("open", () => resolve(socket));
      socket.on("message", (data) => {
        const frame = JSON.parse(data.toString());
        if (frame.type === "new_message") onMessage(frame.message.messageId);
      });
    }
  });
}

async function main() {
  if (!options.secret && options.target !== "node") fail("--secret (the server's JWT_SECRET) is needed");
  const { users, agentTokens } = await setUp();
  const sent = new Map(); // messageId -> send time (ms, this process's clock)
  const latencies = [];
  let measuring = false;
  const onMessage = (messageId) => {
    const at = sent.get(messageId);
    if (at === undefined) return;
    sent.delete(messageId);
    if (at.measured) latencies.push(performance.now() - at.time);
  };

  const idle = rssMb();
  const started = performance.now();
  const sockets = await inBatches(users.length, (i) => connect(users[i], onMessage));
  const connectSecs = (performance.now() - started) / 1000;
  const connected = rssMb();
  console.error(`connected: ${sockets.length} ${options.transport} clients in ${connectSecs.toFixed(1)} s`);

  // Replies at `rate` per second in total, each to a random user, from the agent holding it.
  let acked = 0;
  let failed = 0;
  let seq = 0;
  const warmupEnd = performance.now() + Number(options.warmup) * 1000;
  const end = warmupEnd + Number(options.duration) * 1000;
  let peak = connected;
  const sampler = setInterval(() => (peak = Math.max(peak, rssMb())), 500);
  await new Promise((resolve) => {
    const period = 1000 / rate;
    let due = performance.now();
    const tick = () => {
      const now = performance.now();
      while (due <= now && due < end) {
        measuring = due >= warmupEnd;
        const user = users[Math.floor(Math.random() * users.length)];
        const messageId = `msg_rt_${run}_${seq++}`;
        const record = { time: performance.now(), measured: measuring };
        sent.set(messageId, record);
        call("POST", "/api/admin/chat/message", agentTokens[user.agent], {
          sessionId: user.sessionId,
          messageId,
          message: `rt ${seq}`,
          sendAs: "agent",
        }).then(
          () => record.measured && acked++,
          (e) => {
            failed++;
            sent.delete(messageId);
            if (failed <= 5) console.error(`reply failed: ${e.message}`);
          },
        );
        due += period;
      }
      if (due >= end) return resolve();
      setTimeout(tick, Math.max(0, due - performance.now()));
    };
    tick();
  });
  // Wait for what is still on its way: every acknowledged reply must arrive.
  const drainUntil = performance.now() + 10000;
  while ([...sent.values()].some((r) => r.measured) && performance.now() < drainUntil) {
    await new Promise((r) => setTimeout(r, 50));
  }
  clearInterval(sampler);
  const lost = [...sent.values()].filter((r) => r.measured).length;
  for (const socket of sockets) socket.close ? socket.close() : socket.disconnect();

  latencies.sort((a, b) => a - b);
  const seconds = Number(options.duration);
  const result = {
    target: options.target,
    transport: options.transport,
    clients: sockets.length,
    connectSeconds: connectSecs,
    replies: acked,
    failed,
    delivered: latencies.length,
    lost,
    deliveredPerSecond: latencies.length / seconds,
    p50: percentile(latencies, 0.5),
    p99: percentile(latencies, 0.99),
    max: latencies[latencies.length - 1],
    rssIdleMb: idle,
    rssConnectedMb: connected,
    rssPeakMb: peak,
    kbPerConnection: ((connected - idle) * 1024) / sockets.length,
  };
  console.log(
    `== ${result.target} ${result.transport}: ${result.clients} clients, ${rate} replies/s, measured ${seconds} s ==`,
  );
  console.log(`connect           ${result.clients} in ${connectSecs.toFixed(1)} s`);
  console.log(
    `server RSS        ${idle.toFixed(1)} MB before connecting, ${connected.toFixed(1)} MB connected (${result.kbPerConnection.toFixed(1)} KB per connection), ${peak.toFixed(1)} MB peak`,
  );
  console.log(`replies           ${acked} acknowledged, ${failed} failed; ${result.delivered} delivered, ${lost} lost`);
  console.log(
    `delivery          p50 ${result.p50.toFixed(2)} ms  p99 ${result.p99.toFixed(2)} ms  max ${(result.max || NaN).toFixed(2)} ms`,
  );
  console.log(`RESULT ${JSON.stringify(result)}`);
  process.exit(lost === 0 && failed === 0 ? 0 : 1);
}

main().catch((e) => fail(e.stack || e.message));

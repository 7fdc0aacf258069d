// CPU time a request costs the server, for two builds of Kluis (and the bare Fastify server) measured in turns: on a
// shared machine, wall-clock throughput is noise, while the CPU a server spends on a fixed number of requests moves
// far less with the load around it. Each round sends the same number of requests (16 keep-alive connections) to each
// server in turn and reads its CPU time (user + system, all threads) from /proc before and after.
// Usage: node bench/cpu-cost.mjs [--base OTHER/dist/cli/kluis.js] [--scenario get|put|sign-es256|sign-rs256]
//          [--requests 10000] [--rounds 5] [--bare] [--perf FILE] [--event-loop]
// --event-loop: counts the main thread's CPU only (the event loop, which bounds a server's throughput when another
// core is free), not its worker threads' (RSA signatures, ECDSA nonces drawn ahead) nor V8's helper threads'.
// --perf PREFIX: records each server's on-CPU samples during the rounds with `perf record -e cpu-clock -g` into
// PREFIX.LABEL (JIT frames named through --perf-basic-prof); read them with `perf report -i FILE --no-children`.
// Prints µs of server CPU per request for each server (median of the rounds), and each build's ratio to the first.
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { call } from "./https-call.mjs";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { setTimeout as sleep } from "node:timers/promises";
import autocannon from "autocannon";

const here = dirname(fileURLToPath(import.meta.url));
const arg = (flag, fallback) => {
  const i = process.argv.indexOf(flag);
  return i >= 0 ? process.argv[i + 1] : fallback;
};
const SCENARIO = arg("--scenario", "get");
const REQUESTS = Number(arg("--requests", "10000"));
const ROUNDS = Number(arg("--rounds", "5"));
const BUILDS = [
  ...(arg("--base") ? [{ label: "base", cli: arg("--base") }] : []),
  { label: "this", cli: join(here, "../dist/cli/kluis.js") },
];
const API = "api-version=7.5";
const CLOCK_TICKS = 100;
const PERF = arg("--perf");
const EVENT_LOOP = process.argv.includes("--event-loop");

const children = [];
process.on("exit", () => children.forEach((c) => c.exitCode === null && c.kill("SIGTERM")));

function cpuSeconds(pid) {
  const stat = readFileSync(EVENT_LOOP ? `/proc/${pid}/task/${pid}/stat` : `/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
}

async function startKluis(cli, nodeFlags = []) {
  const dataDir = mkdtempSync(join(os.tmpdir(), "kluis-cpu-"));
  const proc = spawn(process.execPath, [...nodeFlags, cli, "server", "start", "--data-dir", dataDir, "--port", "0"], {
    stdio: ["ignore", "ignore", "inherit"],
  });
  children.push(proc);
  while (!existsSync(join(dataDir, "server.json"))) await sleep(100);
  await sleep(100);
  const { port } = JSON.parse(readFileSync(join(dataDir, "server.json"), "utf8"));
  const admin = JSON.parse(readFileSync(join(dataDir, "admin.json"), "utf8"));
  const ca = readFileSync(join(dataDir, "ca.pem"), "utf8");
  return { proc, dataDir, port, admin, ca };
}

async function startBare(dataDir, size) {
  const proc = spawn(
    process.execPath,
    [
      ...(PERF ? ["--perf-basic-prof", "--interpreted-frames-native-stack"] : []),
      join(here, "bare-server.mjs"),
      join(dataDir, "server.pem"),
      join(dataDir, "server-key.pem"),
      size,
      size,
    ],
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  children.push(proc);
  const port = await new Promise((resolve) => proc.stdout.once("data", (d) => resolve(Number(String(d).trim()))));
  return { proc, port };
}

/** The requests of the scenario on this server: autocannon options (path, method, body, headers). */
async function prepare(server) {
  const {
    json: { access_token: token },
  } = await call(server, "POST", `/${server.admin.tenant}/oauth2/v2.0/token`, {
    form: {
      grant_type: "client_credentials",
      client_id: server.admin.appId,
      client_secret: server.admin.password,
      scope: "https://vault.azure.net/.default",
    },
  });
  const headers = { authorization: `Bearer ${token}` };
  const value = { value: "s".repeat(64) };
  await call(server, "PUT", `/secrets/bench?${API}`, { token, body: value });
  if (SCENARIO === "get") return { method: "GET", path: `/secrets/bench?${API}`, headers };
  if (SCENARIO === "put")
    return {
      method: "PUT",
      path: `/secrets/bench?${API}`,
      body: JSON.stringify(value),
      headers: { ...headers, "content-type": "application/json" },
    };
  const alg = SCENARIO === "sign-es256" ? "ES256" : "RS256";
  const create = alg === "ES256" ? { kty: "EC", crv: "P-256" } : { kty: "RSA", key_size: 2048 };
  const { json: created } = await call(server, "POST", `/keys/sign/create?${API}`, { token, body: create });
  const digest = createHash("sha256").update("kluis bench").digest("base64url");
  return {
    method: "POST",
    path: `/keys/sign/${created.key.kid.split("/").pop()}/sign?${API}`,
    body: JSON.stringify({ alg, value: digest }),
    headers: { ...headers, "content-type": "application/json" },
  };
}

/** CPU µs per request of `amount` requests. */
async function measure(target, amount) {
  const before = cpuSeconds(target.proc.pid);
  const result = await autocannon({
    url: `https://localhost:${target.port}${target.request.path}`,
    connections: 16,
    amount,
    ...target.request,
  });
  const bad = result.non2xx + result.errors + result.timeouts;
  if (bad > 0) throw new Error(`${target.label}: ${bad} failed requests ${JSON.stringify(result.statusCodeStats)}`);
  return ((cpuSeconds(target.proc.pid) - before) * 1e6) / amount;
}

const targets = [];
for (const build of BUILDS) {
  const flags = PERF ? ["--perf-basic-prof", "--interpreted-frames-native-stack"] : [];
  const server = await startKluis(build.cli, flags);
  targets.push({ ...build, ...server, request: await prepare(server) });
}
if (process.argv.includes("--bare")) {
  if (!SCENARIO.match(/^(get|put)$/)) throw new Error("--bare serves GET and PUT only");
  const first = targets[0];
  const token = first.request.headers.authorization.slice("Bearer ".length);
  const { text } = await call(first, "GET", `/secrets/bench?${API}`, { token });
  const size = String(Buffer.byteLength(text));
  const bare = await startBare(first.dataDir, size);
  targets.unshift({ label: "bare", ...bare, request: { ...first.request, path: "/secrets/bench" } });
}

/** Waits until the server is idle (its start-up work, such as filling the RSA key pool, is done). */
async function settle(pid) {
  for (let last = cpuSeconds(pid), i = 0; i < 120; i++) {
    await sleep(500);
    const now = cpuSeconds(pid);
    if (now - last < 0.02) return;
    last = now;
  }
}

for (const t of targets) await settle(t.proc.pid);
const samples = targets.map(() => []);
for (const t of targets) await measure(t, Math.ceil(REQUESTS / 2)); // warm-up: JIT, caches, statement cache
const perfs = PERF
  ? targets.map((t) =>
      spawn(
        "perf",
        ["record", "-e", "cpu-clock", "-F", "1999", "-g", "-o", `${PERF}.${t.label}`, "-p", String(t.proc.pid)],
        {
          stdio: "ignore",
        },
      ),
    )
  : [];
for (let round = 0; round < ROUNDS; round++) {
  // Turns alternate their order each round, so neither build always runs right after the other.
  const order = round % 2 ? [...targets.keys()].reverse() : [...targets.keys()];
  for (const i of order) samples[i].push(await measure(targets[i], REQUESTS));
}
for (const perf of perfs) {
  perf.kill("SIGINT");
  await new Promise((resolve) => perf.once("exit", resolve));
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const reference = median(samples[0]);
console.log(
  `${SCENARIO}, ${REQUESTS} requests x ${ROUNDS} rounds, 16 connections; load average ${os
    .loadavg()
    .map((l) => l.toFixed(1))
    .join(" ")}`,
);
for (const [i, t] of targets.entries()) {
  const m = median(samples[i]);
  console.log(
    `${t.label.padEnd(5)} ${m.toFixed(1).padStart(7)} µs CPU/request  (rounds: ${samples[i].map((s) => s.toFixed(0)).join(" ")})  ${
      i ? `ratio to ${targets[0].label}: ${(m / reference).toFixed(3)}` : ""
    }`,
  );
}
for (const t of targets) t.proc.kill("SIGTERM");
await sleep(300);
for (const t of targets) if (t.dataDir) rmSync(t.dataDir, { recursive: true, force: true });
process.exit(0);

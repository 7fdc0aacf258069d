// Instructions a request costs the server, counted by valgrind's callgrind: deterministic where CPU time is not, so a
// change's effect shows even on a machine other work keeps busy. Makes a data directory with a native start, then runs
// each build under callgrind on its own copy, warms it up, and counts only the measured requests (collection is
// switched on and off around them with callgrind_control). About a minute a build (valgrind runs Node ~50x slower).
// Usage: node bench/instructions.mjs [--base OTHER/dist/cli/kluis.js] [--scenario get|put|sign-es256|sign-rs256]
//          [--this BUILD/dist/cli/kluis.js | --builds LABEL=CLI,LABEL=CLI,...] [--requests 1000] [--warmup 2000]
//          [--keep DIR]   (--keep: leave the callgrind files in DIR for callgrind_annotate)
import { execFileSync, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { call } from "./https-call.mjs";
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
const REQUESTS = Number(arg("--requests", "2000"));
// Long enough for V8 to have optimized the request path: its compiler threads' work would otherwise be counted.
const WARMUP = Number(arg("--warmup", "10000"));
const KEEP = arg("--keep");
const BUILDS = arg("--builds")
  ? arg("--builds")
      .split(",")
      .map((b) => ({ label: b.split("=")[0], cli: b.split("=")[1] }))
  : [
      ...(arg("--base") ? [{ label: "base", cli: arg("--base") }] : []),
      { label: "this", cli: arg("--this", join(here, "../dist/cli/kluis.js")) },
    ];
const API = "api-version=7.5";
// No RSA key pool: its key generation would run under valgrind for minutes, and it is no part of a request.
const ENV = { ...process.env, KLUIS_KEY_POOL_SIZE: "0" };

const children = [];
process.on("exit", () => children.forEach((c) => c.exitCode === null && c.kill("SIGKILL")));

async function start(command, args, dataDir) {
  rmSync(join(dataDir, "server.json"), { force: true });
  const proc = spawn(command, args, { stdio: ["ignore", "ignore", "pipe"], env: ENV });
  let stderr = "";
  proc.stderr.on("data", (d) => (stderr += d));
  children.push(proc);
  for (let i = 0; !existsSync(join(dataDir, "server.json")); i++) {
    if (proc.exitCode !== null || i > 3000) throw new Error(`server did not start: ${stderr.slice(-2000)}`);
    await sleep(100);
  }
  await sleep(200);
  const { port, pid } = JSON.parse(readFileSync(join(dataDir, "server.json"), "utf8"));
  return { proc, port, pid: pid ?? proc.pid, ca: readFileSync(join(dataDir, "ca.pem"), "utf8") };
}

async function stop(proc) {
  if (proc.exitCode !== null) return;
  const exited = new Promise((resolve) => proc.once("exit", resolve));
  proc.kill("SIGTERM");
  await exited;
}

/** A data directory with a token, the secret and the key of the scenario, made by a native run of `cli`. */
async function prepare(cli) {
  const dataDir = mkdtempSync(join(os.tmpdir(), "kluis-instr-"));
  const server = await start(process.execPath, [cli, "server", "start", "--data-dir", dataDir, "--port", "0"], dataDir);
  const admin = JSON.parse(readFileSync(join(dataDir, "admin.json"), "utf8"));
  const {
    json: { access_token: token },
  } = await call(server, "POST", `/${admin.tenant}/oauth2/v2.0/token`, {
    form: {
      grant_type: "client_credentials",
      client_id: admin.appId,
      client_secret: admin.password,
      scope: "https://vault.azure.net/.default",
    },
  });
  const headers = { authorization: `Bearer ${token}` };
  const value = { value: "s".repeat(64) };
  await call(server, "PUT", `/secrets/bench?${API}`, { token, body: value });
  let request = { method: "GET", path: `/secrets/bench?${API}`, headers };
  if (SCENARIO === "put")
    request = {
      method: "PUT",
      path: `/secrets/bench?${API}`,
      body: JSON.stringify(value),
      headers: { ...headers, "content-type": "application/json" },
    };
  else if (SCENARIO.startsWith("sign-")) {
    const alg = SCENARIO === "sign-es256" ? "ES256" : "RS256";
    const create = alg === "ES256" ? { kty: "EC", crv: "P-256" } : { kty: "RSA", key_size: 2048 };
    const { json: created } = await call(server, "POST", `/keys/sign/create?${API}`, { token, body: create });
    request = {
      method: "POST",
      path: `/keys/sign/${created.key.kid.split("/").pop()}/sign?${API}`,
      body: JSON.stringify({ alg, value: createHash("sha256").update("kluis bench").digest("base64url") }),
      headers: { ...headers, "content-type": "application/json" },
    };
  }
  await stop(server.proc);
  return { dataDir, request };
}

async function load(server, request, amount) {
  const result = await autocannon({
    url: `https://localhost:${server.port}${request.path}`,
    connections: 16,
    amount,
    timeout: 600, // seconds: valgrind's translation of new code stalls the server for a while
    ...request,
  });
  // A rare connection error is valgrind's slowness meeting a keep-alive timeout; more is a broken server.
  const bad = result.non2xx + result.errors + result.timeouts;
  if (result.non2xx > 0 || bad > amount / 100)
    throw new Error(`${result.non2xx} non-2xx, ${result.errors} errors, ${result.timeouts} timeouts of ${amount}`);
}

/** Instructions per request of `build`, on its own copy of the prepared data directory. */
async function count(build, prepared) {
  const dataDir = mkdtempSync(join(os.tmpdir(), "kluis-instr-"));
  cpSync(prepared.dataDir, dataDir, { recursive: true });
  rmSync(join(dataDir, "server.lock"), { force: true });
  const outDir = KEEP ?? mkdtempSync(join(os.tmpdir(), "kluis-callgrind-"));
  mkdirSync(outDir, { recursive: true });
  const out = join(outDir, `callgrind.${build.label}.${SCENARIO}`);
  const args = ["--tool=callgrind", "--instr-atstart=no", `--callgrind-out-file=${out}`, process.execPath];
  const server = await start(
    "valgrind",
    [...args, build.cli, "server", "start", "--data-dir", dataDir, "--port", "0"],
    dataDir,
  );
  await load(server, prepared.request, WARMUP);
  await sleep(500); // the audit log's batch and any timers of the warm-up
  execFileSync("callgrind_control", ["-i", "on", String(server.proc.pid)]);
  await load(server, prepared.request, REQUESTS);
  await sleep(500);
  execFileSync("callgrind_control", ["-i", "off", String(server.proc.pid)]);
  await stop(server.proc);
  const totals = Number(readFileSync(out, "utf8").match(/^totals: (\d+)/m)[1]);
  // The event loop's share (what bounds a server's throughput): everything under uv_run on the main thread.
  const annotated = execFileSync("callgrind_annotate", ["--inclusive=yes", "--threshold=100", out], {
    maxBuffer: 1 << 28,
  }).toString();
  const loop = Number(/^\s*([\d,]+) \([\d.]+%\)\s+\S*:uv_run\b/m.exec(annotated)?.[1].replaceAll(",", "") ?? NaN);
  if (!KEEP) rmSync(outDir, { recursive: true, force: true });
  rmSync(dataDir, { recursive: true, force: true });
  return { total: totals / REQUESTS, loop: loop / REQUESTS };
}

const prepared = await prepare(BUILDS[0].cli);
const results = [];
for (const build of BUILDS) results.push(await count(build, prepared));
rmSync(prepared.dataDir, { recursive: true, force: true });
console.log(
  `${SCENARIO}: instructions per request, event loop and all threads (${REQUESTS} requests after ${WARMUP} to warm up, 16 connections)`,
);
const figure = (n) => Math.round(n).toLocaleString("en").padStart(10);
for (const [i, build] of BUILDS.entries()) {
  const { loop, total } = results[i];
  const ratio = i
    ? `  ratio to ${BUILDS[0].label}: ${(loop / results[0].loop).toFixed(3)} (all threads ${(total / results[0].total).toFixed(3)})`
    : "";
  console.log(`${build.label.padEnd(6)} event loop ${figure(loop)}  all threads ${figure(total)}${ratio}`);
}
process.exit(0);

// Profiles a restart of Kluis: `node --cpu-prof` from spawn to the first 200 on /healthz (polled every 5 ms), on a data
// directory made by a start before it (so the profile is of a restart, as the start-up figure's restarts). Prints the
// profile's summary (bench/profile-summary.mjs) with the start's main steps and what each package's loading cost.
// Usage: node bench/profile-start.mjs OUT_DIR [KLUIS_CLI]   (default: the kluis bin, dist/bundle/kluis.js)
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import https from "node:https";
import os from "node:os";
import { join, resolve } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";

const root = join(import.meta.dirname, "..");
const [out = "bench/tmp/start-profile", cli = join(root, "dist/bundle/kluis.js")] = process.argv.slice(2);
const outDir = resolve(out);
mkdirSync(outDir, { recursive: true });
const data = mkdtempSync(join(os.tmpdir(), "kluis-profile-start-"));

const healthz = (port, ca) =>
  new Promise((done) => {
    const req = https.get({ host: "localhost", port, path: "/healthz", ca, agent: false }, (res) => {
      res.resume();
      res.on("end", () => done(res.statusCode));
    });
    req.on("error", () => done(0));
  });

/** Starts the server (with `nodeArgs`), waits for its first 200 on /healthz, stops it; the time it took in ms. */
async function startToFirst200(nodeArgs) {
  const t0 = performance.now();
  const proc = spawn(process.execPath, [...nodeArgs, cli, "server", "start", "--data-dir", data, "--port", "0"], {
    stdio: "ignore",
  });
  const info = join(data, "server.json");
  while (!existsSync(info) || statSync(info).size === 0) {
    if (proc.exitCode !== null) throw new Error(`kluis exited with ${proc.exitCode}`);
    await sleep(5);
  }
  const { port } = JSON.parse(readFileSync(info, "utf8"));
  const ca = readFileSync(join(data, "ca.pem"));
  while ((await healthz(port, ca)) !== 200) await sleep(5);
  const ms = performance.now() - t0;
  await new Promise((done) => {
    proc.once("exit", done);
    proc.kill("SIGTERM"); // the server exits through process.exit, which writes the profile
  });
  return ms;
}

await startToFirst200([]); // the first start makes the CA, the keys and the store
const before = new Set(readdirSync(outDir));
const ms = await startToFirst200(["--cpu-prof", "--cpu-prof-dir", outDir]);
rmSync(data, { recursive: true, force: true });
const profile = readdirSync(outDir).find((f) => f.endsWith(".cpuprofile") && !before.has(f));
console.log(`restart to first 200 on /healthz under --cpu-prof: ${Math.round(ms)} ms (${cli})`);
const under = "openContext,ensureTls,writeClientTrust,buildApp,addNewRoute,openStore,migrate,listen";
spawnSync(
  process.execPath,
  [join(root, "bench/profile-summary.mjs"), join(outDir, profile), "--top", "30", "--under", under],
  {
    stdio: "inherit",
  },
);

// Issue 12 part 8: the server process and its data directory. Owner-only files, one server per data directory
// (without a crash ever blocking a restart), `npm start` that stops on SIGTERM and skips an unneeded build, an
// output that fails without taking the server down, and a plain message for the wrong master key.
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { request } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { Kluis, KLUIS_BIN, ROOT, run, type RunResult } from "./helpers/kluis.js";

const newDataDir = () => mkdtempSync(join(tmpdir(), "kluis-process-"));
const modeOf = (path: string) => statSync(path).mode & 0o777;
const readInfo = (dir: string) =>
  JSON.parse(readFileSync(join(dir, "server.json"), "utf8")) as { port: number; pid: number; url: string };

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Waits (bounded) for `check` to hold; returns whether it did. */
async function waitFor(check: () => boolean, tries = 600, everyMs = 100): Promise<boolean> {
  for (let i = 0; i < tries; i++) {
    if (check()) return true;
    await sleep(everyMs);
  }
  return check();
}

/** A failed start: non-zero exit, a single `ERROR: ...` line, no stack trace. */
function assertOneLineError(res: RunResult, pattern: RegExp): string {
  assert.notEqual(res.code, 0, `expected the start to fail, got exit ${res.code}: ${res.stdout}${res.stderr}`);
  const lines = res.stderr.trimEnd().split("\n");
  assert.equal(lines.length, 1, `expected one line on stderr, got:\n${res.stderr}`);
  assert.match(lines[0]!, /^ERROR: /);
  assert.match(lines[0]!, pattern);
  return lines[0]!;
}

const startServer = (dir: string, env: NodeJS.ProcessEnv = process.env) =>
  run(process.execPath, [KLUIS_BIN, "server", "start", "--data-dir", dir, "--port", "0"], { env, timeoutMs: 60_000 });

function healthz(port: number, caFile: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: "127.0.0.1", port, servername: "localhost", path: "/healthz", ca: readFileSync(caFile) },
      (res) => {
        res.resume();
        res.on("end", () => resolve(res.statusCode ?? 0));
      },
    );
    req.on("error", reject);
    req.end();
  });
}

/** A server whose stdout is `stdout` (a file descriptor, or a pipe), logging every request. */
async function spawnServer(dir: string, stdout: number | "pipe"): Promise<ChildProcess> {
  const child = spawn(
    process.execPath,
    [KLUIS_BIN, "server", "start", "--data-dir", dir, "--port", "0", "--log-level", "info"],
    {
      stdio: ["ignore", stdout, "pipe"],
    },
  );
  let stderr = "";
  child.stderr!.on("data", (d) => (stderr += d));
  const started = await waitFor(() => existsSync(join(dir, "server.json")) || child.exitCode !== null);
  if (!started || child.exitCode !== null) {
    child.kill("SIGKILL");
    assert.fail(`the server did not start (exit ${child.exitCode}):\n${stderr}`);
  }
  return child;
}

const exitOf = (child: ChildProcess) =>
  child.exitCode !== null || child.signalCode !== null
    ? Promise.resolve(child.exitCode)
    : new Promise<number | null>((r) => child.once("exit", (code) => r(code)));

describe("server process and data directory", () => {
  const cleanup: (() => Promise<unknown> | void)[] = [];
  after(async () => {
    for (const step of cleanup.reverse()) await step();
  });

  describe("one server per data directory, owner-only", () => {
    let kluis: Kluis;

    it("makes the data directory and every file in it owner-only, including ones that existed and ones made later", async () => {
      const dir = newDataDir();
      chmodSync(dir, 0o755);
      const caDir = process.env.KLUIS_TEST_CA_DIR!;
      for (const f of ["ca.pem", "ca-key.pem"]) {
        copyFileSync(join(caDir, f), join(dir, f));
        chmodSync(join(dir, f), 0o644);
      }
      writeFileSync(join(dir, "notes.txt"), "left by hand\n", { mode: 0o666 });
      chmodSync(join(dir, "notes.txt"), 0o666);
      mkdirSync(join(dir, "old"), { mode: 0o755 });
      kluis = await Kluis.start({ dataDir: dir });
      cleanup.push(() => kluis.dispose());

      const check = () => {
        assert.equal(modeOf(dir).toString(8), "700", "the data directory");
        for (const entry of readdirSync(dir, { withFileTypes: true })) {
          assert.equal(modeOf(join(dir, entry.name)).toString(8), entry.isDirectory() ? "700" : "600", entry.name);
        }
      };
      const files = readdirSync(dir);
      for (const f of [
        "kluis.db",
        "kluis.db-wal",
        "kluis.db-shm",
        "master.key",
        "admin.json",
        "server.json",
        "server.pem",
        "server-key.pem",
      ]) {
        assert.ok(files.includes(f), `${f} in ${files.join(", ")}`);
      }
      check();
      // A clean stop checkpoints and removes the WAL and SHM files: the next start makes them anew.
      await kluis.restart();
      await kluis.cliJson(["keyvault", "secret", "set", "--vault-name", "default", "-n", "later", "--value", "v"]);
      assert.ok(existsSync(join(dir, "kluis.db-wal")));
      check();
    });

    it("refuses a second server on the same data directory with one line naming the first's pid, and leaves the first alone", async () => {
      const before = readInfo(kluis.dataDir);
      const second = await startServer(kluis.dataDir);
      assertOneLineError(
        second,
        new RegExp(`Another Kluis server \\(pid ${before.pid}\\) is running on ${kluis.dataDir}`),
      );
      assert.deepEqual(readInfo(kluis.dataDir), before, "server.json still names the first server");
      const env = await kluis.cli(["server", "env"]);
      assert.equal(env.code, 0, env.stderr);
      assert.match(env.stdout, new RegExp(`KLUIS_URL='${before.url}'`));
      assert.equal(await healthz(before.port, kluis.caFile), 200);
    });

    it("restarts on the same data directory after a SIGKILL, and the new server holds the lock", async () => {
      await kluis.restart("SIGKILL");
      const info = readInfo(kluis.dataDir);
      assert.equal(await healthz(info.port, kluis.caFile), 200);
      const second = await startServer(kluis.dataDir);
      assertOneLineError(second, new RegExp(`\\(pid ${info.pid}\\)`));
    });

    it("says that the master key does not open the store, where the key is expected, and never prints a key", async () => {
      await kluis.stop();
      const dir = kluis.dataDir;
      const keyFile = join(dir, "master.key");
      const rightKey = readFileSync(keyFile, "utf8").trim();
      const wrongKey = randomBytes(32).toString("hex");

      const fromEnv = await startServer(dir, { ...process.env, KLUIS_MASTER_KEY: wrongKey });
      const envLine = assertOneLineError(fromEnv, /master key in KLUIS_MASTER_KEY does not open the store/);
      assert.ok(envLine.includes(join(dir, "kluis.db")) && envLine.includes(keyFile), envLine);
      assert.doesNotMatch(envLine, /Unsupported state/);

      const wrongFileKey = randomBytes(32).toString("base64");
      writeFileSync(keyFile, wrongFileKey + "\n");
      const fromFile = await startServer(dir, { ...process.env, KLUIS_MASTER_KEY: "" });
      assertOneLineError(fromFile, new RegExp(`master key in ${keyFile} does not open the store`));
      for (const key of [rightKey, wrongKey, wrongFileKey]) {
        for (const out of [fromEnv.stdout + fromEnv.stderr, fromFile.stdout + fromFile.stderr])
          assert.ok(!out.includes(key), "a key was printed");
      }
      writeFileSync(keyFile, rightKey + "\n");
      await kluis.restart();
    });
  });

  it("keeps serving when its stdout is a full disk (/dev/full)", async () => {
    const dir = newDataDir();
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    const full = openSync("/dev/full", "w");
    const child = await spawnServer(dir, full);
    cleanup.push(() => void child.kill("SIGKILL"));
    const { port } = readInfo(dir);
    for (let i = 0; i < 20; i++) assert.equal(await healthz(port, join(dir, "ca.pem")), 200);
    child.kill("SIGTERM");
    assert.equal(await exitOf(child), 0);
  });

  it("keeps serving, and stops cleanly, when the reader of its stdout has gone (EPIPE)", async () => {
    const dir = newDataDir();
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    const child = await spawnServer(dir, "pipe");
    cleanup.push(() => void child.kill("SIGKILL"));
    child.stdout!.destroy();
    const { port } = readInfo(dir);
    for (let i = 0; i < 20; i++) assert.equal(await healthz(port, join(dir, "ca.pem")), 200);
    child.kill("SIGTERM");
    assert.equal(await exitOf(child), 0);
  });

  it("npm start skips the build when dist is current, and SIGTERM to npm stops the server", async () => {
    // Brings dist up to date first (a no-op when the suite has just built), so that npm start has nothing to build.
    const prepared = await run(process.execPath, ["scripts/build-if-stale.mjs"], { timeoutMs: 300_000 });
    assert.equal(prepared.code, 0, prepared.stderr);
    const entry = join(ROOT, "dist/bundle/kluis.js");
    const builtAt = statSync(entry).mtimeMs;

    const dir = newDataDir();
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    const env = { ...process.env };
    delete env.KLUIS_MASTER_KEY;
    const npm = spawn("npm", ["start", "--", "--data-dir", dir, "--port", "0"], {
      cwd: ROOT,
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    npm.stdout!.on("data", (d) => (output += d));
    npm.stderr!.on("data", (d) => (output += d));
    let serverPid: number | undefined;
    cleanup.push(() => {
      if (serverPid && alive(serverPid)) process.kill(serverPid, "SIGKILL");
      npm.kill("SIGKILL");
    });
    assert.ok(
      await waitFor(() => existsSync(join(dir, "server.json")) || npm.exitCode !== null),
      `npm start did not start the server:\n${output}`,
    );
    assert.ok(existsSync(join(dir, "server.json")), `npm start ended:\n${output}`);
    serverPid = readInfo(dir).pid;
    assert.equal(statSync(entry).mtimeMs, builtAt, "npm start rebuilt a current dist");
    assert.doesNotMatch(output, /tsc -p/);

    npm.kill("SIGTERM");
    await exitOf(npm);
    assert.ok(await waitFor(() => !alive(serverPid!), 300), `the server (pid ${serverPid}) outlived npm start`);
  });
});

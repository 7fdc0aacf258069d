// Test harness: a real Kluis server (the built CLI, over HTTPS, on a temporary data directory with a real SQLite
// file) plus helpers to run the CLI, Python and Node programs against it as a user would.
import { spawn, type ChildProcess } from "node:child_process";
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";

export const ROOT = resolve(import.meta.dirname, "../..");
export const KLUIS_BIN = join(ROOT, "dist/cli/kluis.js");
/** Debian's python3, which has python3-azure; not the pyenv one first on PATH. */
export const PYTHON = "/usr/bin/python3";

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function run(cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv; input?: string; timeoutMs?: number } = {}): Promise<RunResult> {
  return new Promise((resolvePromise, reject) => {
    // stdin is /dev/null unless the test feeds it: a child that exits before reading a pipe makes our write fail
    // with EPIPE, which would surface as an uncaught exception in the test runner.
    const child = spawn(cmd, args, { env: opts.env ?? process.env, cwd: ROOT, stdio: [opts.input === undefined ? "ignore" : "pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout!.on("data", (d) => (stdout += d));
    child.stderr!.on("data", (d) => (stderr += d));
    const timer = setTimeout(() => child.kill("SIGKILL"), opts.timeoutMs ?? 120_000);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolvePromise({ code, stdout, stderr });
    });
    if (child.stdin) {
      child.stdin.on("error", () => {}); // the child may exit without reading its input; its exit code tells
      child.stdin.end(opts.input);
    }
  });
}

export interface ServicePrincipal {
  appId: string;
  displayName: string;
  password: string;
  tenant: string;
}

interface ServerInfo {
  url: string;
  port: number;
  proxyPort: number;
  caFile: string;
  tenantId: string;
  subscriptionId: string;
  /** The server process, as it recorded itself. */
  pid: number;
}

/** Environment without the machine's preset CA and proxy settings, so each test states its own. */
function cleanEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const k of Object.keys(env)) {
    if (/^(AZURE_|KLUIS_URL|HTTPS?_PROXY|https?_proxy|NO_PROXY|no_proxy|REQUESTS_CA_BUNDLE|NODE_EXTRA_CA_CERTS|CURL_CA_BUNDLE)/.test(k)) delete env[k];
  }
  return env;
}

export class Kluis {
  private child?: ChildProcess;
  info!: ServerInfo;
  /** Everything the server has printed (stdout and stderr), across restarts: its logs. */
  output = "";

  private constructor(
    readonly dataDir: string,
    private readonly extraArgs: string[],
    private readonly env: NodeJS.ProcessEnv,
  ) {}

  /** Starts a server on free ports with a CONNECT proxy, on a new data directory that trusts the suite's CA. */
  static async start(opts: { args?: string[]; env?: NodeJS.ProcessEnv } = {}): Promise<Kluis> {
    const dataDir = mkdtempSync(join(tmpdir(), "kluis-test-"));
    const caDir = process.env.KLUIS_TEST_CA_DIR;
    if (caDir) for (const f of ["ca.pem", "ca-key.pem"]) copyFileSync(join(caDir, f), join(dataDir, f));
    const kluis = new Kluis(dataDir, opts.args ?? [], opts.env ?? {});
    await kluis.launch();
    return kluis;
  }

  private async launch(): Promise<void> {
    const infoFile = join(this.dataDir, "server.json");
    rmSync(infoFile, { force: true });
    const child = spawn(process.execPath, [KLUIS_BIN, "server", "start", "--data-dir", this.dataDir, "--port", "0", "--proxy-port", "0", ...this.extraArgs], {
      env: { ...cleanEnv(), ...this.env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    const record = (d: Buffer) => {
      output += d;
      this.output += d;
    };
    child.stdout!.on("data", record);
    child.stderr!.on("data", record);
    this.child = child;
    for (let i = 0; i < 300; i++) {
      if (child.exitCode !== null) throw new Error(`kluis exited early (${child.exitCode}):\n${output}`);
      if (existsSync(infoFile)) {
        this.info = JSON.parse(readFileSync(infoFile, "utf8")) as ServerInfo;
        return;
      }
      await sleep(100);
    }
    throw new Error(`kluis did not start:\n${output}`);
  }

  get caFile(): string {
    return join(this.dataDir, "ca.pem");
  }

  get proxyUrl(): string {
    return `http://127.0.0.1:${this.info.proxyPort}`;
  }

  /** Stops with SIGTERM (a clean shutdown) or SIGKILL (a crash). */
  async stop(signal: NodeJS.Signals = "SIGTERM"): Promise<number | null> {
    const child = this.child;
    // A child that already ended (exit code, or killed by a signal) has nothing left to wait for.
    if (!child || child.exitCode !== null || child.signalCode !== null) return child?.exitCode ?? null;
    const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
    child.kill(signal);
    return exited;
  }

  async restart(signal: NodeJS.Signals = "SIGTERM"): Promise<void> {
    await this.stop(signal);
    await this.launch();
  }

  async dispose(): Promise<void> {
    await this.stop();
    rmSync(this.dataDir, { recursive: true, force: true });
  }

  /** Runs the `kluis` CLI against this server, as its administrator unless `env` says otherwise. */
  cli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<RunResult> {
    return run(process.execPath, [KLUIS_BIN, ...args], { env: { ...cleanEnv(), KLUIS_DATA_DIR: this.dataDir, ...env } });
  }

  async cliJson<T = any>(args: string[], env: NodeJS.ProcessEnv = {}): Promise<T> {
    const res = await this.cli(args, env);
    if (res.code !== 0) throw new Error(`kluis ${args.join(" ")} failed (${res.code}): ${res.stderr}`);
    return JSON.parse(res.stdout) as T;
  }

  createServicePrincipal(name: string): Promise<ServicePrincipal> {
    return this.cliJson<ServicePrincipal>(["ad", "sp", "create-for-rbac", "--name", name]);
  }

  async createVault(name: string): Promise<void> {
    await this.cliJson(["keyvault", "create", "--name", name]);
  }

  async setPolicy(vault: string, appId: string, perms: { certificates?: string[]; keys?: string[]; secrets?: string[] }): Promise<void> {
    const args = ["keyvault", "set-policy", "--name", vault, "--spn", appId];
    if (perms.certificates) args.push("--certificate-permissions", ...perms.certificates);
    if (perms.keys) args.push("--key-permissions", ...perms.keys);
    if (perms.secrets) args.push("--secret-permissions", ...perms.secrets);
    await this.cliJson(args);
  }

  /**
   * What a user's shell exports to run an unmodified SDK program against this server:
   * `proxy`: HTTPS_PROXY to Kluis's CONNECT proxy and the server's tenant GUID (login.microsoftonline.com via the proxy);
   * `adfs`: tenant adfs with AZURE_AUTHORITY_HOST (no login.microsoftonline.com at all), still through the proxy.
   */
  sdkEnv(sp: ServicePrincipal, setup: "proxy" | "adfs" = "proxy"): NodeJS.ProcessEnv {
    return {
      ...cleanEnv(),
      REQUESTS_CA_BUNDLE: this.caFile,
      NODE_EXTRA_CA_CERTS: this.caFile,
      HTTPS_PROXY: this.proxyUrl,
      AZURE_CLIENT_ID: sp.appId,
      AZURE_CLIENT_SECRET: sp.password,
      AZURE_TENANT_ID: setup === "adfs" ? "adfs" : sp.tenant,
      ...(setup === "adfs" ? { AZURE_AUTHORITY_HOST: "https://localhost" } : {}),
    };
  }

  /** A vault and a principal holding the given permissions on it. */
  async vaultWithPrincipal(vault: string, perms: Parameters<Kluis["setPolicy"]>[2]): Promise<ServicePrincipal> {
    await this.createVault(vault);
    const sp = await this.createServicePrincipal(`${vault}-app`);
    await this.setPolicy(vault, sp.appId, perms);
    return sp;
  }
}

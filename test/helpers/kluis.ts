// Test harness: a real Kluis server (the built CLI, over HTTPS, on a temporary data directory with a real SQLite
// file) plus helpers to run the CLI, Python and Node programs against it as a user would.
import { spawn, type ChildProcess } from "node:child_process";
import { randomUUID } from "node:crypto";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import type { AdminCredential } from "../../src/server/data-dir.js";

export const ROOT = resolve(import.meta.dirname, "../..");
export const KLUIS_BIN = join(ROOT, "dist/bundle/kluis.js");
/** Debian's python3, which has python3-azure; not the pyenv one first on PATH. */
export const PYTHON = "/usr/bin/python3";

/**
 * The Python SDKs every test/programs/*.py runs under: Debian's python3-azure (a 2023 build that sends older
 * api-versions) and the current PyPI packages that scripts/prepare-python.sh installs into .venv-sdk.
 */
export const PYTHON_SDKS = [
  {
    id: "debian",
    label: "Debian python3-azure",
    python: PYTHON,
    apiVersions: { certificates: "7.3", secrets: "7.3", keys: "7.4-preview.1" },
  },
  {
    id: "pypi",
    label: "PyPI SDK",
    python: join(ROOT, ".venv-sdk/bin/python"),
    apiVersions: { certificates: "2026-04-01", secrets: "2026-04-01", keys: "2025-07-01" },
  },
] as const;
export type PythonSdk = (typeof PYTHON_SDKS)[number];

/** Runs a program under one of PYTHON_SDKS; a missing interpreter fails the test, it is never skipped. */
export function runPython(sdk: PythonSdk, args: string[], opts: Parameters<typeof run>[2] = {}): Promise<RunResult> {
  if (!existsSync(sdk.python)) {
    const fix =
      sdk.python === PYTHON ? "apt-get install python3-azure" : "bash scripts/prepare-python.sh (npm test runs it)";
    throw new Error(`${sdk.label}: ${sdk.python} is missing; run ${fix}`);
  }
  return run(sdk.python, args, opts);
}

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a program to its end; `onStderr` sees its stderr so far as it grows (to answer a prompt it prints). */
export function run(
  cmd: string,
  args: string[],
  opts: { env?: NodeJS.ProcessEnv; input?: string; timeoutMs?: number; onStderr?: (soFar: string) => void } = {},
): Promise<RunResult> {
  return new Promise((resolvePromise, reject) => {
    // stdin is /dev/null unless the test feeds it: a child that exits before reading a pipe makes our write fail
    // with EPIPE, which would surface as an uncaught exception in the test runner.
    const child = spawn(cmd, args, {
      env: opts.env ?? process.env,
      cwd: ROOT,
      stdio: [opts.input === undefined ? "ignore" : "pipe", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout!.on("data", (d) => (stdout += d));
    child.stderr!.on("data", (d) => {
      stderr += d;
      opts.onStderr?.(stderr);
    });
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
export function cleanEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const k of Object.keys(env)) {
    if (
      /^(AZURE_|KLUIS_URL|HTTPS?_PROXY|https?_proxy|NO_PROXY|no_proxy|REQUESTS_CA_BUNDLE|NODE_EXTRA_CA_CERTS|CURL_CA_BUNDLE|SSL_CERT_FILE|JAVA_TOOL_OPTIONS)/.test(
        k,
      )
    )
      delete env[k];
  }
  return env;
}

export class Kluis {
  private child?: ChildProcess;
  info!: ServerInfo;
  /** Everything the server has printed (stdout and stderr), across restarts: its logs. */
  output = "";
  /** The CLI's KLUIS_CONFIG_DIRs (sign-ins) live under it, made at the first sign-in: never the user's ~/.kluis. */
  private readonly cliConfigs = join(tmpdir(), `kluis-cli-config-${randomUUID()}`);

  private constructor(
    readonly dataDir: string,
    private readonly extraArgs: string[],
    private readonly env: NodeJS.ProcessEnv,
    private readonly openFilesLimit?: number,
  ) {}

  /**
   * Starts a server on free ports with a CONNECT proxy, on a new data directory (or `dataDir`) that trusts the suite's
   * CA; `openFilesLimit` runs it under `ulimit -n`.
   */
  static async start(
    opts: { args?: string[]; env?: NodeJS.ProcessEnv; dataDir?: string; openFilesLimit?: number } = {},
  ): Promise<Kluis> {
    const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), "kluis-test-"));
    const caDir = process.env.KLUIS_TEST_CA_DIR;
    if (caDir)
      for (const f of ["ca.pem", "ca-key.pem"])
        if (!existsSync(join(dataDir, f))) copyFileSync(join(caDir, f), join(dataDir, f));
    const kluis = new Kluis(dataDir, opts.args ?? [], opts.env ?? {}, opts.openFilesLimit);
    await kluis.launch();
    return kluis;
  }

  private async launch(): Promise<void> {
    const infoFile = join(this.dataDir, "server.json");
    rmSync(infoFile, { force: true });
    const args = [
      KLUIS_BIN,
      "server",
      "start",
      "--data-dir",
      this.dataDir,
      "--port",
      "0",
      "--proxy-port",
      "0",
      ...this.extraArgs,
    ];
    const [cmd, cmdArgs] =
      this.openFilesLimit === undefined
        ? [process.execPath, args]
        : ["bash", ["-c", `ulimit -n ${this.openFilesLimit} && exec "$0" "$@"`, process.execPath, ...args]];
    const child = spawn(cmd, cmdArgs, {
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
    // A server that did not start in time must not outlive the test (its pipes would keep the runner waiting).
    child.kill("SIGKILL");
    throw new Error(`kluis did not start:\n${output}`);
  }

  /**
   * The api-versions of the requests this server logged for https://VAULT.vault.azure.net, sorted: what the SDK
   * programs that used it sent.
   * Needs the server started with `--log-level info` (Fastify logs each incoming request's URL at info).
   */
  apiVersionsSent(vault: string): string[] {
    const seen = new Set<string>();
    for (const line of this.output.split("\n")) {
      if (!line.startsWith("{")) continue;
      const req = (JSON.parse(line) as { req?: { url?: string; host?: string } }).req;
      const version = req?.url?.match(/[?&]api(?:-|%2D)version=([^&]+)/i)?.[1];
      // SDK programs address NAME.vault.azure.net; the CLI, NAME.localhost.
      if (version && req!.host === `${vault}.vault.azure.net`) seen.add(version);
    }
    return [...seen].sort();
  }

  /** Whether the server process is still running (it has neither exited nor been killed). */
  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  get caFile(): string {
    return join(this.dataDir, "ca.pem");
  }

  /** The administrator's credential, as the server wrote it at its first start (DIR/admin.json), read as a user would. */
  adminCredential(): AdminCredential {
    return JSON.parse(readFileSync(join(this.dataDir, "admin.json"), "utf8")) as AdminCredential;
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
    rmSync(this.cliConfigs, { recursive: true, force: true });
  }

  /**
   * Runs the `kluis` CLI against this server, as its administrator (no sign-in) unless `env` says otherwise, e.g.
   * with the KLUIS_CONFIG_DIR of `signIn`.
   */
  cli(
    args: string[],
    env: NodeJS.ProcessEnv = {},
    opts: { onStderr?: (soFar: string) => void } = {},
  ): Promise<RunResult> {
    const noSignIn = join(this.cliConfigs, "none");
    return run(process.execPath, [KLUIS_BIN, ...args], {
      env: { ...cleanEnv(), KLUIS_DATA_DIR: this.dataDir, KLUIS_CONFIG_DIR: noSignIn, ...env },
      ...opts,
    });
  }

  /** `kluis login --service-principal` as `sp` in a config directory of its own; returns the env that selects it. */
  async signIn(sp: ServicePrincipal): Promise<NodeJS.ProcessEnv> {
    mkdirSync(this.cliConfigs, { recursive: true, mode: 0o700 });
    const env = { KLUIS_CONFIG_DIR: mkdtempSync(join(this.cliConfigs, "sp-")) };
    await this.cliJson(["login", "--service-principal", "-u", sp.appId, "-p", sp.password, "--tenant", sp.tenant], env);
    return env;
  }

  async cliJson<T = any>(args: string[], env: NodeJS.ProcessEnv = {}): Promise<T> {
    const res = await this.cli(args, env);
    if (res.code !== 0) throw new Error(`kluis ${args.join(" ")} failed (${res.code}): ${res.stderr}`);
    return JSON.parse(res.stdout) as T;
  }

  /** `kluis ad user create` as the administrator; answers the user's object id. */
  async createUser(upn: string, password: string, displayName: string): Promise<string> {
    const args = ["ad", "user", "create", "--display-name", displayName, "--password", password];
    return (await this.cliJson<{ id: string }>([...args, "--user-principal-name", upn])).id;
  }

  createServicePrincipal(name: string): Promise<ServicePrincipal> {
    return this.cliJson<ServicePrincipal>(["ad", "sp", "create-for-rbac", "--name", name]);
  }

  async createVault(name: string): Promise<void> {
    await this.cliJson(["keyvault", "create", "--name", name]);
  }

  async setPolicy(
    vault: string,
    appId: string,
    perms: { certificates?: string[]; keys?: string[]; secrets?: string[] },
  ): Promise<void> {
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

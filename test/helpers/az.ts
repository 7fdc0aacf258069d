// The real Azure CLI (pinned from PyPI in .venv-az, scripts/prepare-azure-cli.sh) in a shell of its own per test.
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Kluis, ROOT, run, type RunResult } from "./kluis.js";

export const AZ = join(ROOT, ".venv-az/bin/az");

/** Fails at once, naming the fix, when the Azure CLI is not installed. */
export function requireAz(): void {
  if (!existsSync(AZ))
    throw new Error(`The Azure CLI is missing at ${AZ}: run scripts/prepare-azure-cli.sh (npm test runs it).`);
}

export interface AzShell {
  az(args: string[], opts?: Parameters<typeof run>[2]): Promise<RunResult>;
  /** Runs az with `-o json`, asserts it succeeded, and parses its output. */
  azJson<T = any>(...args: string[]): Promise<T>;
}

/**
 * A shell of az's own: a fresh config directory (pushed to `configDirs` for the test to remove), Kluis's CA,
 * (for the proxy route) HTTPS_PROXY, and `extraEnv` (e.g. BROWSER).
 */
export function azShell(kluis: Kluis, proxy: boolean, configDirs: string[], extraEnv: NodeJS.ProcessEnv = {}): AzShell {
  const configDir = mkdtempSync(join(tmpdir(), "kluis-az-"));
  configDirs.push(configDir);
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: configDir,
    AZURE_CONFIG_DIR: configDir,
    AZURE_CORE_COLLECT_TELEMETRY: "false",
    AZURE_CORE_NO_COLOR: "true",
    REQUESTS_CA_BUNDLE: kluis.caFile,
    ...(proxy ? { HTTPS_PROXY: kluis.proxyUrl } : {}),
    ...extraEnv,
  };
  const az = (args: string[], opts: Parameters<typeof run>[2] = {}) =>
    run(AZ, [...args, "--only-show-errors"], { env, timeoutMs: 180_000, ...opts });
  const azJson = async <T = any>(...args: string[]): Promise<T> => {
    const res = await az([...args, "-o", "json"]);
    assert.equal(res.code, 0, `az ${args.join(" ")}: ${res.stderr}`);
    return JSON.parse(res.stdout) as T;
  };
  return { az, azJson };
}

/** A server for az tests, its administrator credential (admin.json), and az shells that go with it. */
export interface AzTestServer {
  kluis: Kluis;
  admin: {
    appId: string;
    password: string;
    tenant: string;
    objectId: string;
    user: { userPrincipalName: string; password: string; objectId: string };
  };
  /** A shell of az's own, through the proxy or not, whose `az` takes its arguments spread. */
  shell(proxy: boolean): { az(...args: string[]): Promise<RunResult>; azJson: AzShell["azJson"] };
  dispose(): Promise<void>;
}

export async function startAzTestServer(): Promise<AzTestServer> {
  requireAz();
  const kluis = await Kluis.start();
  const configDirs: string[] = [];
  return {
    kluis,
    admin: kluis.adminCredential() as AzTestServer["admin"],
    shell(proxy) {
      const shell = azShell(kluis, proxy, configDirs);
      return { az: (...args: string[]) => shell.az(args), azJson: shell.azJson };
    },
    async dispose() {
      await kluis.dispose();
      for (const d of configDirs) rmSync(d, { recursive: true, force: true });
    },
  };
}

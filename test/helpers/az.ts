// The real Azure CLI (pinned from PyPI in .venv-az, scripts/prepare-azure-cli.sh) in a shell of its own per test.
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Kluis, ROOT, run, type RunResult } from "./kluis.js";

export const AZ = join(ROOT, ".venv-az/bin/az");

/** A server for az tests, its administrator credential (admin.json), and az shells that go with it. */
export interface AzTestServer {
  kluis: Kluis;
  admin: { appId: string; password: string; tenant: string; objectId: string };
  shell(proxy: boolean): ReturnType<typeof azShell>;
  dispose(): Promise<void>;
}

export async function startAzTestServer(): Promise<AzTestServer> {
  if (!existsSync(AZ)) throw new Error(`The Azure CLI is missing at ${AZ}: run scripts/prepare-azure-cli.sh (npm test runs it).`);
  const kluis = await Kluis.start();
  const configDirs: string[] = [];
  return {
    kluis,
    admin: JSON.parse(readFileSync(join(kluis.dataDir, "admin.json"), "utf8")),
    shell(proxy) {
      const shell = azShell(kluis, proxy);
      configDirs.push(shell.configDir);
      return shell;
    },
    async dispose() {
      await kluis.dispose();
      for (const d of configDirs) rmSync(d, { recursive: true, force: true });
    },
  };
}

/**
 * A shell of az's own: a fresh config directory (`configDir`, for the caller to remove), Kluis's CA, and (for the
 * proxy route) HTTPS_PROXY.
 */
function azShell(kluis: Kluis, proxy: boolean) {
  const configDir = mkdtempSync(join(tmpdir(), "kluis-az-"));
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: configDir,
    AZURE_CONFIG_DIR: configDir,
    AZURE_CORE_COLLECT_TELEMETRY: "false",
    AZURE_CORE_NO_COLOR: "true",
    REQUESTS_CA_BUNDLE: kluis.caFile,
    ...(proxy ? { HTTPS_PROXY: kluis.proxyUrl } : {}),
  };
  const az = (...args: string[]): Promise<RunResult> => run(AZ, [...args, "--only-show-errors"], { env, timeoutMs: 180_000 });
  const azJson = async <T = any>(...args: string[]): Promise<T> => {
    const res = await az(...args, "-o", "json");
    assert.equal(res.code, 0, `az ${args.join(" ")}: ${res.stderr}`);
    return JSON.parse(res.stdout) as T;
  };
  return { az, azJson, configDir };
}

// The client matrix's harness (issue 11): programs in other languages, built ahead by scripts/prepare-*.sh, run
// as a user runs them: in a shell prepared by `eval "$(kluis server env)"` plus the application's credentials.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { cleanEnv, KLUIS_BIN, ROOT, run, type Kluis, type RunResult, type ServicePrincipal } from "./kluis.js";
import { OpenSsl } from "./openssl.js";

/** Every permission on every kind of object: the programs drive whole APIs. */
export const ALL_PERMISSIONS = { certificates: ["all"], keys: ["all"], secrets: ["all"] };

/**
 * Fails, saying what to install or run, when a command the programs need is missing or a program was not built
 * (the toolchain's prepare script builds it): a missing toolchain must fail the suite, never skip it.
 */
export function requireBuilt(files: string[], commands: string[], toolchain: string, script: string): void {
  const absent = commands.filter((c) => spawnSync("bash", ["-c", `command -v ${c}`]).status !== 0);
  if (absent.length) throw new Error(`${absent.join(", ")} not on PATH: these tests need ${toolchain}`);
  const missing = files.filter((f) => !existsSync(join(ROOT, f)));
  if (missing.length) {
    throw new Error(
      `${missing.join(", ")} not built: run 'bash ${script}' (npm test runs it through scripts/test-prerequisites.sh)`,
    );
  }
}

/**
 * Runs `cmd args` in a shell that evaluated `kluis server env` for this server, with the principal's
 * AZURE_CLIENT_ID/AZURE_CLIENT_SECRET and `env` (KEY_VAULT_NAME, ...): nothing else reaches the program.
 */
export function runWithServerEnv(
  kluis: Kluis,
  sp: ServicePrincipal,
  cmd: string,
  args: string[],
  env: NodeJS.ProcessEnv = {},
): Promise<RunResult> {
  const script = `eval "$("${process.execPath}" "${KLUIS_BIN}" server env --data-dir "$KLUIS_DATA_DIR")" && unset KLUIS_DATA_DIR && exec "$@"`;
  return run("bash", ["-c", script, "bash", cmd, ...args], {
    env: {
      ...cleanEnv(),
      KLUIS_DATA_DIR: kluis.dataDir,
      AZURE_CLIENT_ID: sp.appId,
      AZURE_CLIENT_SECRET: sp.password,
      ...env,
    },
    timeoutMs: 240_000,
  });
}

/** The `export NAME='value'` lines of `kluis server env`, as a map. */
export async function serverEnv(kluis: Kluis): Promise<Record<string, string>> {
  const res = await kluis.cli(["server", "env"]);
  if (res.code !== 0) throw new Error(`kluis server env failed: ${res.stderr}`);
  const vars: Record<string, string> = {};
  for (const line of res.stdout.trim().split("\n")) {
    const m = /^export ([A-Z_]+)='(.*)'$/.exec(line);
    if (!m) throw new Error(`not an export line: ${line}`);
    vars[m[1]!] = m[2]!.replaceAll("'\\''", "'");
  }
  return vars;
}

/** The "ok STEP: detail" lines a program printed, in order, as [step, detail] pairs. */
export function steps(stdout: string): [string, string][] {
  return stdout
    .split("\n")
    .map((line) => /^ok ([\w-]+): (.*)$/.exec(line))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => [m[1]!, m[2]!]);
}

/**
 * What a user brings to the certificate scenarios, made with openssl in CERT_DIR: a CA (ca.pem, ca.key) that signs
 * merged requests, and a leaf it signed as leaf.pfx (password `pw123`) and leaf-bundle.pem (key, then certificate),
 * each valid for `days`.
 */
export function certificateFiles(days = 30): OpenSsl {
  const openssl = new OpenSsl();
  openssl.makeCa(days);
  openssl.makeLeaf("leaf", undefined, days);
  openssl.run(
    "pkcs12",
    "-export",
    "-in",
    "leaf.pem",
    "-inkey",
    "leaf.key",
    "-out",
    "leaf.pfx",
    "-passout",
    "pass:pw123",
  );
  openssl.write("leaf-bundle.pem", Buffer.concat([openssl.read("leaf.key"), openssl.read("leaf.pem")]));
  return openssl;
}

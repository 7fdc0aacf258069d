// The README's other set-up: Kluis on port 443 and a hosts entry mapping NAME.vault.azure.net and
// login.microsoftonline.com to 127.0.0.1, no proxy at all. The suite never touches the machine's hosts file (issue 2
// asks tests to use the proxy), so this runs only when asked: KLUIS_TEST_HOSTS_FILE=1 node test/run.mjs
// test/hosts-entry.test.ts, as root (port 443, /etc/hosts). /etc/hosts is restored byte for byte afterwards.
import assert from "node:assert/strict";
import { accessSync, constants, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { after, before, describe, it } from "node:test";
import { Kluis, PYTHON, run, type ServicePrincipal } from "./helpers/kluis.js";

const HOSTS = "/etc/hosts";
const VAULT = "hostsvault";

/** Why this machine cannot run the set-up, or undefined when it can. */
async function unavailable(): Promise<string | undefined> {
  if (process.env.KLUIS_TEST_HOSTS_FILE !== "1") return "edits /etc/hosts: set KLUIS_TEST_HOSTS_FILE=1 to run it";
  if (process.getuid?.() !== 0) return "needs root for port 443 and /etc/hosts";
  try {
    accessSync(HOSTS, constants.W_OK);
  } catch {
    return "/etc/hosts is not writable";
  }
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once("error", () => resolve("port 443 is taken"));
    probe.listen(443, "127.0.0.1", () => probe.close(() => resolve(undefined)));
  });
}

const skip = await unavailable();

describe("hosts entry on port 443, no proxy", { skip }, () => {
  let kluis: Kluis;
  let sp: ServicePrincipal;
  let original: Buffer;

  before(async () => {
    kluis = await Kluis.start({ args: ["--port", "443"] });
    assert.equal(kluis.info.port, 443);
    sp = await kluis.vaultWithPrincipal(VAULT, { certificates: ["get", "list", "create", "delete"] });
    original = readFileSync(HOSTS);
    writeFileSync(
      HOSTS,
      Buffer.concat([original, Buffer.from(`\n127.0.0.1 ${VAULT}.vault.azure.net login.microsoftonline.com\n`)]),
    );
  });
  after(async () => {
    if (original) writeFileSync(HOSTS, original);
    await kluis?.dispose();
  });

  /** What a user exports for this set-up: CA trust and the service principal, nothing else. */
  const userEnv = () => {
    const { HTTPS_PROXY: _proxy, ...env } = kluis.sdkEnv(sp, "proxy");
    return { ...env, KEY_VAULT_NAME: VAULT };
  };

  it("runs the unmodified Python quickstart against https://hostsvault.vault.azure.net", async () => {
    const res = await run(PYTHON, ["test/programs/quickstart.py"], { env: userEnv(), input: "hosts-py\n" });
    assert.equal(res.code, 0, res.stderr);
    assert.match(res.stdout, /Certificate with name 'hosts-py' was found/);
  });

  it("runs the JavaScript twin with DefaultAzureCredential", async () => {
    const res = await run(process.execPath, ["test/programs/quickstart.mjs", "hosts-js"], { env: userEnv() });
    assert.equal(res.code, 0, res.stderr);
    assert.match(
      JSON.parse(res.stdout).created.id,
      /^https:\/\/hostsvault\.vault\.azure\.net\/certificates\/hosts-js\/[0-9a-f]{32}$/,
    );
  });
});

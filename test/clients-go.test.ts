// Issue 11, Go: programs written with Go's azcertificates, azsecrets, azkeys and azidentity (test/programs/go,
// built by scripts/prepare-go.sh) run unmodified against Kluis, configured only by `kluis server env` and the
// application's credentials. Each program checks the values it gets and prints an "ok" line per step.
import assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import { copyFileSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { rootCertificates } from "node:tls";
import { systemCertificates, writeClientTrust } from "../src/server/client-trust.js";
import { dataDir, ensureDataDir } from "../src/server/data-dir.js";
import {
  ALL_PERMISSIONS,
  certificateFiles,
  requireBuilt,
  runWithServerEnv,
  serverEnv,
  steps,
} from "./helpers/clients.js";
import { Kluis, type ServicePrincipal } from "./helpers/kluis.js";
import type { OpenSsl } from "./helpers/openssl.js";

const BIN = "test/programs/go/bin";

describe("Go SDK clients", () => {
  let kluis: Kluis;
  let sp: ServicePrincipal;
  let certs: OpenSsl;

  before(async () => {
    requireBuilt(
      ["quickstart", "certificates", "secrets", "keys"].map((p) => `${BIN}/${p}`),
      ["go"],
      "Go",
      "scripts/prepare-go.sh",
    );
    kluis = await Kluis.start({ args: ["--log-level", "info"] }); // the log shows the api-versions sent
    certs = certificateFiles();
    // A vault per program: a certificate brings a key and a secret of its name, which the others would list.
    sp = await kluis.vaultWithPrincipal("govault", ALL_PERMISSIONS);
    for (const vault of ["go-secrets", "go-keys"]) {
      await kluis.createVault(vault);
      await kluis.setPolicy(vault, sp.appId, ALL_PERMISSIONS);
    }
  });
  after(async () => {
    certs?.dispose();
    await kluis?.dispose();
  });

  const runGo = (program: string, args: string[] = [], env: NodeJS.ProcessEnv = {}) =>
    runWithServerEnv(kluis, sp, `${BIN}/${program}`, args, { KEY_VAULT_NAME: "govault", ...env });

  it("kluis server env gives Go a CA bundle of the system's CAs plus Kluis's (SSL_CERT_FILE replaces Go's roots)", async () => {
    const env = await serverEnv(kluis);
    assert.equal(env.SSL_CERT_FILE, env.REQUESTS_CA_BUNDLE);
    const bundle = readFileSync(env.SSL_CERT_FILE!, "utf8");
    const kluisCa = new X509Certificate(readFileSync(kluis.caFile));
    const system = readFileSync("/etc/ssl/certs/ca-certificates.crt", "utf8").match(
      /-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/g,
    )!;
    const inBundle = bundle.match(/-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/g)!;
    assert.equal(inBundle.length, system.length + 1);
    assert.ok(
      system.every((pem) => bundle.includes(pem)),
      "every system CA is kept",
    );
    assert.ok(new X509Certificate(inBundle.at(-1)!).raw.equals(kluisCa.raw), "Kluis's CA is added");
    assert.equal(env.NODE_EXTRA_CA_CERTS, kluis.caFile);
    assert.equal(env.HTTPS_PROXY, kluis.proxyUrl);
    assert.equal(env.AZURE_TENANT_ID, sp.tenant);
  });

  it("falls back to the Mozilla roots Node ships with on a system without a CA bundle file", () => {
    assert.deepEqual(systemCertificates(["/nonexistent/ca-certificates.crt"]), [...rootCertificates]);
    assert.ok(systemCertificates().length > 1);
  });

  it("rebuilds the Java trust store at a start only when the CA bundle changed or it is missing (start-up time, issue 13)", () => {
    const dir = dataDir(mkdtempSync(join(tmpdir(), "kluis-trust-")));
    try {
      ensureDataDir(dir);
      copyFileSync(kluis.caFile, dir.caCert);
      const system = systemCertificates();
      const inode = () => statSync(dir.javaTrustStore).ino; // each write is a rename: a new inode
      writeClientTrust(dir, system);
      const first = inode();
      writeClientTrust(dir, system);
      assert.equal(inode(), first, "an unchanged bundle leaves the trust store as it is");
      writeClientTrust(dir, system.slice(1));
      assert.notEqual(inode(), first, "a changed bundle rebuilds it");
      assert.equal(
        readFileSync(dir.caBundle, "utf8").match(/BEGIN CERTIFICATE/g)?.length,
        system.length,
        "the bundle is rewritten too",
      );
      rmSync(dir.javaTrustStore);
      writeClientTrust(dir, system.slice(1));
      assert.ok(statSync(dir.javaTrustStore).size > 0, "a missing trust store is rebuilt");
    } finally {
      rmSync(dir.root, { recursive: true, force: true });
    }
  });

  it("runs the certificates quickstart: default policy, poll, get, delete, then 409 on re-create", async () => {
    const res = await runGo("quickstart", ["go-quick"]);
    assert.equal(res.code, 0, res.stderr);
    assert.deepEqual(kluis.apiVersionsSent("govault"), ["2025-07-01"]);
    assert.deepEqual(
      steps(res.stdout).map(([s]) => s),
      ["create", "poll", "get", "delete", "recreate"],
    );
    const out = Object.fromEntries(steps(res.stdout));
    assert.match(out.get!, /^https:\/\/govault\.vault\.azure\.net\/certificates\/go-quick\/[0-9a-f]{32}$/);
    assert.equal(out.delete, "https://govault.vault.azure.net/deletedcertificates/go-quick");
    const deleted = await kluis.cliJson([
      "keyvault",
      "certificate",
      "show-deleted",
      "--vault-name",
      "govault",
      "-n",
      "go-quick",
    ]);
    assert.equal(deleted.name, "go-quick");
  });

  it("runs the certificate scenarios: versions, policy update, PFX and PEM import, CSR + merge, backup/restore, recover/purge, contacts, issuers", async () => {
    const res = await runGo("certificates", [], { CERT_DIR: certs.dir, CERT_PFX_PASSWORD: "pw123" });
    assert.equal(res.code, 0, res.stderr);
    assert.deepEqual(
      steps(res.stdout).map(([s]) => s),
      [
        "create",
        "versions",
        "policy-update",
        "update",
        "import-pfx",
        "import-pem",
        "merge",
        "restore",
        "recover",
        "purge",
        "contacts",
        "issuers",
      ],
    );
    // What the program did is what the administrator sees.
    const pem = await kluis.cliJson(["keyvault", "certificate", "show", "--vault-name", "govault", "-n", "go-pem"]);
    assert.ok(Buffer.from(pem.cer, "base64").equals(new X509Certificate(certs.read("leaf.pem")).raw));
    const merged = await kluis.cliJson([
      "keyvault",
      "certificate",
      "show",
      "--vault-name",
      "govault",
      "-n",
      "go-merge",
    ]);
    assert.ok(
      new X509Certificate(Buffer.from(merged.cer, "base64")).verify(
        new X509Certificate(certs.read("ca.pem")).publicKey,
      ),
      "signed by the user's CA",
    );
  });

  it("runs the secret scenarios (azsecrets sends api-version 2026-04-01)", async () => {
    const res = await runGo("secrets", [], { KEY_VAULT_NAME: "go-secrets" });
    assert.equal(res.code, 0, res.stderr);
    assert.deepEqual(kluis.apiVersionsSent("go-secrets"), ["2026-04-01"]);
    assert.deepEqual(
      steps(res.stdout).map(([s]) => s),
      ["set", "get", "list", "versions", "update", "delete", "recover", "backup", "purge", "restore"],
    );
    const shown = await kluis.cliJson(["keyvault", "secret", "show", "--vault-name", "go-secrets", "-n", "go-secret"]);
    assert.equal(shown.value, "second");
  });

  it("runs the key scenarios (azkeys sends api-version 2026-04-01): RSA and EC, sign/verify remote and local, encrypt/decrypt, wrap/unwrap, rotation, import, backup/restore", async () => {
    const res = await runGo("keys", [], { KEY_VAULT_NAME: "go-keys" });
    assert.equal(res.code, 0, res.stderr);
    assert.deepEqual(kluis.apiVersionsSent("go-keys"), ["2026-04-01"]);
    assert.deepEqual(
      steps(res.stdout).map(([s]) => s),
      [
        "create-rsa",
        "create-ec",
        "sign-rs256",
        "sign-ps256",
        "sign-es384",
        "verify-tampered",
        "encrypt-RSA-OAEP-256",
        "encrypt-RSA-OAEP",
        "encrypt-RSA1_5",
        "decrypt-local",
        "wrap",
        "rotation-policy",
        "rotate",
        "import",
        "restore",
      ],
    );
    const versions = await kluis.cliJson<unknown[]>([
      "keyvault",
      "key",
      "list-versions",
      "--vault-name",
      "go-keys",
      "-n",
      "go-rsa",
    ]);
    assert.equal(versions.length, 2, "created and rotated, restored from the backup");
  });

  it("fails with the step and Key Vault's answer when the vault refuses", async () => {
    const reader = await kluis.createServicePrincipal("go-reader");
    await kluis.setPolicy("go-secrets", reader.appId, { secrets: ["get"] });
    const res = await runWithServerEnv(kluis, reader, `${BIN}/secrets`, [], { KEY_VAULT_NAME: "go-secrets" });
    assert.equal(res.code, 1);
    assert.match(res.stderr, /^FAIL set: .*403 Forbidden/ms);
    assert.match(res.stderr, /does not have secrets set permission/);
  });
});

// Issue 11, Java: programs written with azure-security-keyvault-certificates/-secrets/-keys and azure-identity under
// azure-sdk-bom (test/programs/java, packaged by scripts/prepare-java.sh) run unmodified against Kluis, configured
// only by `kluis server env` (its JAVA_TOOL_OPTIONS: trust store and proxy) and the application's credentials.
import assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import { readFileSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import { clientEnvironment } from "../src/server/environment.js";
import {
  ALL_PERMISSIONS,
  certificateFiles,
  requireBuilt,
  runWithServerEnv,
  serverEnv,
  steps,
} from "./helpers/clients.js";
import { Kluis, run, type ServicePrincipal } from "./helpers/kluis.js";
import type { OpenSsl } from "./helpers/openssl.js";

const JAR = "test/programs/java/target/kluis-clients.jar";

describe("Java SDK clients", () => {
  let kluis: Kluis;
  let sp: ServicePrincipal;
  let certs: OpenSsl;

  before(async () => {
    requireBuilt([JAR], ["java", "keytool"], "a JDK >= 17 (and Maven to build)", "scripts/prepare-java.sh");
    kluis = await Kluis.start({ args: ["--log-level", "info"] }); // the log shows the api-versions sent
    certs = certificateFiles();
    // A vault per program: a certificate brings a key and a secret of its name, which the others would list.
    sp = await kluis.vaultWithPrincipal("javavault", ALL_PERMISSIONS);
    for (const vault of ["java-secrets", "java-keys"]) {
      await kluis.createVault(vault);
      await kluis.setPolicy(vault, sp.appId, ALL_PERMISSIONS);
    }
  });
  after(async () => {
    certs?.dispose();
    await kluis?.dispose();
  });

  const runJava = (program: string, args: string[] = [], env: NodeJS.ProcessEnv = {}) =>
    runWithServerEnv(kluis, sp, "java", ["-cp", JAR, `kluis.${program}`, ...args], {
      KEY_VAULT_NAME: "javavault",
      ...env,
    });

  it("kluis server env gives the JVM a trust store of the system's CAs plus Kluis's, and the proxy", async () => {
    const env = await serverEnv(kluis);
    const options = env.JAVA_TOOL_OPTIONS!.split(" ");
    const store = options.find((o) => o.startsWith("-Djavax.net.ssl.trustStore="))!.split("=")[1]!;
    assert.deepEqual(options.slice(1), [
      "-Djavax.net.ssl.trustStoreType=PKCS12",
      "-Djavax.net.ssl.trustStorePassword=changeit",
      "-Dhttps.proxyHost=127.0.0.1",
      `-Dhttps.proxyPort=${kluis.info.proxyPort}`,
    ]);
    const list = await run("keytool", [
      "-list",
      "-rfc",
      "-keystore",
      store,
      "-storetype",
      "PKCS12",
      "-storepass",
      "changeit",
    ]);
    assert.equal(list.code, 0, list.stderr);
    const system = readFileSync("/etc/ssl/certs/ca-certificates.crt", "utf8").match(
      /-----BEGIN CERTIFICATE-----/g,
    )!.length;
    assert.equal(
      list.stdout.match(/Entry type: trustedCertEntry/g)?.length,
      system + 1,
      "every system CA and Kluis's, as trusted entries",
    );
    const pems = list.stdout.match(/-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/g)!;
    const kluisCa = new X509Certificate(readFileSync(kluis.caFile));
    assert.ok(
      pems.some((pem) => new X509Certificate(pem).raw.equals(kluisCa.raw)),
      "Kluis's CA is trusted",
    );
    const wrong = await run("keytool", ["-list", "-keystore", store, "-storetype", "PKCS12", "-storepass", "wrong"]);
    assert.notEqual(wrong.code, 0, "the store is MAC'd under its password");
  });

  it("quotes a trust store path with blanks so that the JVM reads it whole", async () => {
    const info = {
      ...kluis.info,
      javaTrustStoreFile: "/tmp/a dir/ca-bundle.p12",
      caFile: kluis.caFile,
      subscriptionId: "s",
      pid: 1,
    };
    const line = clientEnvironment(info)
      .split("\n")
      .find((l) => l.startsWith("export JAVA_TOOL_OPTIONS="))!;
    const res = await run("bash", ["-c", `${line} && java -XshowSettings:properties -version`]);
    assert.match(res.stderr, /javax\.net\.ssl\.trustStore = \/tmp\/a dir\/ca-bundle\.p12\n/);
  });

  it("runs the certificates quickstart: default policy, poll, get, delete, then 409 on re-create", async () => {
    const res = await runJava("Quickstart", ["java-quick"]);
    assert.equal(res.code, 0, res.stderr);
    assert.deepEqual(kluis.apiVersionsSent("javavault"), ["7.6"]);
    assert.deepEqual(
      steps(res.stdout).map(([s]) => s),
      ["create", "get", "delete", "recreate"],
    );
    const out = Object.fromEntries(steps(res.stdout));
    assert.match(out.get!, /^https:\/\/javavault\.vault\.azure\.net\/certificates\/java-quick\/[0-9a-f]{32}$/);
    assert.equal(out.delete, "https://javavault.vault.azure.net/deletedcertificates/java-quick");
    const deleted = await kluis.cliJson([
      "keyvault",
      "certificate",
      "show-deleted",
      "--vault-name",
      "javavault",
      "-n",
      "java-quick",
    ]);
    assert.equal(deleted.name, "java-quick");
  });

  it("runs the certificate scenarios: versions, policy update, PFX and PEM import, CSR + merge, backup/restore, recover/purge, contacts, issuers", async () => {
    const res = await runJava("Certificates", [], { CERT_DIR: certs.dir, CERT_PFX_PASSWORD: "pw123" });
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
        "backup",
        "restore",
        "recover",
        "purge",
        "contacts",
        "issuers",
      ],
    );
    const pem = await kluis.cliJson(["keyvault", "certificate", "show", "--vault-name", "javavault", "-n", "java-pem"]);
    assert.ok(Buffer.from(pem.cer, "base64").equals(new X509Certificate(certs.read("leaf.pem")).raw));
    const merged = await kluis.cliJson([
      "keyvault",
      "certificate",
      "show",
      "--vault-name",
      "javavault",
      "-n",
      "java-merge",
    ]);
    assert.ok(
      new X509Certificate(Buffer.from(merged.cer, "base64")).verify(
        new X509Certificate(certs.read("ca.pem")).publicKey,
      ),
      "signed by the user's CA",
    );
  });

  it("runs the secret scenarios", async () => {
    const res = await runJava("Secrets", [], { KEY_VAULT_NAME: "java-secrets" });
    assert.equal(res.code, 0, res.stderr);
    assert.deepEqual(kluis.apiVersionsSent("java-secrets"), ["2025-07-01"]);
    assert.deepEqual(
      steps(res.stdout).map(([s]) => s),
      ["set", "get", "list", "versions", "update", "delete", "recover", "backup", "purge", "restore"],
    );
    const shown = await kluis.cliJson([
      "keyvault",
      "secret",
      "show",
      "--vault-name",
      "java-secrets",
      "-n",
      "java-secret",
    ]);
    assert.equal(shown.value, "second");
  });

  it("runs the key scenarios (CreateRsaKeyOptions sends public_exponent 0): sign/verify by the vault, the SDK and java.security, encryption, rotation, import, backup/restore", async () => {
    const res = await runJava("Keys", [], { KEY_VAULT_NAME: "java-keys" });
    assert.equal(res.code, 0, res.stderr);
    assert.deepEqual(kluis.apiVersionsSent("java-keys"), ["2025-07-01"]);
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
        "wrap",
        "rotation-policy",
        "rotate",
        "import",
        "backup",
        "restore",
      ],
    );
    const key = await kluis.cliJson(["keyvault", "key", "show", "--vault-name", "java-keys", "-n", "java-rsa"]);
    assert.equal(Buffer.from(key.key.e, "base64").toString("hex"), "010001", "the default exponent");
  });

  it("fails with the step and Key Vault's answer when the vault refuses", async () => {
    const reader = await kluis.createServicePrincipal("java-reader");
    await kluis.setPolicy("java-secrets", reader.appId, { secrets: ["get"] });
    const res = await runWithServerEnv(kluis, reader, "java", ["-cp", JAR, "kluis.Secrets"], {
      KEY_VAULT_NAME: "java-secrets",
    });
    assert.equal(res.code, 1);
    assert.match(res.stderr, /^FAIL set: .*Status code 403/m);
    assert.match(res.stderr, /does not have secrets set permission/);
  });
});

// Issue 4's acceptance: every secrets operation through the official SDKs (JavaScript in process, Python as a
// subprocess), with Key Vault's errors for disabled, expired, managed and malformed cases, and nothing changed by a refusal.
import assert from "node:assert/strict";
import { createPrivateKey, X509Certificate } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { CertificateClient, DefaultCertificatePolicy, type CertificatePolicy } from "@azure/keyvault-certificates";
import { SecretClient } from "@azure/keyvault-secrets";
import { accessToken, rawRequest } from "./helpers/http.js";
import { Kluis, PYTHON_SDKS, runPython, type ServicePrincipal } from "./helpers/kluis.js";
import { clientOptions, credentialFor, vaultUrl } from "./helpers/sdk.js";

const ALL = ["get", "list", "set", "delete", "backup", "restore", "recover", "purge"];
const API = "api-version=7.5";

/** The RestError an SDK call fails with: status, Key Vault code, message and inner code. */
async function failure(call: () => Promise<unknown>) {
  try {
    await call();
  } catch (err) {
    const e = err as {
      statusCode?: number;
      code?: string;
      message: string;
      details?: { error?: { innerError?: { code?: string } } };
    };
    return { status: e.statusCode, code: e.code, message: e.message, inner: e.details?.error?.innerError?.code };
  }
  assert.fail("the call succeeded");
}

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

describe("secrets", () => {
  let kluis: Kluis;
  let sp: ServicePrincipal;
  let client: SecretClient;
  let other: SecretClient;

  before(async () => {
    kluis = await Kluis.start({ args: ["--log-level", "info"] }); // the log shows the api-versions sent
    sp = await kluis.vaultWithPrincipal("secvault", { secrets: ALL, certificates: ["get", "create"] });
    await kluis.createVault("secvault2");
    await kluis.setPolicy("secvault2", sp.appId, { secrets: ALL });
    const credential = credentialFor(kluis, sp);
    client = new SecretClient(vaultUrl("secvault"), credential, clientOptions(kluis));
    other = new SecretClient(vaultUrl("secvault2"), credential, clientOptions(kluis));
  });
  after(() => kluis.dispose());

  it("sets, gets, versions and updates a secret with unicode values, content type, tags and attributes", async () => {
    const value = "pässwörd ☃ 🔑 秘密";
    const first = await client.setSecret("js-secret", value, { contentType: "text/plain", tags: { env: "test" } });
    assert.equal(first.value, value);
    assert.match(first.properties.id!, /^https:\/\/secvault\.vault\.azure\.net\/secrets\/js-secret\/[0-9a-f]{32}$/);
    assert.equal(first.properties.contentType, "text/plain");
    assert.deepEqual(first.properties.tags, { env: "test" });
    assert.equal(first.properties.recoveryLevel, "Recoverable+Purgeable");
    assert.equal(first.properties.recoverableDays, 90);

    const second = await client.setSecret("js-secret", "second");
    assert.equal((await client.getSecret("js-secret")).value, "second");
    assert.equal((await client.getSecret("js-secret", { version: first.properties.version! })).value, value);

    const updated = await client.updateSecretProperties("js-secret", first.properties.version!, {
      contentType: "application/json",
      tags: { a: "b" },
    });
    assert.equal(updated.contentType, "application/json");
    assert.deepEqual(updated.tags, { a: "b" });
    const again = await client.getSecret("js-secret", { version: first.properties.version! });
    assert.equal(again.value, value, "an update never changes the value");
    assert.equal(again.properties.contentType, "application/json");

    const versions = await collect(client.listPropertiesOfSecretVersions("js-secret"));
    assert.deepEqual(
      versions.map((v) => v.version).sort(),
      [first.properties.version, second.properties.version].sort(),
    );
  });

  it("round-trips a 25 KB value and refuses a longer one with 400, creating nothing", async () => {
    const big = "k".repeat(25_600);
    assert.equal((await client.setSecret("big", big)).value, big);
    assert.equal((await client.getSecret("big")).value, big);
    const tooBig = await failure(() => client.setSecret("too-big", big + "k"));
    assert.equal(tooBig.status, 400);
    assert.equal(tooBig.code, "BadParameter");
    assert.match(tooBig.message, /maximum permitted length of 25600/);
    assert.equal((await failure(() => client.getSecret("too-big"))).status, 404);
    const tooBigVersion = await failure(() => client.setSecret("big", big + "k"));
    assert.equal(tooBigVersion.status, 400);
    assert.equal((await collect(client.listPropertiesOfSecretVersions("big"))).length, 1);
  });

  it("refuses the value of a disabled secret with Key Vault's 403, returns an expired or not yet valid one as Key Vault does, and lists them", async () => {
    const s = await client.setSecret("toggled", "v", { enabled: false });
    const disabled = await failure(() => client.getSecret("toggled"));
    assert.deepEqual(disabled, {
      status: 403,
      code: "Forbidden",
      message: "Operation get is not allowed on a disabled secret.",
      inner: "SecretDisabled",
    });
    await client.updateSecretProperties("toggled", s.properties.version!, { enabled: true });
    assert.equal((await client.getSecret("toggled")).value, "v");

    // Key Vault's documentation says 403, the service answers 200 with the value (Azure/AzureKeyVault#19; issue 11).
    await client.setSecret("expired", "old", { expiresOn: new Date(Date.now() - 3600_000) });
    const expired = await client.getSecret("expired");
    assert.equal(expired.value, "old");
    assert.ok(expired.properties.expiresOn! < new Date());
    await client.setSecret("early", "later", { notBefore: new Date(Date.now() + 3600_000) });
    assert.equal((await client.getSecret("early")).value, "later");

    const listed = await collect(client.listPropertiesOfSecrets());
    assert.ok(listed.some((p) => p.name === "expired" && p.expiresOn !== undefined));
  });

  it("shows every read the newest acknowledged write of its name while other names are written at once (the hot-read cache)", async () => {
    // Eight writers, each on its own name, interleaved by the server: every write empties the cache, every read fills it.
    await Promise.all(
      Array.from({ length: 8 }, async (_, w) => {
        const name = `busy-${w}`;
        let first: string | undefined;
        for (let i = 0; i < 12; i++) {
          const set = await client.setSecret(name, `value ${i}`, { tags: { round: String(i) } });
          first ??= set.properties.version!;
          const got = await client.getSecret(name);
          assert.equal(got.value, `value ${i}`);
          assert.equal(got.properties.version, set.properties.version);
          await client.updateSecretProperties(name, set.properties.version!, { enabled: false });
          assert.equal((await failure(() => client.getSecret(name))).inner, "SecretDisabled");
          await client.updateSecretProperties(name, set.properties.version!, { enabled: true, tags: { seen: "yes" } });
          assert.deepEqual((await client.getSecret(name)).properties.tags, { seen: "yes" });
          assert.equal((await client.getSecret(name, { version: first })).value, "value 0");
        }
      }),
    );
  });

  it("pages over more than 25 secrets and 25 versions, never listing values", async () => {
    for (let i = 0; i < 27; i++) await other.setSecret(`page-${String(i).padStart(2, "0")}`, `value ${i}`);
    for (let i = 0; i < 27; i++) await other.setSecret("versioned", `value ${i}`);
    const pages = await collect(other.listPropertiesOfSecrets().byPage());
    assert.deepEqual(
      pages.map((p) => p.length),
      [25, 3],
    );
    const small = await collect(other.listPropertiesOfSecrets().byPage({ maxPageSize: 10 }));
    assert.deepEqual(
      small.map((p) => p.length),
      [10, 10, 8],
    );
    const versionPages = await collect(other.listPropertiesOfSecretVersions("versioned").byPage());
    assert.deepEqual(
      versionPages.map((p) => p.length),
      [25, 2],
    );
    assert.equal(new Set(versionPages.flat().map((v) => v.version)).size, 27);

    const token = await accessToken(kluis, sp);
    const raw = await rawRequest(kluis, "secvault2.localhost", "GET", `/secrets?${API}&maxresults=2`, { token });
    assert.equal(raw.status, 200);
    assert.equal(raw.body.value.length, 2);
    assert.ok(raw.body.value.every((item: Record<string, unknown>) => !("value" in item)));
    assert.match(raw.body.nextLink, /\$skiptoken=.+&maxresults=2$/);
  });

  it("soft-deletes, lists deleted, refuses reuse with 409, recovers and purges", async () => {
    await client.setSecret("doomed", "keep me", { tags: { t: "1" } });
    const deleted = await (await client.beginDeleteSecret("doomed")).pollUntilDone();
    assert.equal(deleted.recoveryId, "https://secvault.vault.azure.net/deletedsecrets/doomed");
    assert.ok(deleted.deletedOn && deleted.scheduledPurgeDate);
    assert.equal((await client.getDeletedSecret("doomed")).properties.tags?.t, "1");
    assert.ok((await collect(client.listDeletedSecrets())).some((d) => d.name === "doomed"));
    assert.ok(!(await collect(client.listPropertiesOfSecrets())).some((p) => p.name === "doomed"));
    assert.equal((await failure(() => client.getSecret("doomed"))).status, 404);

    const reuse = await failure(() => client.setSecret("doomed", "new"));
    assert.equal(reuse.status, 409);
    assert.match(reuse.message, /Secret doomed is currently in a deleted but recoverable state/);

    await (await client.beginRecoverDeletedSecret("doomed")).pollUntilDone();
    assert.equal((await client.getSecret("doomed")).value, "keep me");

    await (await client.beginDeleteSecret("doomed")).pollUntilDone();
    await client.purgeDeletedSecret("doomed");
    assert.equal((await failure(() => client.getDeletedSecret("doomed"))).status, 404);
    assert.equal((await client.setSecret("doomed", "reborn")).value, "reborn");
  });

  it("backs up every version and restores them into another vault; refuses a taken name and a tampered blob", async () => {
    const v1 = await client.setSecret("portable", "one", { contentType: "text/plain" });
    const v2 = await client.setSecret("portable", "two ✓");
    const blob = (await client.backupSecret("portable"))!;
    assert.ok(!Buffer.from(blob).toString("latin1").includes("two"), "the blob does not show the value");

    const restored = await other.restoreSecretBackup(blob);
    assert.equal(restored.id, `https://secvault2.vault.azure.net/secrets/portable/${v2.properties.version}`);
    assert.equal((await other.getSecret("portable")).value, "two ✓");
    const first = await other.getSecret("portable", { version: v1.properties.version! });
    assert.equal(first.value, "one");
    assert.equal(first.properties.contentType, "text/plain");

    const taken = await failure(() => other.restoreSecretBackup(blob));
    assert.equal(taken.status, 409);
    assert.equal(taken.code, "Conflict");

    const tampered = Uint8Array.from(blob);
    tampered[Math.floor(tampered.length / 2)]! ^= 1;
    await (await other.beginDeleteSecret("portable")).pollUntilDone();
    await other.purgeDeletedSecret("portable");
    const bad = await failure(() => other.restoreSecretBackup(tampered));
    assert.equal(bad.status, 400);
    assert.equal(bad.code, "BadParameter");
    assert.equal((await failure(() => other.getSecret("portable"))).status, 404, "a refused restore writes nothing");
  });

  it("restores a backup bigger than the 4 MB limit of other requests", async () => {
    // 160 versions of 25,600 characters: the blob is about 7 MB.
    const versions: string[] = [];
    for (let i = 0; i < 160; i++)
      versions.push((await client.setSecret("bulky", String(i % 10).repeat(25_600))).properties.version!);
    const blob = (await client.backupSecret("bulky"))!;
    assert.ok(blob.length > 4 * 1024 * 1024, `blob of ${blob.length} bytes`);
    await other.restoreSecretBackup(blob);
    assert.equal((await other.getSecret("bulky")).value, "9".repeat(25_600));
    assert.equal((await other.getSecret("bulky", { version: versions[0]! })).value, "0".repeat(25_600));
  });

  it("answers 403 naming the missing permission", async () => {
    const reader = await kluis.createServicePrincipal("secret-reader");
    await kluis.setPolicy("secvault", reader.appId, { secrets: ["get", "list"] });
    const readOnly = new SecretClient(vaultUrl("secvault"), credentialFor(kluis, reader), clientOptions(kluis));
    assert.equal((await readOnly.getSecret("big")).value?.length, 25_600);
    const denied = await failure(() => readOnly.setSecret("big", "overwrite"));
    assert.equal(denied.status, 403);
    assert.match(
      denied.message,
      new RegExp(`appid=${reader.appId};.*does not have secrets set permission on key vault 'secvault;`),
    );
    for (const call of [() => readOnly.backupSecret("big"), () => readOnly.purgeDeletedSecret("big")]) {
      assert.equal((await failure(call)).status, 403);
    }
    assert.equal((await client.getSecret("big")).value?.length, 25_600, "nothing changed");
  });

  it("answers bad names, malformed JSON, missing values and unknown versions with Key Vault's errors, changing nothing", async () => {
    const token = await accessToken(kluis, sp);
    const send = (method: string, path: string, body?: string) =>
      rawRequest(kluis, "secvault.localhost", method, `${path}?${API}`, { token, body });
    const before = await send("GET", "/secrets/js-secret");

    const badName = await send("PUT", "/secrets/bad_name", JSON.stringify({ value: "v" }));
    assert.equal(badName.status, 400);
    assert.equal(badName.body.error.code, "BadParameter");
    const dotted = await send("PUT", "/secrets/bad.name", JSON.stringify({ value: "v" }));
    assert.equal(dotted.status, 400);
    const malformed = await send("PUT", "/secrets/js-secret", "{value: oops");
    assert.equal(malformed.status, 400);
    assert.equal(malformed.body.error.code, "BadParameter");
    const noValue = await send("PUT", "/secrets/js-secret", JSON.stringify({ contentType: "x" }));
    assert.equal(noValue.status, 400);
    const badAttributes = await send(
      "PUT",
      "/secrets/js-secret",
      JSON.stringify({ value: "v", attributes: { enabled: "yes" } }),
    );
    assert.equal(badAttributes.status, 400);
    const badPatch = await send("PATCH", "/secrets/js-secret", JSON.stringify({ tags: { n: 1 } }));
    assert.equal(badPatch.status, 400);
    const unknownVersion = await send("GET", "/secrets/js-secret/0123456789abcdef0123456789abcdef");
    assert.equal(unknownVersion.status, 404);
    assert.equal(unknownVersion.body.error.code, "SecretNotFound");
    const patchUnknown = await send(
      "PATCH",
      "/secrets/js-secret/0123456789abcdef0123456789abcdef",
      JSON.stringify({ contentType: "x" }),
    );
    assert.equal(patchUnknown.status, 404);
    const restoreGarbage = await send("POST", "/secrets/restore", JSON.stringify({ value: "bm90IGEgYmFja3Vw" }));
    assert.equal(restoreGarbage.status, 400);

    assert.deepEqual((await send("GET", "/secrets/js-secret")).body, before.body);
    assert.equal((await collect(client.listPropertiesOfSecretVersions("js-secret"))).length, 2);
    assert.equal((await send("GET", "/secrets/bad_name")).status, 400);
  });

  it("serves a certificate's secret (PFX, kid, managed) and refuses to change it through the secrets API", async () => {
    const certificates = new CertificateClient(vaultUrl("secvault"), credentialFor(kluis, sp), clientOptions(kluis));
    const cert = await (
      await certificates.beginCreateCertificate("web-cert", DefaultCertificatePolicy, { intervalInMs: 100 })
    ).pollUntilDone();
    const secret = await client.getSecret("web-cert");
    assert.equal(secret.properties.contentType, "application/x-pkcs12");
    assert.equal(secret.properties.managed, true);
    assert.equal(secret.properties.certificateKeyId, cert.keyId);
    assert.equal(secret.properties.id, cert.secretId);
    assert.ok(Buffer.from(secret.value!, "base64").length > 1000, "the PFX, base64");
    assert.ok((await collect(client.listPropertiesOfSecrets())).some((p) => p.name === "web-cert" && p.managed));

    for (const call of [
      () => client.setSecret("web-cert", "overwrite"),
      () => client.updateSecretProperties("web-cert", secret.properties.version!, { enabled: false }),
      () => client.beginDeleteSecret("web-cert"),
    ]) {
      const refused = await failure(call);
      assert.equal(refused.status, 403);
      assert.equal(refused.inner, "SecretManagedByKeyVault");
    }
    assert.equal((await client.getSecret("web-cert")).value, secret.value, "nothing changed");
  });

  it("converts a certificate's PFX secret to PEM on outContentType (7.6) and refuses every other conversion", async () => {
    const certificates = new CertificateClient(vaultUrl("secvault"), credentialFor(kluis, sp), clientOptions(kluis));
    const create = async (name: string, policy: CertificatePolicy) =>
      (await certificates.beginCreateCertificate(name, policy, { intervalInMs: 100 })).pollUntilDone();
    const PEM = "application/x-pem-file";
    const PFX = "application/x-pkcs12";
    const labels = (pem: string) => [...pem.matchAll(/-----BEGIN ([A-Z ]+)-----/g)].map((m) => m[1]);
    const refusal = /only PFX to PEM conversion of a certificate's secret is supported/;

    for (const [name, policy] of [
      ["pem-out-rsa", DefaultCertificatePolicy],
      ["pem-out-ec", { ...DefaultCertificatePolicy, keyType: "EC", keyCurveName: "P-256" }],
    ] as const) {
      const cert = await create(name, policy);
      const converted = await client.getSecret(name, { outContentType: PEM });
      assert.equal(converted.properties.contentType, PEM);
      assert.equal(converted.properties.id, cert.secretId);
      assert.equal(converted.properties.certificateKeyId, cert.keyId);
      assert.deepEqual(labels(converted.value!), ["PRIVATE KEY", "CERTIFICATE"], "key (PKCS#8) first, then the chain");
      const key = createPrivateKey(converted.value!);
      const leaf = new X509Certificate(converted.value!);
      assert.ok(leaf.checkPrivateKey(key), "the key belongs to the certificate");
      assert.ok(leaf.raw.equals(Buffer.from(cert.cer!)), "the leaf is the certificate's cer");
      const byVersion = await client.getSecret(name, { version: converted.properties.version!, outContentType: PEM });
      assert.equal(byVersion.value, converted.value);

      const original = await client.getSecret(name);
      assert.equal(original.properties.contentType, PFX);
      assert.ok(!original.value!.includes("-----BEGIN"), "without outContentType the PFX, base64");
      const asPfx = await client.getSecret(name, { outContentType: PFX });
      assert.deepEqual([asPfx.properties.contentType, asPfx.value], [PFX, original.value], "PFX on a PFX: unchanged");
    }

    const certificatesOnly = await client.getSecret(
      (await create("pem-out-noexport", { ...DefaultCertificatePolicy, exportable: false })).name,
      { outContentType: PEM },
    );
    assert.deepEqual(labels(certificatesOnly.value!), ["CERTIFICATE"], "a non-exportable key stays out");

    await create("pem-cert", { ...DefaultCertificatePolicy, contentType: PEM });
    const pemSecret = await client.getSecret("pem-cert");
    assert.equal(
      (await client.getSecret("pem-cert", { outContentType: PEM })).value,
      pemSecret.value,
      "PEM on a PEM: unchanged",
    );
    const pemToPfx = await failure(() => client.getSecret("pem-cert", { outContentType: PFX }));
    assert.deepEqual([pemToPfx.status, pemToPfx.code], [400, "BadParameter"]);
    assert.match(pemToPfx.message, refusal);

    await client.setSecret("plain-pem", "-----BEGIN CERTIFICATE-----", { contentType: PEM });
    assert.equal(
      (await client.getSecret("plain-pem", { outContentType: PEM })).value,
      "-----BEGIN CERTIFICATE-----",
      "a plain secret already in the format: unchanged",
    );
    await client.setSecret("plain-pfx", "bm90IGEgcGZ4", { contentType: PFX });
    await client.setSecret("plain-text", "text", { contentType: "text/plain" });
    await client.setSecret("plain-untyped", "untyped");
    for (const name of ["plain-pfx", "plain-text", "plain-untyped"]) {
      const refused = await failure(() => client.getSecret(name, { outContentType: PEM }));
      assert.deepEqual([refused.status, refused.code], [400, "BadParameter"], name);
      assert.match(refused.message, refusal);
    }

    const token = await accessToken(kluis, sp);
    const unknown = await rawRequest(
      kluis,
      "secvault.localhost",
      "GET",
      `/secrets/pem-out-rsa?api-version=7.6&outContentType=application%2Fjson`,
      { token },
    );
    assert.equal(unknown.status, 400);
    assert.equal(unknown.body.error.code, "BadParameter");
    assert.match(unknown.body.error.message, /outContentType/);
  });

  it("sends a bundle's fields in Key Vault's order, as JSON.stringify writes them (the precompiled serializer); answers no HEAD but the health probes'", async () => {
    const token = await accessToken(kluis, sp);
    const send = (method: string, path: string, body?: string) =>
      rawRequest(kluis, "secvault.localhost", method, path, { token, body });
    const tags = { 'q"uote': "back\\slash", ünï: "☃ \u2028", empty: "" };
    const body = { value: 'v "1"\n☃', contentType: "text/x-ø", tags, attributes: { nbf: 1000000000, exp: 4000000000 } };
    for (const res of [
      await send("PUT", `/secrets/ordered?${API}`, JSON.stringify(body)),
      await send("GET", `/secrets/ordered?${API}`),
    ]) {
      assert.equal(res.status, 200);
      assert.deepEqual(Object.keys(res.body), ["value", "id", "attributes", "tags", "contentType"]);
      assert.deepEqual(Object.keys(res.body.attributes), [
        "enabled",
        "nbf",
        "exp",
        "created",
        "updated",
        "recoveryLevel",
        "recoverableDays",
      ]);
      assert.equal(res.body.value, body.value);
      assert.deepEqual(res.body.tags, tags);
      assert.equal(res.body.contentType, body.contentType);
      // Byte for byte what JSON.stringify makes of the parsed answer: no field dropped, nothing escaped differently.
      assert.equal(Number(res.headers["content-length"]), Buffer.byteLength(JSON.stringify(res.body)));
    }
    const head = await send("HEAD", `/secrets/ordered?${API}`);
    assert.equal(head.status, 404);
    const probe = await rawRequest(kluis, "localhost", "HEAD", "/healthz");
    assert.equal(probe.status, 200);
  });

  it("keeps values encrypted at rest", async () => {
    const marker = "plain-marker-7f3a9c";
    await client.setSecret("at-rest", marker);
    for (const file of readdirSync(kluis.dataDir).filter((f) => f.startsWith("kluis.db"))) {
      assert.ok(!readFileSync(join(kluis.dataDir, file)).includes(marker), `${file} holds the value in the clear`);
    }
  });

  for (const sdk of PYTHON_SDKS)
    it(`runs every operation through Python's azure-keyvault-secrets (${sdk.label})`, async () => {
      const [vault, restoreVault] = [`pyvault-${sdk.id}`, `pyvault2-${sdk.id}`];
      const pySp = await kluis.createServicePrincipal(`py-secrets-${sdk.id}`);
      for (const v of [vault, restoreVault]) {
        await kluis.createVault(v);
        await kluis.setPolicy(v, pySp.appId, { secrets: ALL });
      }
      const res = await runPython(sdk, ["test/programs/vault_secrets.py"], {
        env: { ...kluis.sdkEnv(pySp), KEY_VAULT_NAME: vault, RESTORE_VAULT_NAME: restoreVault },
      });
      assert.equal(res.code, 0, res.stderr);
      const out = JSON.parse(res.stdout);

      assert.equal(out.set.value, "wachtwoord ☃ 🔑 ü");
      assert.equal(out.set.content_type, "text/plain");
      assert.deepEqual(out.set.tags, { env: "test" });
      assert.equal(out.latest, "second");
      assert.equal(out.by_version, "wachtwoord ☃ 🔑 ü");
      assert.deepEqual(out.updated, {
        ...out.updated,
        enabled: false,
        content_type: "application/json",
        tags: { k: "v" },
      });
      assert.deepEqual(out.disabled, {
        status: 403,
        code: "Forbidden",
        message: out.disabled.message,
        inner: "SecretDisabled",
      });
      assert.match(out.disabled.message, /Operation get is not allowed on a disabled secret\./);
      assert.equal(out.reenabled, "second");
      assert.deepEqual(out.versions, out.version_ids);
      assert.deepEqual(out.expired, { value: "x" }, "returned as Key Vault returns it (issue 11)");
      assert.deepEqual(out.not_yet_valid, { value: "x" });
      assert.equal(out.big_roundtrip, true);
      assert.equal(out.too_big.status, 400);
      assert.equal(out.too_big.code, "BadParameter");
      assert.equal(out.too_big_absent.status, 404);
      assert.deepEqual(out.pages, [25, 5]);
      assert.equal(out.listed.length, 30);
      assert.equal(out.deleted.recovery_id, `https://${vault}.vault.azure.net/deletedsecrets/py-secret`);
      assert.equal(out.get_deleted, "py-secret");
      assert.deepEqual(out.listed_deleted, ["py-secret"]);
      assert.equal(out.reuse_deleted.status, 409);
      assert.equal(out.recovered, "second");
      assert.equal(out.restored.value, "second");
      assert.match(
        out.restored.id,
        new RegExp(`^https://${restoreVault}\\.vault\\.azure\\.net/secrets/py-secret/[0-9a-f]{32}$`),
      );
      assert.deepEqual(out.restored.versions, out.version_ids);
      assert.equal(out.restore_existing.status, 409);
      assert.equal(out.restore_tampered.status, 400);
      assert.equal(out.purged.status, 404);
      assert.equal(out.reused_after_purge, "fresh");
      assert.deepEqual(kluis.apiVersionsSent(vault), [sdk.apiVersions.secrets]);
    });
});

describe("secrets under --strict-secret-validity", () => {
  let kluis: Kluis;
  before(async () => {
    kluis = await Kluis.start({ args: ["--strict-secret-validity"] });
  });
  after(() => kluis.dispose());

  it("refuses the value outside nbf/exp with the documented 403, still returns a valid one (JavaScript and Python)", async () => {
    const sp = await kluis.vaultWithPrincipal("strictvault", { secrets: ALL });
    const client = new SecretClient(vaultUrl("strictvault"), credentialFor(kluis, sp), clientOptions(kluis));
    await client.setSecret("expired", "v", { expiresOn: new Date(Date.now() - 3600_000) });
    const expired = await failure(() => client.getSecret("expired"));
    assert.deepEqual(expired, {
      status: 403,
      code: "Forbidden",
      message: "Operation get is not allowed on a expired secret.",
      inner: "SecretExpired",
    });
    await client.setSecret("early", "v", { notBefore: new Date(Date.now() + 3600_000) });
    const early = await failure(() => client.getSecret("early"));
    assert.deepEqual([early.status, early.inner], [403, "SecretNotYetValid"]);
    await client.setSecret("valid", "v", {
      notBefore: new Date(Date.now() - 3600_000),
      expiresOn: new Date(Date.now() + 3600_000),
    });
    assert.equal((await client.getSecret("valid")).value, "v");

    // The same refusal as Python's SDK reports it.
    const program =
      "from azure.identity import DefaultAzureCredential\nfrom azure.keyvault.secrets import SecretClient\nfrom azure.core.exceptions import HttpResponseError\nimport sys\ntry:\n    SecretClient('https://strictvault.vault.azure.net', DefaultAzureCredential()).get_secret(sys.argv[1])\nexcept HttpResponseError as e:\n    print(e.status_code, e.model.error.inner_error.code)\n";
    for (const sdk of PYTHON_SDKS) {
      const res = await runPython(sdk, ["-c", program, "expired"], { env: kluis.sdkEnv(sp) });
      assert.equal(res.code, 0, res.stderr);
      assert.equal(res.stdout.trim(), "403 SecretExpired", sdk.label);
    }
  });
});

// Issue 3: the certificates API through @azure/keyvault-certificates, with X.509 contents checked by node:crypto
// and certificates made by openssl.
import assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { CertificateClient, type CertificatePolicy } from "@azure/keyvault-certificates";
import { accessToken, rawRequest } from "./helpers/http.js";
import { Kluis, PYTHON_SDKS, runPython, type ServicePrincipal } from "./helpers/kluis.js";
import { OpenSsl } from "./helpers/openssl.js";
import { clientOptions, credentialFor, vaultUrl } from "./helpers/sdk.js";

const ALL = [
  "get",
  "list",
  "create",
  "update",
  "import",
  "delete",
  "recover",
  "backup",
  "restore",
  "purge",
  "managecontacts",
  "manageissuers",
  "getissuers",
  "listissuers",
  "setissuers",
  "deleteissuers",
];
const API = "api-version=7.5";
const x509Of = (cer?: Uint8Array) => new X509Certificate(Buffer.from(cer!));

describe("certificates API", () => {
  let kluis: Kluis;
  let sp: ServicePrincipal;
  let client: CertificateClient;
  const openssl = new OpenSsl();

  before(async () => {
    kluis = await Kluis.start();
    sp = await kluis.vaultWithPrincipal("certvault", { certificates: ALL });
    client = new CertificateClient(vaultUrl("certvault"), credentialFor(kluis, sp), clientOptions(kluis));
    openssl.makeCa();
  });
  after(async () => {
    openssl.dispose();
    await kluis.dispose();
  });

  const create = async (name: string, policy: CertificatePolicy, options = {}) =>
    (await client.beginCreateCertificate(name, policy, options)).pollUntilDone();

  it("creates an RSA-3072 certificate with SANs, key usage, EKUs, validity, PEM content and tags", async () => {
    const policy: CertificatePolicy = {
      issuerName: "Self",
      subject: "CN=web.example.com, O=Kluis Tests",
      subjectAlternativeNames: {
        dnsNames: ["web.example.com", "www.example.com"],
        emails: ["ops@example.com"],
        userPrincipalNames: ["svc@example.com"],
      },
      keyType: "RSA",
      keySize: 3072,
      exportable: true,
      keyUsage: ["digitalSignature", "keyEncipherment", "dataEncipherment"],
      enhancedKeyUsage: ["1.3.6.1.5.5.7.3.1"],
      validityInMonths: 6,
      contentType: "application/x-pem-file",
      lifetimeActions: [{ daysBeforeExpiry: 30, action: "EmailContacts" }],
    };
    const cert = await create("web", policy, { tags: { env: "test" } });
    const x = x509Of(cert.cer);
    assert.equal(x.subject, "CN=web.example.com\nO=Kluis Tests");
    assert.match(x.subjectAltName!, /DNS:web\.example\.com/);
    assert.match(x.subjectAltName!, /DNS:www\.example\.com/);
    assert.match(x.subjectAltName!, /email:ops@example\.com/);
    assert.equal(x.publicKey.asymmetricKeyDetails?.modulusLength, 3072);
    assert.deepEqual(x.keyUsage, ["1.3.6.1.5.5.7.3.1"]);
    const months = (Date.parse(x.validTo) - Date.parse(x.validFrom)) / (30.44 * 86400_000);
    assert.ok(months > 5.5 && months < 6.5);
    assert.deepEqual(cert.properties.tags, { env: "test" });
    assert.equal(cert.properties.expiresOn?.getTime(), Date.parse(x.validTo));

    const back = await client.getCertificatePolicy("web");
    assert.equal(back.keySize, 3072);
    assert.equal(back.contentType, "application/x-pem-file");
    assert.deepEqual(back.subjectAlternativeNames?.dnsNames, ["web.example.com", "www.example.com"]);
    assert.deepEqual(back.subjectAlternativeNames?.userPrincipalNames, ["svc@example.com"]);
    assert.deepEqual(back.keyUsage, ["digitalSignature", "keyEncipherment", "dataEncipherment"]);
    assert.deepEqual(back.lifetimeActions, [
      { daysBeforeExpiry: 30, action: "EmailContacts", lifetimePercentage: undefined },
    ]);
    assert.equal(back.validityInMonths, 6);
  });

  for (const curve of ["P-256", "P-256K", "P-384", "P-521"] as const) {
    it(`creates an EC ${curve} certificate`, async () => {
      // The -HSM key types are accepted as in Azure's premium tier (Kluis keeps them in software).
      const keyType = curve === "P-256K" ? "EC-HSM" : "EC";
      const cert = await create(`ec-${curve.replace("-", "")}`, {
        issuerName: "Self",
        subject: "CN=ec",
        keyType,
        keyCurveName: curve,
      });
      const x = x509Of(cert.cer);
      const openSslName = { "P-256": "prime256v1", "P-256K": "secp256k1", "P-384": "secp384r1", "P-521": "secp521r1" }[
        curve
      ];
      assert.equal(x.publicKey.asymmetricKeyDetails?.namedCurve, openSslName);
      assert.ok(x.verify(x.publicKey));
      assert.equal((await client.getCertificatePolicy(cert.name)).keyCurveName, curve);
    });
  }

  it("keeps the key pair across versions with reuseKey, and makes a new one without it", async () => {
    const publicKeyOf = (cer?: Uint8Array) => x509Of(cer).publicKey.export({ type: "spki", format: "der" });
    const policy: CertificatePolicy = { issuerName: "Self", subject: "CN=reuse", reuseKey: true };
    const first = await create("reused", policy);
    const second = await create("reused", policy);
    assert.notEqual(second.properties.version, first.properties.version);
    assert.notEqual(x509Of(second.cer).serialNumber, x509Of(first.cer).serialNumber);
    assert.deepEqual(publicKeyOf(second.cer), publicKeyOf(first.cer), "same key pair");

    const older = await create("fresh", { ...policy, reuseKey: false });
    const fresh = await create("fresh", { ...policy, reuseKey: false });
    assert.notDeepEqual(publicKeyOf(fresh.cer), publicKeyOf(older.cer), "a new key pair");
  });

  it("keeps an Unknown-issuer request pending with a CSR, and merges the chain an openssl CA signed", async () => {
    await client.beginCreateCertificate("merged", { issuerName: "Unknown", subject: "CN=merged.example.com" });
    const op = (await client.getCertificateOperation("merged")).getOperationState().certificateOperation!;
    assert.equal(op.status, "inProgress");
    const csrPem = `-----BEGIN CERTIFICATE REQUEST-----\n${Buffer.from(op.csr!).toString("base64")}\n-----END CERTIFICATE REQUEST-----\n`;
    openssl.write("merged.csr", csrPem);
    openssl.run("req", "-in", "merged.csr", "-noout", "-verify");
    openssl.signCsr("merged.csr", "merged.pem");
    const signed = new X509Certificate(openssl.read("merged.pem"));
    const ca = new X509Certificate(openssl.read("ca.pem"));

    // A chain whose leaf is some other key is refused and leaves the request pending.
    openssl.makeLeaf("stranger");
    const stranger = new X509Certificate(openssl.read("stranger.pem"));
    await assert.rejects(client.mergeCertificate("merged", [stranger.raw]), (e: any) => e.statusCode === 400);
    assert.equal(
      (await (await client.getCertificateOperation("merged")).getOperationState().certificateOperation)?.status,
      "inProgress",
    );

    const merged = await client.mergeCertificate("merged", [signed.raw, ca.raw]);
    assert.ok(x509Of(merged.cer).checkIssued(ca));
    const final = await client.getCertificateOperation("merged");
    assert.equal(final.getOperationState().certificateOperation?.status, "completed");
  });

  it("merges x5c entries given as the certificate's base64 text or PEM text, as JavaScript's documented sample does (issue 11)", async () => {
    const ca = new X509Certificate(openssl.read("ca.pem"));
    const signFor = async (name: string) => {
      await client.beginCreateCertificate(name, { issuerName: "Unknown", subject: `CN=${name}` });
      const csr = (await client.getCertificateOperation(name)).getOperationState().certificateOperation!.csr!;
      openssl.write(
        `${name}.csr`,
        `-----BEGIN CERTIFICATE REQUEST-----\n${Buffer.from(csr).toString("base64")}\n-----END CERTIFICATE REQUEST-----\n`,
      );
      openssl.signCsr(`${name}.csr`, `${name}.pem`);
      return openssl.read(`${name}.pem`).toString();
    };
    // The SDK's sample: readFileSync("test.crt").toString().split("\n").slice(1, -1).join("") keeps the END line.
    const sample = await signFor("merge-sample");
    const base64Text = sample.split("\n").slice(1, -1).join("");
    const fromSample = await client.mergeCertificate("merge-sample", [Buffer.from(base64Text)]);
    assert.deepEqual(Buffer.from(fromSample.cer!), new X509Certificate(sample).raw);

    const bare = await signFor("merge-base64");
    const merged = await client.mergeCertificate("merge-base64", [
      Buffer.from(new X509Certificate(bare).raw.toString("base64")),
      Buffer.from(openssl.read("ca.pem")),
    ]);
    assert.deepEqual(Buffer.from(merged.cer!), new X509Certificate(bare).raw);
    assert.ok(x509Of(merged.cer).checkIssued(ca));

    const pem = await signFor("merge-pem");
    await assert.rejects(
      client.mergeCertificate("merge-pem", [Buffer.from("not a certificate")]),
      (e: any) => e.statusCode === 400 && /x5c entry is not a certificate/.test(e.message),
    );
    const fromPem = await client.mergeCertificate("merge-pem", [Buffer.from(pem)]);
    assert.deepEqual(Buffer.from(fromPem.cer!), new X509Certificate(pem).raw);
    assert.equal(
      (await client.getCertificateOperation("merge-pem")).getOperationState().certificateOperation?.status,
      "completed",
    );
  });

  it("imports a password-protected PFX and a PEM made by openssl, in either order; refuses a wrong password and a mismatched key", async () => {
    openssl.makeLeaf("imported");
    openssl.run(
      "pkcs12",
      "-export",
      "-inkey",
      "imported.key",
      "-in",
      "imported.pem",
      "-certfile",
      "ca.pem",
      "-out",
      "imported.pfx",
      "-passout",
      "pass:s3cret",
    );
    const pfx = openssl.read("imported.pfx");
    await assert.rejects(
      client.importCertificate("bad-pwd", pfx, { password: "wrong" }),
      (e: any) => e.statusCode === 400 && e.code === "BadParameter",
    );
    const fromPfx = await client.importCertificate("from-pfx", pfx, { password: "s3cret" });
    assert.equal(x509Of(fromPfx.cer).subject, "CN=imported.example.com");
    assert.equal(fromPfx.policy?.issuerName, "Unknown");
    assert.equal(fromPfx.policy?.contentType, "application/x-pkcs12");

    const key = openssl.read("imported.key").toString();
    const cert = openssl.read("imported.pem").toString();
    for (const [name, pem] of [
      ["pem-key-first", key + cert],
      ["pem-cert-first", cert + key],
    ] as const) {
      const imported = await client.importCertificate(name, Buffer.from(pem), {
        policy: { contentType: "application/x-pem-file" },
      });
      assert.deepEqual(Buffer.from(imported.cer!), Buffer.from(fromPfx.cer!));
    }
    openssl.makeLeaf("other");
    await assert.rejects(
      client.importCertificate("mismatch", Buffer.from(cert + openssl.read("other.key").toString()), {
        policy: { contentType: "application/x-pem-file" },
      }),
      (e: any) => e.statusCode === 400,
    );
    await assert.rejects(client.getCertificate("mismatch"), (e: any) => e.statusCode === 404);
    await assert.rejects(client.getCertificate("bad-pwd"), (e: any) => e.statusCode === 404);

    // PEM bytes without a PEM content type are sent base64-encoded, as Python's SDK always sends them (issue 11).
    const fromBase64Pem = await client.importCertificate("pem-as-base64", Buffer.from(key + cert));
    assert.deepEqual(Buffer.from(fromBase64Pem.cer!), Buffer.from(fromPfx.cer!));
    assert.equal(fromBase64Pem.policy?.contentType, "application/x-pem-file");
  });

  it("lists more than 25 certificates over nextLink pages, and versions", async () => {
    for (let i = 0; i < 24; i++)
      await create(`many-${String(i).padStart(2, "0")}`, { issuerName: "Self", subject: "CN=many", keyType: "EC" });
    const names: string[] = [];
    let pages = 0;
    for await (const page of client.listPropertiesOfCertificates().byPage()) {
      assert.ok(page.length <= 25);
      names.push(...page.map((c) => c.name!));
      pages++;
    }
    assert.ok(pages >= 2, "the SDK followed a nextLink");
    assert.ok(names.length > 25, `got ${names.length}`);
    assert.equal(new Set(names).size, names.length);
    assert.ok(names.includes("many-23") && names.includes("web"));

    await create("many-00", { issuerName: "Self", subject: "CN=many", keyType: "EC" });
    const versions = [];
    for await (const v of client.listPropertiesOfCertificateVersions("many-00")) versions.push(v.version);
    assert.equal(versions.length, 2);
    const byVersion = await client.getCertificateVersion("many-00", versions[0]!);
    assert.equal(byVersion.properties.version, versions[0]);
  });

  it("updates properties and the policy", async () => {
    const updated = await client.updateCertificateProperties("web", "", { enabled: false, tags: { env: "prod" } });
    assert.equal(updated.properties.enabled, false);
    assert.deepEqual(updated.properties.tags, { env: "prod" });
    // The JS SDK's updateCertificatePolicy returns an empty object (it never reads the response), so read it back.
    await client.updateCertificatePolicy("web", {
      subject: "CN=web2.example.com",
      validityInMonths: 3,
    } as CertificatePolicy);
    const policy = await client.getCertificatePolicy("web");
    assert.equal(policy.subject, "CN=web2.example.com");
    assert.equal(policy.validityInMonths, 3);
    assert.equal(policy.keySize, 3072, "fields not given keep their values");
  });

  it("deletes, lists deleted, recovers (with key and secret) and purges", async () => {
    const token = await accessToken(kluis, sp);
    await (await client.beginDeleteCertificate("ec-P256")).pollUntilDone();
    const deleted = [];
    for await (const d of client.listDeletedCertificates()) deleted.push(d.name);
    assert.ok(deleted.includes("ec-P256"));
    const recovered = await (await client.beginRecoverDeletedCertificate("ec-P256")).pollUntilDone();
    assert.equal(recovered.name, "ec-P256");
    assert.equal(
      (await rawRequest(kluis, "certvault.localhost", "GET", `/deletedcertificates/ec-P256?${API}`, { token })).status,
      404,
    );

    await (await client.beginDeleteCertificate("ec-P384")).pollUntilDone();
    await client.purgeDeletedCertificate("ec-P384");
    await assert.rejects(client.getDeletedCertificate("ec-P384"), (e: any) => e.statusCode === 404);
    const again = await create("ec-P384", { issuerName: "Self", subject: "CN=again", keyType: "EC" });
    assert.equal(x509Of(again.cer).subject, "CN=again");
  });

  it("answers the first poll after a create with the completed operation, while the create itself says inProgress (issue 13)", async () => {
    // The SDKs poll right after the create and then sleep (Python 5 s): GET pending waits (boundedly) for a
    // self-signed issue under way and answers as soon as it ends, so that first poll already finds it complete.
    const token = await accessToken(kluis, sp);
    const send = (method: string, path: string, body?: unknown) =>
      rawRequest(kluis, "certvault.localhost", method, `${path}?${API}`, {
        token,
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    for (const [name, key_props] of [
      ["first-poll-rsa", { kty: "RSA", key_size: 2048 }],
      ["first-poll-rsa4096", { kty: "RSA", key_size: 4096 }],
      ["first-poll-ec", { kty: "EC", crv: "P-256" }],
    ] as const) {
      const created = await send("POST", `/certificates/${name}/create`, {
        policy: { key_props, x509_props: { subject: `CN=${name}` }, issuer: { name: "Self" } },
      });
      assert.equal(created.status, 202);
      assert.equal(
        created.body.status,
        "inProgress",
        "the create answers inProgress, or the Python poller returns nothing",
      );
      const first = await send("GET", `/certificates/${name}/pending`);
      assert.equal(first.status, 200);
      assert.equal(first.body.status, "completed", name);
      assert.match(first.body.target, new RegExp(`/certificates/${name}$`));
      const cert = await send("GET", `/certificates/${name}`);
      assert.equal(
        x509Of(Buffer.from(cert.body.cer, "base64")).subject,
        `CN=${name}`,
        "what the poll said is what the store holds",
      );
    }

    // Issuance that takes longer than the wait still answers its true state: a partner issuer's request (answered
    // 3 s after the create) and an Unknown-issuer request (waiting for a merge) say inProgress on the first poll.
    assert.equal((await send("PUT", "/certificates/issuers/slow", { provider: "DigiCert" })).status, 200);
    for (const [name, issuer] of [
      ["first-poll-partner", "slow"],
      ["first-poll-unknown", "Unknown"],
    ]) {
      const created = await send("POST", `/certificates/${name}/create`, {
        policy: { x509_props: { subject: `CN=${name}` }, issuer: { name: issuer } },
      });
      assert.equal(created.status, 202);
      const first = await send("GET", `/certificates/${name}/pending`);
      assert.equal(first.status, 200);
      assert.equal(first.body.status, "inProgress", name);
      assert.equal(first.body.target, undefined);
    }
    assert.equal((await send("DELETE", "/certificates/issuers/slow")).status, 200);
  });

  it("cancels and deletes a pending operation", async () => {
    const poller = await client.beginCreateCertificate("to-cancel", { issuerName: "Unknown", subject: "CN=cancel" });
    await poller.cancelOperation();
    const removed = await client.deleteCertificateOperation("to-cancel");
    assert.equal(removed.status, "cancelled");
    assert.equal(removed.cancellationRequested, true);
    await assert.rejects(client.getCertificate("to-cancel"), (e: any) => e.statusCode === 404);
  });

  it("sets, gets and deletes contacts and issuers", async () => {
    const contacts = await client.setContacts([
      { email: "a@example.com", name: "A", phone: "123" },
      { email: "b@example.com" },
    ]);
    assert.equal(contacts?.length, 2);
    assert.deepEqual(
      (await client.getContacts())?.map((c) => c!.email),
      ["a@example.com", "b@example.com"],
    );
    await client.deleteContacts();
    await assert.rejects(client.getContacts(), (e: any) => e.statusCode === 404);

    const issuer = await client.createIssuer("digi", "DigiCert", {
      accountId: "acct",
      password: "pw",
      administratorContacts: [{ email: "x@example.com", firstName: "X" }],
    });
    assert.equal(issuer.provider, "DigiCert");
    assert.equal(issuer.accountId, "acct");
    assert.equal((issuer as { password?: string }).password, undefined, "the password is never returned");
    // The JS SDK drops `enabled: false` from updateIssuer, so disable through the REST API.
    const token = await accessToken(kluis, sp);
    const patched = await rawRequest(kluis, "certvault.localhost", "PATCH", `/certificates/issuers/digi?${API}`, {
      token,
      body: JSON.stringify({ attributes: { enabled: false } }),
    });
    assert.equal(patched.status, 200);
    // Organization details are an object; anything else is refused, not stored and echoed back.
    const junk = await rawRequest(kluis, "certvault.localhost", "PATCH", `/certificates/issuers/digi?${API}`, {
      token,
      body: JSON.stringify({ org_details: "x" }),
    });
    assert.equal(junk.status, 400);
    assert.match(JSON.stringify(junk.body), /org_details must be an object/);
    const updated = await client.getIssuer("digi");
    assert.equal(updated.enabled, false);
    assert.equal(updated.accountId, "acct");
    const listed = [];
    // The JS SDK hands back the raw items (id and provider), without a parsed name.
    for await (const i of client.listPropertiesOfIssuers()) listed.push(i.id!.split("/").pop());
    assert.deepEqual(listed, ["digi"]);
    // A partner issuer cannot be reached from here: as in Key Vault, the request answers inProgress (so the poller
    // starts), and the pending operation then fails, visibly (issue 11).
    const poller = await client.beginCreateCertificate(
      "via-digi",
      { issuerName: "digi", subject: "CN=x" },
      { intervalInMs: 500 },
    );
    assert.equal(poller.isDone(), false, "the create and the first poll answered inProgress");
    await assert.rejects(poller.pollUntilDone(), /cannot reach the provider of issuer 'digi'/);
    const failed = (
      await rawRequest(kluis, "certvault.localhost", "GET", `/certificates/via-digi/pending?${API}`, { token })
    ).body;
    assert.equal(failed.status, "failed");
    assert.equal(failed.error.code, "IssuerProviderUnreachable");
    assert.match(failed.error.message, /cannot reach the provider of issuer 'digi'/);
    const created = await rawRequest(kluis, "certvault.localhost", "POST", `/certificates/via-digi-raw/create?${API}`, {
      token,
      body: JSON.stringify({ policy: { issuer: { name: "digi" }, x509_props: { subject: "CN=raw" } } }),
    });
    assert.equal(created.status, 202);
    assert.equal(created.body.status, "inProgress");
    assert.equal(created.body.error, undefined);
    await client.deleteIssuer("digi");
    await assert.rejects(client.getIssuer("digi"), (e: any) => e.statusCode === 404);
  });

  it("backs up a certificate with its key and secret, and restores it into a second vault", async () => {
    const other = await kluis.createServicePrincipal("certvault2-app");
    await kluis.createVault("certvault2");
    await kluis.setPolicy("certvault2", other.appId, { certificates: ALL, secrets: ["get"] });
    await kluis.setPolicy("certvault", other.appId, { certificates: ["backup"] });
    const source = new CertificateClient(vaultUrl("certvault"), credentialFor(kluis, other), clientOptions(kluis));
    const target = new CertificateClient(vaultUrl("certvault2"), credentialFor(kluis, other), clientOptions(kluis));
    const original = await client.getCertificate("from-pfx");
    const blob = await source.backupCertificate("from-pfx");
    assert.ok(blob && blob.length > 100);

    const restored = await target.restoreCertificateBackup(blob);
    assert.equal(restored.name, "from-pfx");
    assert.equal(restored.properties.version, original.properties.version);
    assert.deepEqual(Buffer.from(restored.cer!), Buffer.from(original.cer!));
    assert.match(restored.properties.id!, /^https:\/\/certvault2\.vault\.azure\.net\//);
    // The linked secret came along and still holds the private key.
    const token = await accessToken(kluis, other);
    const secret = await rawRequest(kluis, "certvault2.localhost", "GET", `/secrets/from-pfx?${API}`, { token });
    assert.equal(secret.status, 200);
    assert.equal(secret.body.contentType, "application/x-pkcs12");

    await assert.rejects(target.restoreCertificateBackup(blob), (e: any) => e.statusCode === 409);
    const tampered = Buffer.from(blob);
    tampered[Math.floor(tampered.length / 2)]! ^= 1;
    await assert.rejects(
      target.restoreCertificateBackup(tampered),
      (e: any) => e.statusCode === 400 && e.code === "BadParameter",
    );
  });

  it("refuses policies that cannot work with 400 naming the field, and stores nothing", async () => {
    const token = await accessToken(kluis, sp);
    const bad: [string, object, RegExp][] = [
      ["rsa1024", { key_props: { kty: "RSA", key_size: 1024 } }, /key_size/],
      ["badcurve", { key_props: { kty: "EC", crv: "P-999" } }, /crv/],
      ["badsubject", { x509_props: { subject: "not a dn" } }, /subject/],
      ["zeromonths", { x509_props: { subject: "CN=x", validity_months: 0 } }, /validity_months/],
      ["badkty", { key_props: { kty: "oct" } }, /kty/],
      ["nullaction", { lifetime_actions: [null] }, /lifetime_actions\[0\]/],
    ];
    for (const [name, policy, field] of bad) {
      const res = await rawRequest(kluis, "certvault.localhost", "POST", `/certificates/${name}/create?${API}`, {
        token,
        body: JSON.stringify({ policy: { issuer: { name: "Self" }, x509_props: { subject: "CN=x" }, ...policy } }),
      });
      assert.equal(res.status, 400, name);
      assert.equal(res.body.error.code, "BadParameter");
      assert.match(res.body.error.message, field);
      assert.equal(
        (await rawRequest(kluis, "certvault.localhost", "GET", `/certificates/${name}/pending?${API}`, { token }))
          .status,
        404,
      );
    }
    const badName = await rawRequest(
      kluis,
      "certvault.localhost",
      "POST",
      `/certificates/${"x".repeat(128)}/create?${API}`,
      { token, body: "{}" },
    );
    assert.equal(badName.status, 400);
  });
});

describe("certificates API from Python (azure-keyvault-certificates, Debian's and PyPI's)", () => {
  let kluis: Kluis;
  const openssl = new OpenSsl();
  before(async () => {
    kluis = await Kluis.start({ args: ["--log-level", "info"] }); // the log shows the api-versions sent
    openssl.makeCa();
    openssl.makeLeaf("pyleaf", ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"]);
    openssl.run(
      "pkcs12",
      "-export",
      "-inkey",
      "pyleaf.key",
      "-in",
      "pyleaf.pem",
      "-out",
      "pyleaf.pfx",
      "-passout",
      "pass:pw123",
    );
  });
  after(async () => {
    openssl.dispose();
    await kluis.dispose();
  });

  for (const sdk of PYTHON_SDKS)
    it(`runs every operation the Python client offers and gets Key Vault's answers (${sdk.label})`, async () => {
      const vault = `pycerts-${sdk.id}`;
      const sp = await kluis.vaultWithPrincipal(vault, { certificates: ALL });
      const res = await runPython(sdk, ["test/programs/certificates.py", vault, openssl.path("pyleaf.pfx"), "pw123"], {
        env: kluis.sdkEnv(sp),
      });
      assert.equal(res.code, 0, res.stderr);
      const out = JSON.parse(res.stdout);
      const created = new X509Certificate(Buffer.from(out.created.cer, "base64"));
      assert.equal(created.subject, "CN=py.example.com");
      assert.equal(created.publicKey.asymmetricKeyDetails?.namedCurve, "secp384r1");
      assert.match(created.subjectAltName!, /DNS:py\.example\.com/);
      assert.deepEqual(out.created.tags, { lang: "python" });
      assert.deepEqual(out.policy, {
        key_type: "EC",
        curve: "P-384",
        dns: ["py.example.com"],
        validity: 3,
        content_type: "application/x-pem-file",
      });
      assert.equal(out.versions, 2);
      assert.deepEqual(out.updated, { enabled: false, tags: { lang: "py" } });
      assert.deepEqual(out.policy_updated, { returned: ["CN=py2.example.com", 6], stored: ["CN=py2.example.com", 6] });
      assert.equal(out.wrong_password, 400);
      const imported = new X509Certificate(Buffer.from(out.imported.cer, "base64"));
      assert.ok(imported.raw.equals(new X509Certificate(openssl.read("pyleaf.pem")).raw));
      assert.equal(out.imported.issuer, "Unknown");
      // PEM, which the SDK sends base64-encoded (issue 11).
      assert.deepEqual(out.imported_pem, {
        name: "py-pem",
        cer: out.imported.cer,
        content_type: "application/x-pem-file",
      });
      assert.deepEqual(out.listed, ["py-ec", "py-imported", "py-pem"]);
      assert.deepEqual(out.contacts, ["py@example.com"]);
      assert.deepEqual(out.issuer, { name: "py-issuer", provider: "Test", account_id: "acct" });
      assert.deepEqual(out.issuers, ["py-issuer"]);
      // A partner issuer: the create and the first poll say inProgress, a later poll says failed (issue 11).
      assert.deepEqual(out.partner.seen, [
        ["inProgress", null],
        ["inProgress", null],
        ["failed", "IssuerProviderUnreachable"],
      ]);
      assert.equal(out.partner.result, sdk.id === "debian" ? "unreadable" : "failed");
      assert.equal(out.pending_status, "inProgress");
      assert.equal(out.cancel_requested, true);
      assert.match(out.deleted.recovery_id, /\/deletedcertificates\/py-imported$/);
      assert.deepEqual(out.deleted_listed, ["py-imported"]);
      assert.equal(out.recovered, "py-imported");
      assert.equal(out.purged, true);
      assert.deepEqual(out.merged, { name: "py-merge", same_cer: true, status: "completed" });
      assert.deepEqual(
        out.merged_pem,
        { name: "py-merge-pem", same_cer: true },
        "x5c as base64 of PEM text (issue 11)",
      );
      assert.deepEqual(out.restored, { name: "py-ec", same_cer: true, same_version: true });
      assert.deepEqual(kluis.apiVersionsSent(vault), [sdk.apiVersions.certificates]);
    });
});

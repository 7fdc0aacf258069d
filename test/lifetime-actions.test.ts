// Lifetime actions carried out: rotation policies rotate keys and AutoRenew renews self-signed certificates, once,
// when their triggers are reached. The sweeps run on the real store at a chosen `now`; results are read through the SDKs.
import assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { CertificateClient, type CertificatePolicy } from "@azure/keyvault-certificates";
import { KeyClient } from "@azure/keyvault-keys";
import { renewDueCertificates } from "../src/certificates/auto-renewal.js";
import { loadMasterKey, Sealer } from "../src/crypto/sealing.js";
import { rotateDueKeys } from "../src/keys/rotation-schedule.js";
import { openStore } from "../src/store/open.js";
import type { Store } from "../src/store/store.js";
import { Kluis, type ServicePrincipal } from "./helpers/kluis.js";
import { type Cluster, needsPostgres, startCluster } from "./helpers/cluster.js";
import { clientOptions, credentialFor, vaultUrl } from "./helpers/sdk.js";

const DAY = 24 * 60 * 60 * 1000;
const KEYS = ["get", "list", "create", "update", "delete", "rotate", "getrotationpolicy", "setrotationpolicy"];
const CERTIFICATES = ["get", "list", "create", "update"];
const x509Of = (cer?: Uint8Array) => new X509Certificate(Buffer.from(cer!));

async function versionsOf(list: AsyncIterable<unknown>): Promise<number> {
  let n = 0;
  for await (const _ of list) n++;
  return n;
}

describe("lifetime actions", () => {
  let kluis: Kluis;
  let sp: ServicePrincipal;
  // Clients are made anew after each restart: the server comes back on new ports.
  let keys: KeyClient;
  let certs: CertificateClient;
  const connect = () => {
    keys = new KeyClient(vaultUrl("lifevault"), credentialFor(kluis, sp), clientOptions(kluis));
    certs = new CertificateClient(vaultUrl("lifevault"), credentialFor(kluis, sp), clientOptions(kluis));
  };

  before(async () => {
    kluis = await Kluis.start();
    sp = await kluis.vaultWithPrincipal("lifevault", { keys: KEYS, certificates: CERTIFICATES });
    connect();
  });
  after(() => kluis.dispose());

  /** Runs `fn` on the server's own store while the server is stopped, as another process on its data would. */
  async function withStore<T>(fn: (store: Store) => Promise<T>): Promise<T> {
    await kluis.stop("SIGTERM");
    const store = await openStore({
      sqliteFile: join(kluis.dataDir, "kluis.db"),
      sealer: new Sealer(loadMasterKey(kluis.dataDir)),
    });
    try {
      return await fn(store);
    } finally {
      await store.close();
      await kluis.restart();
      connect();
    }
  }

  it("rotates a key once its policy's timeAfterCreate is reached, and only once", async () => {
    const first = await keys.createRsaKey("rotating");
    await keys.updateKeyRotationPolicy("rotating", {
      expiresIn: "P90D",
      lifetimeActions: [{ action: "Rotate", timeAfterCreate: "P30D" }],
    });
    // Never rotated: a Notify action whose trigger is reached, a disabled key and a deleted key with the same Rotate policy.
    await keys.createRsaKey("notified", { expiresOn: new Date(Date.now() + 40 * DAY) });
    await keys.updateKeyRotationPolicy("notified", {
      lifetimeActions: [{ action: "Notify", timeBeforeExpiry: "P30D" }],
    });
    for (const name of ["disabled", "deleted"]) {
      const key = await keys.createEcKey(name);
      await keys.updateKeyRotationPolicy(name, { lifetimeActions: [{ action: "Rotate", timeAfterCreate: "P30D" }] });
      if (name === "disabled") await keys.updateKeyProperties(name, key.properties.version!, { enabled: false });
    }
    const deleted = await (await keys.beginDeleteKey("deleted", { intervalInMs: 50 })).pollUntilDone();
    // Rotated five days after the 31st: the timeBeforeExpiry trigger, on the version's exp.
    await keys.createEcKey("expiring", { expiresOn: new Date(Date.now() + 45 * DAY) });
    await keys.updateKeyRotationPolicy("expiring", {
      lifetimeActions: [{ action: "Rotate", timeBeforeExpiry: "P10D" }],
    });

    const created = first.properties.createdOn!.getTime();
    await withStore(async (store) => {
      assert.equal(await rotateDueKeys(store, created + 29 * DAY), 0);
      assert.equal(await rotateDueKeys(store, created + 31 * DAY), 1);
      assert.equal(
        await rotateDueKeys(store, created + 31 * DAY),
        0,
        "the new version is the newest: its trigger is 30 days on",
      );
      assert.equal(await rotateDueKeys(store, created + 36 * DAY), 1, "expiring, 10 days before its exp");
    });

    assert.equal(await versionsOf(keys.listPropertiesOfKeyVersions("rotating")), 2);
    const rotated = await keys.getKey("rotating");
    assert.notEqual(rotated.properties.version, first.properties.version);
    assert.notDeepEqual(rotated.key!.n, first.key!.n);
    assert.equal(
      rotated.properties.expiresOn!.getTime() - rotated.properties.createdOn!.getTime(),
      90 * DAY,
      "exp from the policy's expiryTime",
    );
    assert.equal(await versionsOf(keys.listPropertiesOfKeyVersions("expiring")), 2);
    for (const name of ["notified", "disabled"])
      assert.equal(await versionsOf(keys.listPropertiesOfKeyVersions(name)), 1, name);
    assert.equal((await keys.getDeletedKey("deleted")).properties.version, deleted.properties.version);
  });

  it("renews a self-signed certificate at its AutoRenew lifetime percentage, with a new key and serial number", async () => {
    const policy: CertificatePolicy = {
      issuerName: "Self",
      subject: "CN=renewed.example.com",
      validityInMonths: 12,
      lifetimeActions: [{ lifetimePercentage: 80, action: "AutoRenew" }],
    };
    const first = await (await certs.beginCreateCertificate("renewed", policy)).pollUntilDone();
    // Never renewed: EmailContacts (Kluis has no mail server), and AutoRenew under issuer Unknown (Kluis reaches no CA).
    await (
      await certs.beginCreateCertificate("emailed", {
        ...policy,
        lifetimeActions: [{ lifetimePercentage: 80, action: "EmailContacts" }],
      })
    ).pollUntilDone();
    await (await certs.beginCreateCertificate("unknown", policy)).pollUntilDone();
    // (The SDK's updateCertificatePolicy returns an empty policy, so the stored one is read back.)
    await certs.updateCertificatePolicy("unknown", { ...policy, issuerName: "Unknown" });
    const unknownPolicy = await certs.getCertificatePolicy("unknown");
    assert.equal(unknownPolicy.issuerName, "Unknown");
    assert.deepEqual(
      unknownPolicy.lifetimeActions?.map((a) => a.action),
      ["AutoRenew"],
    );

    const nbf = first.properties.notBefore!.getTime();
    const lifetime = first.properties.expiresOn!.getTime() - nbf;
    const renewedAt = nbf + 0.81 * lifetime;
    await withStore(async (store) => {
      assert.equal(await renewDueCertificates(store, nbf + 0.7 * lifetime), 0);
      assert.equal(await renewDueCertificates(store, renewedAt), 1);
      assert.equal(
        await renewDueCertificates(store, renewedAt),
        0,
        "the new version is the newest, issued as of the sweep",
      );
    });

    assert.equal(await versionsOf(certs.listPropertiesOfCertificateVersions("renewed")), 2);
    const renewed = await certs.getCertificate("renewed");
    assert.notEqual(renewed.properties.version, first.properties.version);
    const [was, is] = [x509Of(first.cer), x509Of(renewed.cer)];
    assert.notEqual(is.serialNumber, was.serialNumber);
    assert.equal(is.subject, was.subject);
    assert.ok(!is.publicKey.equals(was.publicKey), "a new key: the policy does not reuse_key");
    assert.equal(renewed.properties.notBefore!.getTime(), Math.floor(renewedAt / 1000) * 1000);
    assert.equal(
      (await certs.getCertificateOperation("renewed")).getOperationState().certificateOperation?.status,
      "completed",
    );
    for (const name of ["emailed", "unknown"])
      assert.equal(await versionsOf(certs.listPropertiesOfCertificateVersions(name)), 1, name);
  });
});

describe("lifetime actions on a shared PostgreSQL database", needsPostgres, () => {
  let cluster: Cluster | undefined;
  let kluis: Kluis;
  let sp: ServicePrincipal;

  before(async () => {
    cluster = await startCluster(1);
    kluis = cluster.nodes[0]!;
    sp = await kluis.vaultWithPrincipal("pglife", { keys: KEYS, certificates: CERTIFICATES });
  });
  after(() => cluster?.dispose());

  it("rotates and renews once when two nodes sweep at the same moment", async () => {
    let keys = new KeyClient(vaultUrl("pglife"), credentialFor(kluis, sp), clientOptions(kluis));
    let certs = new CertificateClient(vaultUrl("pglife"), credentialFor(kluis, sp), clientOptions(kluis));
    const key = await keys.createEcKey("shared-key");
    await keys.updateKeyRotationPolicy("shared-key", {
      lifetimeActions: [{ action: "Rotate", timeAfterCreate: "P30D" }],
    });
    const cert = await (
      await certs.beginCreateCertificate("shared-cert", {
        issuerName: "Self",
        subject: "CN=shared",
        validityInMonths: 12,
      })
    ).pollUntilDone();
    await kluis.stop("SIGTERM");

    // Two stores, each with its own connection pool: two nodes.
    const nodes = await Promise.all(
      [0, 1].map(() =>
        openStore({
          postgresUrl: cluster!.pg.url,
          sealer: new Sealer(loadMasterKey(kluis.dataDir, cluster!.env)),
        }),
      ),
    );
    try {
      const keyDue = key.properties.createdOn!.getTime() + 31 * DAY;
      const rotated = await Promise.all(nodes.map((store) => rotateDueKeys(store, keyDue)));
      assert.equal(rotated[0]! + rotated[1]!, 1, `rotations per node: ${rotated.join(", ")}`);
      const certDue = cert.properties.expiresOn!.getTime() - DAY; // past the default AutoRenew at 80%
      const renewed = await Promise.all(nodes.map((store) => renewDueCertificates(store, certDue)));
      assert.equal(renewed[0]! + renewed[1]!, 1, `renewals per node: ${renewed.join(", ")}`);
    } finally {
      await Promise.all(nodes.map((store) => store.close()));
      await kluis.restart();
    }
    keys = new KeyClient(vaultUrl("pglife"), credentialFor(kluis, sp), clientOptions(kluis));
    certs = new CertificateClient(vaultUrl("pglife"), credentialFor(kluis, sp), clientOptions(kluis));
    assert.equal(await versionsOf(keys.listPropertiesOfKeyVersions("shared-key")), 2);
    assert.equal(await versionsOf(certs.listPropertiesOfCertificateVersions("shared-cert")), 2);
  });
});

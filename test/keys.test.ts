// Issue 5's acceptance: the keys API and its cryptographic operations, driven by the official SDKs (JavaScript in
// process, Python as a program) against a real Kluis, with every result checked independently by node:crypto.
import assert from "node:assert/strict";
import {
  constants,
  createHash,
  createPublicKey,
  generateKeyPairSync,
  publicEncrypt,
  randomBytes,
  verify as nodeVerify,
  type JsonWebKey as NodeJwk,
  type KeyObject,
} from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { CertificateClient, WellKnownIssuer } from "@azure/keyvault-certificates";
import { CryptographyClient, KeyClient, type JsonWebKey, type KeyVaultKey } from "@azure/keyvault-keys";
import { Kluis, PYTHON_SDKS, runPython, type ServicePrincipal } from "./helpers/kluis.js";
import { clientOptions, credentialFor, vaultUrl } from "./helpers/sdk.js";

const VAULT = "keysvault";
const MANAGE = [
  "get",
  "list",
  "create",
  "update",
  "import",
  "delete",
  "recover",
  "purge",
  "backup",
  "restore",
  "rotate",
  "getrotationpolicy",
  "setrotationpolicy",
];
const CRYPTO = ["sign", "verify", "encrypt", "decrypt", "wrapkey", "unwrapkey"];

const HASH: Record<string, string> = { "256": "sha256", "384": "sha384", "512": "sha512" };
const hashOf = (alg: string) => HASH[alg.slice(-3).replace("56K", "256")]!;
const digest = (alg: string, data: Buffer) => createHash(hashOf(alg)).update(data).digest();

/** The public key a Kluis key bundle returned, as node:crypto reads it (Key Vault's P-256K is secp256k1). */
function publicKeyOf(key: KeyVaultKey): KeyObject {
  const jwk = key.key!;
  const b64 = (u?: Uint8Array) => Buffer.from(u!).toString("base64url");
  const nodeJwk: NodeJwk = jwk.kty!.startsWith("RSA")
    ? { kty: "RSA", n: b64(jwk.n), e: b64(jwk.e) }
    : { kty: "EC", crv: jwk.crv === "P-256K" ? "secp256k1" : jwk.crv, x: b64(jwk.x), y: b64(jwk.y) };
  return createPublicKey({ key: nodeJwk, format: "jwk" });
}

/** Checks a Kluis signature over `data` with node:crypto alone. */
function verifiesLocally(key: KeyVaultKey, alg: string, data: Buffer, signature: Uint8Array): boolean {
  const pub = publicKeyOf(key);
  const options = alg.startsWith("PS")
    ? { key: pub, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_AUTO }
    : alg.startsWith("ES")
      ? { key: pub, dsaEncoding: "ieee-p1363" as const }
      : pub;
  return nodeVerify(hashOf(alg), data, options, signature);
}

/** A JWK of a node-made private key in the SDK's shape (bytes, Key Vault's curve names). */
function sdkJwk(priv: KeyObject): JsonWebKey {
  const jwk = priv.export({ format: "jwk" }) as Record<string, string>;
  const bytes = (f: string) => (jwk[f] ? new Uint8Array(Buffer.from(jwk[f]!, "base64url")) : undefined);
  if (jwk.kty === "RSA") {
    return {
      kty: "RSA",
      n: bytes("n"),
      e: bytes("e"),
      d: bytes("d"),
      p: bytes("p"),
      q: bytes("q"),
      dp: bytes("dp"),
      dq: bytes("dq"),
      qi: bytes("qi"),
    };
  }
  return {
    kty: "EC",
    crv: jwk.crv === "secp256k1" ? "P-256K" : (jwk.crv as JsonWebKey["crv"]),
    x: bytes("x"),
    y: bytes("y"),
    d: bytes("d"),
  };
}

async function rejects(promise: Promise<unknown>, status: number, code: RegExp | string, message?: RegExp) {
  await assert.rejects(promise, (err: { statusCode?: number; code?: string; message: string; details?: unknown }) => {
    assert.equal(err.statusCode, status, err.message);
    const inner = JSON.stringify(err.details ?? {});
    assert.ok(
      typeof code === "string" ? err.code === code || inner.includes(code) : code.test(`${err.code} ${inner}`),
      `${err.code} ${inner}`,
    );
    if (message) assert.match(err.message, message);
    return true;
  });
}

describe("keys", () => {
  let kluis: Kluis;
  let manager: ServicePrincipal;
  let cryptographer: ServicePrincipal;
  let reader: ServicePrincipal;
  let keys: KeyClient;
  /** A client for a principal without `get`: the SDK then runs every operation in Kluis, none locally. */
  let remote: (key: KeyVaultKey | string) => CryptographyClient;

  before(async () => {
    kluis = await Kluis.start({ args: ["--log-level", "info"] }); // the log shows the api-versions sent
    manager = await kluis.vaultWithPrincipal(VAULT, { keys: [...MANAGE, ...CRYPTO], certificates: ["get", "create"] });
    cryptographer = await kluis.createServicePrincipal("keys-crypto");
    await kluis.setPolicy(VAULT, cryptographer.appId, { keys: CRYPTO });
    reader = await kluis.createServicePrincipal("keys-reader");
    await kluis.setPolicy(VAULT, reader.appId, { keys: ["get", "list"] });
    keys = new KeyClient(vaultUrl(VAULT), credentialFor(kluis, manager), clientOptions(kluis));
    remote = (key) =>
      new CryptographyClient(
        typeof key === "string" ? key : key.id!,
        credentialFor(kluis, cryptographer),
        clientOptions(kluis),
      );
  });
  after(() => kluis.dispose());

  describe("RSA", () => {
    const rsa: Record<number, KeyVaultKey> = {};
    before(async () => {
      for (const size of [2048, 3072]) rsa[size] = await keys.createRsaKey(`rsa-${size}`, { keySize: size });
    });

    it("creates RSA keys and returns only their public part", async () => {
      const key = rsa[2048]!;
      assert.match(key.id!, new RegExp(`^https://${VAULT}\\.vault\\.azure\\.net/keys/rsa-2048/[0-9a-f]{32}$`));
      assert.equal(key.keyType, "RSA");
      assert.deepEqual([...key.keyOperations!].sort(), [
        "decrypt",
        "encrypt",
        "sign",
        "unwrapKey",
        "verify",
        "wrapKey",
      ]);
      assert.equal(key.key!.d, undefined);
      assert.equal(publicKeyOf(key).asymmetricKeyDetails!.modulusLength, 2048);
      assert.equal(publicKeyOf(rsa[3072]!).asymmetricKeyDetails!.modulusLength, 3072);
      assert.equal(key.properties.enabled, true);
      assert.equal(key.properties.recoveryLevel, "Recoverable+Purgeable");
    });

    it("creates a 4096-bit RSA-HSM key", async () => {
      const key = await keys.createRsaKey("rsa-4096", { keySize: 4096, hsm: true });
      assert.equal(key.keyType, "RSA-HSM");
      assert.equal(publicKeyOf(key).asymmetricKeyDetails!.modulusLength, 4096);
      const data = randomBytes(64);
      const signed = await remote(key).sign("PS512", digest("PS512", data));
      assert.ok(verifiesLocally(key, "PS512", data, signed.result));
    });

    for (const alg of ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512"]) {
      it(`signs with ${alg}: node:crypto verifies the signature, Kluis verifies and rejects a forgery`, async () => {
        for (const size of [2048, 3072]) {
          const key = rsa[size]!;
          const data = Buffer.from(`message for ${alg}/${size}`);
          const signed = await remote(key).sign(alg, digest(alg, data));
          assert.equal(signed.keyID, key.id);
          assert.equal(signed.result.length, size / 8);
          assert.ok(verifiesLocally(key, alg, data, signed.result), `${alg}/${size} verifies with node:crypto`);
          assert.equal((await remote(key).verify(alg, digest(alg, data), signed.result)).result, true);
          assert.equal((await remote(key).verify(alg, digest(alg, Buffer.from("other")), signed.result)).result, false);
        }
      });
    }

    for (const [alg, oaepHash] of [
      ["RSA1_5", undefined],
      ["RSA-OAEP", "sha1"],
      ["RSA-OAEP-256", "sha256"],
    ] as const) {
      it(`decrypts and unwraps what node:crypto encrypted with ${alg}, and round-trips its own`, async () => {
        const key = rsa[2048]!;
        const plaintext = randomBytes(32);
        const padding = oaepHash ? constants.RSA_PKCS1_OAEP_PADDING : constants.RSA_PKCS1_PADDING;
        const local = publicEncrypt({ key: publicKeyOf(key), padding, ...(oaepHash ? { oaepHash } : {}) }, plaintext);
        const client = remote(key);
        assert.deepEqual(Buffer.from((await client.decrypt({ algorithm: alg, ciphertext: local })).result), plaintext);
        assert.deepEqual(Buffer.from((await client.unwrapKey(alg, local)).result), plaintext);

        const encrypted = await client.encrypt({ algorithm: alg, plaintext });
        assert.deepEqual(
          Buffer.from((await client.decrypt({ algorithm: alg, ciphertext: encrypted.result })).result),
          plaintext,
        );
        const wrapped = await client.wrapKey(alg, plaintext);
        assert.deepEqual(Buffer.from((await client.unwrapKey(alg, wrapped.result)).result), plaintext);
      });
    }

    it("runs operations on the newest version when the key id has none", async () => {
      const data = randomBytes(8);
      const signed = await remote(`https://${VAULT}.vault.azure.net/keys/rsa-2048`).sign(
        "RS256",
        digest("RS256", data),
      );
      assert.ok(verifiesLocally(rsa[2048]!, "RS256", data, signed.result));
    });

    it("answers 400 to a ciphertext that does not decrypt, an EC algorithm and a digest of the wrong length", async () => {
      const client = remote(rsa[2048]!);
      await rejects(client.decrypt({ algorithm: "RSA-OAEP", ciphertext: randomBytes(256) }), 400, "BadParameter");
      await rejects(client.decrypt({ algorithm: "RSA1_5", ciphertext: randomBytes(12) }), 400, "BadParameter");
      await rejects(client.sign("ES256", randomBytes(32)), 400, "BadParameter");
      await rejects(client.sign("RS256", randomBytes(48)), 400, "BadParameter", /digest length/);
      await rejects(client.encrypt({ algorithm: "A256GCM", plaintext: randomBytes(8) }), 400, "BadParameter");
    });
  });

  describe("EC", () => {
    for (const [crv, alg] of [
      ["P-256", "ES256"],
      ["P-256K", "ES256K"],
      ["P-384", "ES384"],
      ["P-521", "ES512"],
    ] as const) {
      it(`creates a ${crv} key and signs with ${alg}: node:crypto verifies it`, async () => {
        const key = await keys.createEcKey(`ec-${crv}`, { curve: crv });
        assert.equal(key.keyType, "EC");
        assert.equal(key.key!.crv, crv);
        assert.deepEqual([...key.keyOperations!].sort(), ["sign", "verify"]);
        const data = randomBytes(100);
        const signed = await remote(key).sign(alg, digest(alg, data));
        assert.ok(verifiesLocally(key, alg, data, signed.result), `${alg} verifies with node:crypto`);
        assert.equal((await remote(key).verify(alg, digest(alg, data), signed.result)).result, true);
        const forged = Buffer.from(signed.result);
        forged[forged.length - 1]! ^= 1;
        assert.equal((await remote(key).verify(alg, digest(alg, data), forged)).result, false);
        // Another curve's algorithm, and an operation the key does not allow.
        await rejects(
          remote(key).sign(alg === "ES384" ? "ES256" : "ES384", randomBytes(alg === "ES384" ? 32 : 48)),
          400,
          "BadParameter",
        );
        await rejects(
          remote(key).encrypt({ algorithm: "RSA-OAEP", plaintext: randomBytes(8) }),
          403,
          "KeyOperationForbidden",
          /Operation encrypt is not permitted on this key/,
        );
      });
    }
  });

  describe("oct", () => {
    let oct: KeyVaultKey;
    before(async () => {
      oct = await keys.createOctKey("oct-256", { keySize: 256 });
    });

    it("encrypts and decrypts with A256GCM (with additional data), A256CBCPAD and A256CBC", async () => {
      assert.equal(oct.keyType, "oct");
      const client = remote(oct);
      const plaintext = randomBytes(48);
      const aad = Buffer.from("context");
      const gcm = await client.encrypt({ algorithm: "A256GCM", plaintext, additionalAuthenticatedData: aad });
      assert.equal(gcm.iv!.length, 12);
      const opened = await client.decrypt({
        algorithm: "A256GCM",
        ciphertext: gcm.result,
        iv: gcm.iv!,
        authenticationTag: gcm.authenticationTag!,
        additionalAuthenticatedData: aad,
      });
      assert.deepEqual(Buffer.from(opened.result), plaintext);
      await rejects(
        client.decrypt({
          algorithm: "A256GCM",
          ciphertext: gcm.result,
          iv: gcm.iv!,
          authenticationTag: gcm.authenticationTag!,
          additionalAuthenticatedData: Buffer.from("other"),
        }),
        400,
        "BadParameter",
      );
      for (const algorithm of ["A256CBCPAD", "A256CBC"] as const) {
        const iv = randomBytes(16);
        const encrypted = await client.encrypt({ algorithm, plaintext, iv });
        assert.deepEqual(
          Buffer.from((await client.decrypt({ algorithm, ciphertext: encrypted.result, iv })).result),
          plaintext,
        );
      }
    });

    for (const bits of [128, 192] as const) {
      it(`works with ${bits}-bit keys: A${bits}GCM, A${bits}CBCPAD and A${bits}KW`, async () => {
        const client = remote(await keys.createOctKey(`oct-${bits}`, { keySize: bits }));
        const plaintext = randomBytes(24);
        const gcm = await client.encrypt({ algorithm: `A${bits}GCM`, plaintext });
        const opened = await client.decrypt({
          algorithm: `A${bits}GCM`,
          ciphertext: gcm.result,
          iv: gcm.iv!,
          authenticationTag: gcm.authenticationTag!,
        });
        assert.deepEqual(Buffer.from(opened.result), plaintext);
        const iv = randomBytes(16);
        const cbc = await client.encrypt({ algorithm: `A${bits}CBCPAD`, plaintext, iv });
        assert.deepEqual(
          Buffer.from((await client.decrypt({ algorithm: `A${bits}CBCPAD`, ciphertext: cbc.result, iv })).result),
          plaintext,
        );
        const wrapped = await client.wrapKey(`A${bits}KW`, plaintext);
        assert.deepEqual(Buffer.from((await client.unwrapKey(`A${bits}KW`, wrapped.result)).result), plaintext);
        await rejects(client.encrypt({ algorithm: "A256GCM", plaintext }), 400, "BadParameter");
      });
    }

    it("wraps and unwraps with A256KW (RFC 3394) and refuses another key size's algorithm", async () => {
      const client = remote(oct);
      const cek = randomBytes(32);
      const wrapped = await client.wrapKey("A256KW", cek);
      assert.equal(wrapped.result.length, 40);
      assert.deepEqual(Buffer.from((await client.unwrapKey("A256KW", wrapped.result)).result), cek);
      await rejects(client.wrapKey("A128KW", cek), 400, "BadParameter");
      await rejects(client.sign("RS256", randomBytes(32)), 403, "KeyOperationForbidden");
    });
  });

  describe("import", () => {
    it("imports RSA and P-256K keys from JWKs; Kluis signs with the imported private key", async () => {
      for (const [name, priv, alg] of [
        ["imported-rsa", generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey, "PS256"],
        ["imported-ec", generateKeyPairSync("ec", { namedCurve: "secp256k1" }).privateKey, "ES256K"],
      ] as const) {
        const key = await keys.importKey(name, sdkJwk(priv), { tags: { origin: "node" } });
        assert.equal(key.key!.d, undefined);
        assert.deepEqual(key.properties.tags, { origin: "node" });
        const data = randomBytes(20);
        const signed = await remote(key).sign(alg, digest(alg, data));
        assert.ok(
          nodeVerify(
            hashOf(alg),
            data,
            alg.startsWith("PS")
              ? { key: createPublicKey(priv), padding: constants.RSA_PKCS1_PSS_PADDING }
              : { key: createPublicKey(priv), dsaEncoding: "ieee-p1363" },
            signed.result,
          ),
        );
      }
    });

    it("keeps the imported private key encrypted at rest: the database file never holds it in the clear", async () => {
      const priv = generateKeyPairSync("ec", { namedCurve: "prime256v1" }).privateKey;
      await keys.importKey("at-rest", sdkJwk(priv));
      const d = Buffer.from((priv.export({ format: "jwk" }) as { d: string }).d, "base64url");
      const pkcs8 = priv.export({ type: "pkcs8", format: "der" });
      const files = readdirSync(kluis.dataDir).filter((f) => f.startsWith("kluis.db"));
      assert.ok(files.length > 0);
      for (const file of files) {
        const bytes = readFileSync(join(kluis.dataDir, file));
        for (const needle of [
          d,
          pkcs8,
          Buffer.from(d.toString("base64url")),
          Buffer.from(d.toString("base64")),
          Buffer.from(pkcs8.toString("base64")),
        ]) {
          assert.equal(bytes.indexOf(needle), -1, `${file} holds the private key`);
        }
      }
    });

    it("refuses an invalid JWK with 400 and creates nothing", async () => {
      const priv = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey;
      const publicOnly = {
        ...sdkJwk(priv),
        d: undefined,
        p: undefined,
        q: undefined,
        dp: undefined,
        dq: undefined,
        qi: undefined,
      };
      await rejects(keys.importKey("bad-import", publicOnly), 400, "BadParameter", /JSON Web Key/);
      await rejects(
        keys.importKey("bad-import", { ...sdkJwk(priv), n: new Uint8Array([1, 2, 3]) }),
        400,
        "BadParameter",
      );
      await rejects(
        keys.importKey("bad-import", {
          kty: "EC",
          crv: "P-256",
          x: new Uint8Array(32),
          y: new Uint8Array(32),
          d: new Uint8Array(32),
        }),
        400,
        "BadParameter",
      );
      await rejects(keys.getKey("bad-import"), 404, "KeyNotFound");
    });
  });

  describe("lifecycle", () => {
    it("lists keys and versions, and updates tags, key_ops and attributes", async () => {
      const first = await keys.createEcKey("life", { curve: "P-256", tags: { v: "1" } });
      const second = await keys.createEcKey("life", { curve: "P-384" });
      assert.notEqual(first.properties.version, second.properties.version);
      assert.equal((await keys.getKey("life")).key!.crv, "P-384");
      assert.equal((await keys.getKey("life", { version: first.properties.version! })).key!.crv, "P-256");

      const versions = [];
      for await (const p of keys.listPropertiesOfKeyVersions("life")) versions.push(p.version);
      assert.deepEqual(versions, [first.properties.version, second.properties.version]);
      const names = [];
      for await (const p of keys.listPropertiesOfKeys()) names.push(p.name);
      assert.ok(names.includes("life") && names.includes("rsa-2048"), names.join());

      const expires = new Date(Date.now() + 3600_000);
      const updated = await keys.updateKeyProperties("life", first.properties.version!, {
        tags: { v: "one" },
        keyOps: ["verify"],
        expiresOn: expires,
      });
      assert.deepEqual(updated.properties.tags, { v: "one" });
      assert.deepEqual(updated.keyOperations, ["verify"]);
      assert.equal(updated.properties.expiresOn!.getTime(), Math.floor(expires.getTime() / 1000) * 1000);
      await rejects(
        remote(updated).sign("ES256", randomBytes(32)),
        403,
        "KeyOperationForbidden",
        /Operation sign is not permitted on this key/,
      );
      await rejects(
        keys.updateKeyProperties("life", first.properties.version!, { keyOps: ["fly" as never], tags: { v: "bad" } }),
        400,
        "BadParameter",
      );
      assert.deepEqual(
        (await keys.getKey("life", { version: first.properties.version! })).properties.tags,
        { v: "one" },
        "a refused update changes nothing",
      );
      // The other version is untouched.
      assert.deepEqual((await keys.getKey("life")).keyOperations, ["sign", "verify"]);
    });

    it("refuses a disabled key (get and operations) and an expired one (sign), until re-enabled", async () => {
      const key = await keys.createRsaKey("toggled");
      await keys.updateKeyProperties("toggled", key.properties.version!, { enabled: false });
      await rejects(keys.getKey("toggled"), 403, "KeyDisabled", /Operation get is not allowed on a disabled key/);
      await rejects(
        remote(key).sign("RS256", randomBytes(32)),
        403,
        "KeyDisabled",
        /Operation sign is not allowed on a disabled key/,
      );
      await keys.updateKeyProperties("toggled", key.properties.version!, {
        enabled: true,
        expiresOn: new Date(Date.now() - 60_000),
      });
      await rejects(remote(key).sign("RS256", randomBytes(32)), 403, "KeyExpired");
      const data = randomBytes(16);
      const local = publicEncrypt({ key: publicKeyOf(key), padding: constants.RSA_PKCS1_OAEP_PADDING }, data);
      assert.deepEqual(
        Buffer.from((await remote(key).decrypt({ algorithm: "RSA-OAEP", ciphertext: local })).result),
        data,
        "an expired key still decrypts",
      );
    });

    // Found by fuzzing (seed 555 at 1,500 runs): the recovery was done, then its answer was 403 KeyDisabled.
    it("recovers a deleted key whose newest version is disabled, answering with the recovered key", async () => {
      const key = await keys.createEcKey("off-and-deleted");
      await keys.updateKeyProperties("off-and-deleted", key.properties.version!, { enabled: false });
      await (await keys.beginDeleteKey("off-and-deleted", { intervalInMs: 50 })).pollUntilDone();
      const poller = await keys.beginRecoverDeletedKey("off-and-deleted", { intervalInMs: 50 });
      assert.equal(poller.getResult()?.properties.enabled, false, "the recover answer is the (disabled) key");
      assert.equal(poller.getResult()?.properties.version, key.properties.version);
      await rejects(keys.getKey("off-and-deleted"), 403, "KeyDisabled");
      await rejects(keys.getDeletedKey("off-and-deleted"), 404, "KeyNotFound");
    });

    it("soft-deletes, lists deleted, recovers, and purges", async () => {
      const key = await keys.createRsaKey("doomed");
      const deleted = await (await keys.beginDeleteKey("doomed", { intervalInMs: 50 })).pollUntilDone();
      assert.equal(deleted.properties.recoveryId, `https://${VAULT}.vault.azure.net/deletedkeys/doomed`);
      assert.ok(deleted.properties.scheduledPurgeDate! > deleted.properties.deletedOn!);
      await rejects(keys.getKey("doomed"), 404, "KeyNotFound");
      await rejects(keys.createRsaKey("doomed"), 409, "ObjectIsDeletedButRecoverable");
      const listed = [];
      for await (const d of keys.listDeletedKeys()) listed.push(d.name);
      assert.deepEqual(listed, ["doomed"]);

      const recovered = await (await keys.beginRecoverDeletedKey("doomed", { intervalInMs: 50 })).pollUntilDone();
      assert.equal(recovered.id, key.id);
      assert.deepEqual((await keys.getKey("doomed")).key!.n, key.key!.n);

      await (await keys.beginDeleteKey("doomed", { intervalInMs: 50 })).pollUntilDone();
      await keys.purgeDeletedKey("doomed");
      await rejects(keys.getDeletedKey("doomed"), 404, "KeyNotFound");
      await keys.createRsaKey("doomed"); // the name is free again
    });

    it("validates create requests with 400 and creates nothing", async () => {
      await rejects(keys.createRsaKey("bad-size", { keySize: 1024 }), 400, "BadParameter");
      await rejects(keys.createEcKey("bad-curve", { curve: "P-192" as never }), 400, "BadParameter");
      await rejects(keys.createKey("bad-ops", "RSA", { keyOps: ["fly" as never] }), 400, "BadParameter");
      for (const name of ["bad-size", "bad-curve", "bad-ops"]) await rejects(keys.getKey(name), 404, "KeyNotFound");
    });

    it("refuses a principal without the permission, changing nothing", async () => {
      const readerKeys = new KeyClient(vaultUrl(VAULT), credentialFor(kluis, reader), clientOptions(kluis));
      await rejects(readerKeys.createRsaKey("not-mine"), 403, "AccessDenied", /does not have keys create permission/);
      await rejects(readerKeys.beginDeleteKey("rsa-2048"), 403, "AccessDenied", /does not have keys delete permission/);
      const readerCrypto = new CryptographyClient(
        (await keys.getKey("rsa-2048")).id!,
        credentialFor(kluis, reader),
        clientOptions(kluis),
      );
      await rejects(
        readerCrypto.sign("RS256", randomBytes(32)),
        403,
        "AccessDenied",
        /does not have keys sign permission/,
      );
      await rejects(keys.getKey("not-mine"), 404, "KeyNotFound");
      assert.equal((await keys.getKey("rsa-2048")).properties.enabled, true);
    });
  });

  describe("rotation, backup and restore", () => {
    it("stores a rotation policy and rotates to a new version of the same kind, expiring as the policy says", async () => {
      const first = await keys.createRsaKey("rotated", {
        keySize: 3072,
        keyOps: ["sign", "verify"],
        tags: { team: "a" },
      });
      const initial = await keys.getKeyRotationPolicy("rotated");
      assert.deepEqual(initial.lifetimeActions, [
        { action: "Notify", timeBeforeExpiry: "P30D", timeAfterCreate: undefined },
      ]);
      const policy = await keys.updateKeyRotationPolicy("rotated", {
        expiresIn: "P90D",
        lifetimeActions: [{ action: "Rotate", timeAfterCreate: "P60D" }],
      });
      assert.equal(policy.id, `https://${VAULT}.vault.azure.net/keys/rotated/rotationpolicy`);
      assert.equal(policy.expiresIn, "P90D");
      assert.deepEqual((await keys.getKeyRotationPolicy("rotated")).lifetimeActions, [
        { action: "Rotate", timeAfterCreate: "P60D", timeBeforeExpiry: undefined },
      ]);
      await rejects(
        keys.updateKeyRotationPolicy("rotated", {
          lifetimeActions: [{ action: "Explode" as never, timeAfterCreate: "P1D" }],
        }),
        400,
        "BadParameter",
      );

      const rotated = await keys.rotateKey("rotated");
      assert.notEqual(rotated.properties.version, first.properties.version);
      assert.notDeepEqual(rotated.key!.n, first.key!.n);
      assert.equal(publicKeyOf(rotated).asymmetricKeyDetails!.modulusLength, 3072);
      assert.deepEqual(rotated.keyOperations, ["sign", "verify"]);
      assert.deepEqual(rotated.properties.tags, { team: "a" });
      const days = (rotated.properties.expiresOn!.getTime() - Date.now()) / 86400_000;
      assert.ok(days > 89.9 && days <= 90, `expires in ${days} days`);
    });

    it("backs a key up, and restores it with every version after a purge; refuses a taken name and a bad blob", async () => {
      const first = await keys.createEcKey("saved", { curve: "P-384" });
      const second = await keys.createEcKey("saved", { curve: "P-384", tags: { v: "2" } });
      const blob = await keys.backupKey("saved");
      assert.ok(blob && blob.length > 0);
      await rejects(keys.restoreKeyBackup(blob!), 409, "Conflict");
      await (await keys.beginDeleteKey("saved", { intervalInMs: 50 })).pollUntilDone();
      await keys.purgeDeletedKey("saved");

      const restored = await keys.restoreKeyBackup(blob!);
      assert.equal(restored.id, second.id);
      assert.deepEqual(restored.properties.tags, { v: "2" });
      const versions = [];
      for await (const p of keys.listPropertiesOfKeyVersions("saved")) versions.push(p.version);
      assert.deepEqual(versions, [first.properties.version, second.properties.version]);
      const data = randomBytes(10);
      const signed = await remote(first.id!).sign("ES384", digest("ES384", data));
      assert.ok(verifiesLocally(first, "ES384", data, signed.result), "the restored private key is the original one");

      const tampered = Buffer.from(blob!);
      tampered[tampered.length - 1]! ^= 1;
      await rejects(keys.restoreKeyBackup(tampered), 400, "BadParameter");
    });
  });

  describe("a certificate's key", () => {
    it("is served by the keys API as managed, signs, and cannot be changed or deleted there", async () => {
      const certificates = new CertificateClient(vaultUrl(VAULT), credentialFor(kluis, manager), clientOptions(kluis));
      const poller = await certificates.beginCreateCertificate(
        "webcert",
        { issuerName: WellKnownIssuer.Self, subject: "CN=web" },
        { intervalInMs: 100 },
      );
      const cert = await poller.pollUntilDone();
      const key = await keys.getKey("webcert");
      assert.equal(key.properties.managed, true);
      assert.equal(key.properties.version, cert.properties.version);
      const data = randomBytes(30);
      const signed = await remote(key).sign("RS256", digest("RS256", data));
      assert.ok(verifiesLocally(key, "RS256", data, signed.result));
      const managed = /Operation "\w+" is not allowed as this object's lifetime is managed by Key Vault/;
      await rejects(
        keys.updateKeyProperties("webcert", key.properties.version!, { tags: { a: "b" } }),
        403,
        "Forbidden",
        managed,
      );
      await rejects(keys.beginDeleteKey("webcert"), 403, "Forbidden", managed);
      await rejects(keys.createRsaKey("webcert"), 403, "Forbidden", managed);
      await rejects(keys.backupKey("webcert"), 403, "Forbidden", managed);
      await rejects(keys.rotateKey("webcert"), 403, "Forbidden", managed);
      assert.deepEqual((await keys.getKey("webcert")).properties.tags, {});
    });
  });

  describe("Python azure-keyvault-keys (Debian's and PyPI's)", () => {
    for (const sdk of PYTHON_SDKS)
      it(`runs the keys program: create, import, sign, verify and encrypt locally and remotely, decrypt, unwrap, update, delete, recover, purge, rotate, backup, restore (${sdk.label})`, async () => {
        const vault = `pykeys-${sdk.id}`;
        await kluis.createVault(vault);
        await kluis.setPolicy(vault, manager.appId, { keys: [...MANAGE, ...CRYPTO] });
        await kluis.setPolicy(vault, cryptographer.appId, { keys: CRYPTO });
        const env = {
          ...kluis.sdkEnv(manager),
          KEY_VAULT_NAME: vault,
          CRYPTO_CLIENT_ID: cryptographer.appId,
          CRYPTO_CLIENT_SECRET: cryptographer.password,
        };
        const res = await runPython(sdk, ["test/programs/keys.py"], { env });
        assert.equal(res.code, 0, res.stderr);
        const out = JSON.parse(res.stdout);
        const pub = (jwk: Record<string, string>) =>
          createPublicKey({
            key:
              jwk.kty === "RSA"
                ? { kty: "RSA", n: jwk.n, e: jwk.e }
                : { kty: "EC", crv: jwk.crv === "P-256K" ? "secp256k1" : jwk.crv, x: jwk.x, y: jwk.y },
            format: "jwk",
          });
        for (const s of out.signatures as {
          alg: string;
          jwk: Record<string, string>;
          data: string;
          signature: string;
          verified: boolean;
        }[]) {
          const options = s.alg.startsWith("PS")
            ? { key: pub(s.jwk), padding: constants.RSA_PKCS1_PSS_PADDING }
            : s.alg.startsWith("ES")
              ? { key: pub(s.jwk), dsaEncoding: "ieee-p1363" as const }
              : pub(s.jwk);
          assert.ok(
            nodeVerify(hashOf(s.alg), Buffer.from(s.data, "hex"), options, Buffer.from(s.signature, "hex")),
            `${s.alg} from Python verifies with node:crypto`,
          );
          assert.equal(s.verified, true);
        }
        assert.equal(out.signatures.length, 4);
        assert.deepEqual(out.roundTrips, { "RSA-OAEP-256": true, RSA1_5: true, "RSA-OAEP": true, wrap: true });
        const both = { local_verify: true, remote_verify: true, remote_rejects_tampered: true };
        assert.deepEqual(out.localAndRemote, {
          PS256: both,
          ES384: both,
          encrypt: { local_then_remote: true, remote_then_remote: true, remote_wrap: true },
        });
        for (const op of ["verify", "encrypt", "wrapkey"]) {
          const sent = new RegExp(
            `"url":"/keys/py-rsa/[0-9a-f]{32}/${op}\\?[^"]*","host":"${vault}\\.vault\\.azure\\.net"`,
          );
          assert.match(kluis.output, sent, `the remote client sent ${op} to the vault`);
        }
        assert.equal(out.imported.kty, "EC");
        assert.deepEqual(out.updated, { enabled: false, tags: { env: "test" } });
        assert.equal(out.disabledError, 403);
        assert.equal(out.deleted.recovery_id, `https://${vault}.vault.azure.net/deletedkeys/py-rsa`);
        assert.equal(out.recovered, true);
        assert.equal(out.purged, true);
        assert.deepEqual(out.policy, { expires_in: "P60D", actions: [["Rotate", "P30D"]] });
        assert.deepEqual(out.rotated, { new_version: true, same_size: true });
        assert.equal(out.restored, true);
        assert.deepEqual(kluis.apiVersionsSent(vault), [sdk.apiVersions.keys]);
      });
  });
});

describe("random bytes", () => {
  let kluis: Kluis;
  before(async () => {
    kluis = await Kluis.start();
  });
  after(() => kluis.dispose());

  it("draws the requested number of random bytes, and refuses a count outside 1-128", async () => {
    const sp = await kluis.vaultWithPrincipal("rngvault", { keys: ["get"] });
    const client = new KeyClient(vaultUrl("rngvault"), credentialFor(kluis, sp), clientOptions(kluis));
    const a = await client.getRandomBytes(32);
    const b = await client.getRandomBytes(32);
    assert.equal(a.length, 32);
    assert.notDeepEqual(Buffer.from(a), Buffer.from(b));
    await assert.rejects(client.getRandomBytes(129), (e: any) => e.statusCode === 400 && e.code === "BadParameter");
  });
});

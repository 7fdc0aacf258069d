// Unit tests of the pure algorithm modules under src/crypto (no server): ECDSA over a digest against RFC 6979's
// vectors, EMSA-PSS against OpenSSL's own PSS, AES key wrap against RFC 3394, and the typed refusals.
import assert from "node:assert/strict";
import {
  constants,
  createHash,
  createPrivateKey,
  generateKeyPairSync,
  privateDecrypt,
  publicEncrypt,
  sign as nodeSign,
  verify as nodeVerify,
  type KeyObject,
} from "node:crypto";
import { describe, it } from "node:test";
import { KeyAlgorithmError } from "../src/crypto/algorithm-error.js";
import { ecdsaSign, ecdsaVerify } from "../src/crypto/ecdsa.js";
import * as algorithms from "../src/crypto/key-algorithms.js";
import { newClientSecret } from "../src/crypto/passwords.js";
import { emsaPssEncode, emsaPssVerify } from "../src/crypto/rsa-pss.js";

const hex = (h: string) => Buffer.from(h.replace(/\s+/g, ""), "hex");
const b64u = (h: string) => hex(h).toString("base64url");
const sha256 = (text: string) => createHash("sha256").update(text).digest();

// RFC 6979 A.2.5: ECDSA, 256 bits (prime field), the key pair and SHA-256 signatures of "sample" and "test".
const P256_KEY = createPrivateKey({
  format: "jwk",
  key: {
    kty: "EC",
    crv: "P-256",
    d: b64u("C9AFA9D845BA75166B5C215767B1D6934E50C3DB36E89B127B8A622B120F6721"),
    x: b64u("60FED4BA255A9D31C961EB74C6356D68C049B8923B61FA6CE669622E60F29FB6"),
    y: b64u("7903FE1008B8BC99A41AE9E95628BC64F2F1B20C2D7E9F5177A3C294D4462299"),
  },
});
const RFC6979_P256_SHA256 = [
  {
    message: "sample",
    k: "A6E3C57DD01ABE90086538398355DD4C3B17AA873382B0F24D6129493D8AAD60",
    r: "EFD48B2AACB6A8FD1140DD9CD45E81D69D2C877B56AAF991C34D0EA84EAF3716",
    s: "F7CB1C942D657C41D436C7A1B6E29F65F3E900DBB9AFF4064DC4AB2F843ACDA8",
  },
  {
    message: "test",
    k: "D16B6AE827F17175E040871A1C7EC3500192C4C92677336EC2537ACAEE0008E0",
    r: "F1ABB023518351CD71D881567B1EA663ED3EFCF6C5132B354F28D3B0B7D38367",
    s: "019F4113742A2B14BD25926B49C649155F267E60D3814B4C0CC84250E46F0083",
  },
];

describe("ECDSA over a digest (crypto/ecdsa.ts)", () => {
  for (const { message, k, r, s } of RFC6979_P256_SHA256) {
    it(`signs "${message}" with RFC 6979's nonce to RFC 6979's r and s (A.2.5, P-256, SHA-256)`, async () => {
      const signature = await ecdsaSign(P256_KEY, sha256(message), BigInt(`0x${k}`));
      assert.equal(signature.toString("hex"), `${r}${s}`.toLowerCase());
    });

    it(`verifies RFC 6979's signature of "${message}" and refuses it altered`, async () => {
      const signature = hex(`${r}${s}`);
      assert.equal(await ecdsaVerify(P256_KEY, sha256(message), signature), true);
      assert.equal(await ecdsaVerify(P256_KEY, sha256(`${message}!`), signature), false);
      const flipped = Buffer.from(signature);
      flipped[40]! ^= 1;
      assert.equal(await ecdsaVerify(P256_KEY, sha256(message), flipped), false);
    });
  }

  it("refuses signatures out of range or of the wrong length", async () => {
    const digest = sha256("sample");
    const n = hex("FFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551");
    assert.equal(await ecdsaVerify(P256_KEY, digest, Buffer.alloc(64)), false, "r = s = 0");
    assert.equal(await ecdsaVerify(P256_KEY, digest, Buffer.concat([n, n])), false, "r = s = n");
    assert.equal(await ecdsaVerify(P256_KEY, digest, Buffer.alloc(63, 1)), false, "63 bytes");
  });

  for (const namedCurve of ["prime256v1", "secp256k1", "secp384r1", "secp521r1"]) {
    it(`signs with a random nonce what OpenSSL verifies (${namedCurve})`, async () => {
      const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve });
      const hash = namedCurve === "secp384r1" ? "sha384" : namedCurve === "secp521r1" ? "sha512" : "sha256";
      const digest = createHash(hash).update("kluis").digest();
      const signature = await ecdsaSign(privateKey, digest);
      assert.equal(
        nodeVerify(hash, Buffer.from("kluis"), { key: publicKey, dsaEncoding: "ieee-p1363" }, signature),
        true,
      );
      const theirs = nodeSign(hash, Buffer.from("kluis"), { key: privateKey, dsaEncoding: "ieee-p1363" });
      assert.equal(await ecdsaVerify(privateKey, digest, theirs), true);
    });
  }

  it("signs across batches of drawn nonces (the event loop's and a worker's), each nonce once, each signature one OpenSSL verifies (P-256)", async () => {
    const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "prime256v1" });
    const digest = sha256("kluis");
    // Concurrent signers too: a batch is drawn while others wait for theirs.
    const signatures = await Promise.all(Array.from({ length: 50 }, () => ecdsaSign(privateKey, digest)));
    // Sustained signing: a worker draws the nonces (ecdsa.ts), and its batches land between these signatures.
    for (let i = 0; i < 2000; i++) {
      signatures.push(await ecdsaSign(privateKey, digest));
      await new Promise(setImmediate);
    }
    for (const signature of signatures)
      assert.equal(
        nodeVerify("sha256", Buffer.from("kluis"), { key: publicKey, dsaEncoding: "ieee-p1363" }, signature),
        true,
      );
    const rs = new Set(signatures.map((s) => s.subarray(0, 32).toString("hex")));
    assert.equal(rs.size, signatures.length, "every signature has its own r, so its own nonce");
  });
});

describe("EMSA-PSS over a digest (crypto/rsa-pss.ts)", () => {
  const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const digest = sha256("kluis");
  const emBits = 2047;

  it("encodes what OpenSSL verifies as RSASSA-PSS (SHA-256, MGF1-SHA-256, 32-byte salt)", () => {
    const em = emsaPssEncode(digest, "sha256", emBits);
    assert.equal(em.length, 256);
    assert.equal(em[255], 0xbc);
    // s = em^d mod n, as key-algorithms.ts does on a worker.
    const s = rawPrivate(privateKey, em);
    assert.equal(
      nodeVerify(
        "sha256",
        Buffer.from("kluis"),
        { key: publicKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 },
        s,
      ),
      true,
    );
  });

  it("verifies OpenSSL's RSASSA-PSS signatures and refuses altered ones", () => {
    for (const saltLength of [32, 0, 20]) {
      const s = nodeSign("sha256", Buffer.from("kluis"), {
        key: privateKey,
        padding: constants.RSA_PKCS1_PSS_PADDING,
        saltLength,
      });
      const em = publicEncrypt({ key: publicKey, padding: constants.RSA_NO_PADDING }, s);
      assert.equal(emsaPssVerify(digest, em, "sha256", emBits), true, `salt ${saltLength}`);
      assert.equal(emsaPssVerify(sha256("other"), em, "sha256", emBits), false, `other digest, salt ${saltLength}`);
      const altered = Buffer.from(em);
      altered[100]! ^= 1;
      assert.equal(emsaPssVerify(digest, altered, "sha256", emBits), false, `altered, salt ${saltLength}`);
    }
  });

  it("is deterministic for a given salt", () => {
    const salt = Buffer.alloc(32, 7);
    assert.deepEqual(emsaPssEncode(digest, "sha256", emBits, salt), emsaPssEncode(digest, "sha256", emBits, salt));
  });
});

/** em^d mod n: node's raw private operation. */
const rawPrivate = (key: KeyObject, em: Buffer) => privateDecrypt({ key, padding: constants.RSA_NO_PADDING }, em);

describe("key algorithms by alg (crypto/key-algorithms.ts)", () => {
  it("wraps and unwraps RFC 3394's 4.1 vector (128-bit KEK, 128-bit key data)", async () => {
    const kek: algorithms.KeyMaterial = { kind: "oct", bytes: hex("000102030405060708090A0B0C0D0E0F") };
    const keyData = hex("00112233445566778899AABBCCDDEEFF");
    const wrapped = hex("1FA68B0A8112B447 AEF34BD8FB5A7B82 9D3E862371D2CFE5");
    assert.deepEqual(algorithms.wrapKey(kek, "A128KW", keyData), wrapped);
    assert.deepEqual(await algorithms.unwrapKey(kek, "A128KW", wrapped), keyData);
    const altered = Buffer.from(wrapped);
    altered[0]! ^= 1;
    await assert.rejects(algorithms.unwrapKey(kek, "A128KW", altered), KeyAlgorithmError);
  });

  it("signs PS256 and ES256 over a digest so that the other side verifies", async () => {
    const rsa: algorithms.KeyMaterial = {
      kind: "asymmetric",
      key: generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey,
    };
    const digest = sha256("kluis");
    for (const [material, alg] of [
      [rsa, "PS256"],
      [rsa, "RS256"],
      [{ kind: "asymmetric", key: P256_KEY }, "ES256"],
    ] as const) {
      const signature = await algorithms.sign(material, alg, digest);
      assert.equal(await algorithms.verify(material, alg, digest, signature), true, alg);
      assert.equal(await algorithms.verify(material, alg, sha256("other"), signature), false, alg);
    }
  });

  it("refuses with KeyAlgorithmError, not an HTTP error: an unknown alg, a digest of the wrong length, a curve mismatch", async () => {
    const ec: algorithms.KeyMaterial = { kind: "asymmetric", key: P256_KEY };
    await assert.rejects(
      algorithms.sign(ec, "XS256", sha256("x")),
      (err) => err instanceof KeyAlgorithmError && /Invalid algorithm/.test(err.message),
    );
    await assert.rejects(
      algorithms.sign(ec, "ES256", Buffer.alloc(31)),
      (err) => err instanceof KeyAlgorithmError && /digest length/.test(err.message),
    );
    await assert.rejects(
      algorithms.sign(ec, "ES384", Buffer.alloc(48)),
      (err) => err instanceof KeyAlgorithmError && /requires curve/.test(err.message),
    );
    assert.throws(() => algorithms.encrypt(ec, "A128GCM", { value: Buffer.alloc(1) }), KeyAlgorithmError);
    assert.ok(!("status" in new KeyAlgorithmError("x")));
  });
});

describe("client secrets", () => {
  it("are 40 URL-safe characters that never start with '-' or '_' (a command line would take '-x…' for a flag)", () => {
    for (let i = 0; i < 2000; i++) {
      const secret = newClientSecret();
      assert.match(secret, /^[A-Za-z0-9][A-Za-z0-9_-]{39}$/);
    }
  });
});

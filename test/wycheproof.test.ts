// Project Wycheproof's test vectors (subsets, test/vectors/README.md) through the algorithm functions Kluis's key
// operations call (crypto/key-algorithms.ts, by Key Vault's `alg`): a valid vector must pass, an invalid one must be
// refused as Key Vault refuses (verify answers false, decrypt and unwrap throw KeyAlgorithmError), an acceptable
// one may go either way but must not crash.
import assert from "node:assert/strict";
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from "node:crypto";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { KeyAlgorithmError } from "../src/crypto/algorithm-error.js";
import * as algorithms from "../src/crypto/key-algorithms.js";

interface Vector {
  tcId: number;
  comment: string;
  flags: string[];
  result: "valid" | "invalid" | "acceptable";
  msg: string;
  sig?: string;
  ct?: string;
  key?: string;
  iv?: string;
  aad?: string;
  tag?: string;
}

interface Group {
  sha?: string;
  publicKey?: { modulus?: string; publicExponent?: string };
  privateKeyJwk?: Record<string, string>;
  tests: Vector[];
}

interface VectorFile {
  source: string;
  commit: string;
  testGroups: Group[];
}

const load = (name: string): VectorFile =>
  JSON.parse(readFileSync(new URL(`vectors/wycheproof/${name}`, import.meta.url), "utf8")) as VectorFile;

const hex = (h: string | undefined) => Buffer.from(h ?? "", "hex");
const label = (v: Vector) => `tcId ${v.tcId} (${v.result}${v.comment ? `: ${v.comment}` : ""})`;
const HASHES: Record<string, string> = { "SHA-256": "sha256", "SHA-384": "sha384", "SHA-512": "sha512" };
const digestOf = (group: Group, v: Vector) =>
  createHash(HASHES[group.sha ?? ""] ?? "")
    .update(hex(v.msg))
    .digest();

const asymmetric = (key: KeyObject): algorithms.KeyMaterial => ({ kind: "asymmetric", key });
const oct = (key: string | undefined): algorithms.KeyMaterial => ({ kind: "oct", bytes: hex(key) });

function rsaPublicKey(group: Group): KeyObject {
  const n = hex(group.publicKey?.modulus).toString("base64url");
  const e = hex(group.publicKey?.publicExponent).toString("base64url");
  return createPublicKey({ key: { kty: "RSA", n, e }, format: "jwk" });
}

const rsaPrivateKey = (group: Group): KeyObject => createPrivateKey({ key: { ...group.privateKeyJwk }, format: "jwk" });

/** Every vector of a file, with its group; a file must not come out empty (a wrong path or shape would pass). */
function vectors(file: VectorFile): { group: Group; v: Vector }[] {
  const all = file.testGroups.flatMap((group) => group.tests.map((v) => ({ group, v })));
  assert.ok(all.length > 0, `${file.source} has no vectors`);
  return all;
}

describe("Wycheproof: ECDSA verify over a digest (ES256, ES384, ES512, ES256K)", () => {
  // Wycheproof's ECDSA files carry public keys only, and Kluis verifies with the key's private scalar (every Key
  // Vault key has one: ecdsa.ts), so the subset holds the signatures that are invalid whatever the key, run
  // against a key of the same curve.
  const files = [
    { name: "ecdsa_secp256r1_sha256_p1363_test.json", alg: "ES256", curve: "prime256v1" },
    { name: "ecdsa_secp384r1_sha384_p1363_test.json", alg: "ES384", curve: "secp384r1" },
    { name: "ecdsa_secp521r1_sha512_p1363_test.json", alg: "ES512", curve: "secp521r1" },
    { name: "ecdsa_secp256k1_sha256_p1363_test.json", alg: "ES256K", curve: "secp256k1" },
  ];
  for (const { name, alg, curve } of files) {
    it(`${alg}: refuses ${name}'s out-of-range, overlong and special-value signatures`, async () => {
      const key = asymmetric(generateKeyPairSync("ec", { namedCurve: curve }).privateKey);
      for (const { group, v } of vectors(load(name))) {
        assert.equal(v.result, "invalid", label(v));
        assert.equal(await algorithms.verify(key, alg, digestOf(group, v), hex(v.sig)), false, label(v));
      }
    });
  }

  it("ES512: Wycheproof's r + n and s + n (tcIds 2, 7) applied to a signature of a key Kluis holds are refused", async () => {
    // On P-521 r + n still fits the 66 bytes of a coordinate, so only the range check can refuse it (mod n it is r).
    const key = asymmetric(generateKeyPairSync("ec", { namedCurve: "secp521r1" }).privateKey);
    const digest = createHash("sha512").update("kluis").digest();
    const signature = await algorithms.sign(key, "ES512", digest);
    assert.equal(await algorithms.verify(key, "ES512", digest, signature), true);
    // n is the s of Wycheproof's tcId 13 ("r=0 and s=n").
    const special = vectors(load("ecdsa_secp521r1_sha512_p1363_test.json")).find(({ v }) => v.tcId === 13);
    const n = BigInt(`0x${hex(special?.v.sig).subarray(66).toString("hex")}`);
    const plusN = (part: Buffer) => hex((BigInt(`0x${part.toString("hex")}`) + n).toString(16).padStart(132, "0"));
    const [r, s] = [signature.subarray(0, 66), signature.subarray(66)];
    assert.equal(await algorithms.verify(key, "ES512", digest, Buffer.concat([plusN(r), s])), false, "r + n");
    assert.equal(await algorithms.verify(key, "ES512", digest, Buffer.concat([r, plusN(s)])), false, "s + n");
  });
});

describe("Wycheproof: RSA signatures over a digest (RS256, PS256)", () => {
  for (const { name, alg } of [
    { name: "rsa_signature_2048_sha256_test.json", alg: "RS256" },
    { name: "rsa_pss_2048_sha256_mgf1_32_test.json", alg: "PS256" },
  ]) {
    it(`${alg}: ${name}`, async () => {
      for (const { group, v } of vectors(load(name))) {
        const valid = await algorithms.verify(asymmetric(rsaPublicKey(group)), alg, digestOf(group, v), hex(v.sig));
        if (v.result !== "acceptable") assert.equal(valid, v.result === "valid", label(v));
      }
    });
  }
});

describe("Wycheproof: RSA decryption (RSA1_5, RSA-OAEP-256)", () => {
  for (const { name, alg } of [
    { name: "rsa_pkcs1_2048_test.json", alg: "RSA1_5" },
    { name: "rsa_oaep_2048_sha256_mgf1sha256_test.json", alg: "RSA-OAEP-256" },
  ]) {
    it(`${alg}: ${name}`, async () => {
      for (const { group, v } of vectors(load(name))) {
        const decrypting = algorithms.decrypt(asymmetric(rsaPrivateKey(group)), alg, { value: hex(v.ct) });
        if (v.result === "valid") assert.deepEqual(await decrypting, hex(v.msg), label(v));
        else await assert.rejects(decrypting, KeyAlgorithmError, label(v));
      }
    });
  }
});

describe("Wycheproof: AES key wrap (A128KW, A256KW)", () => {
  it("aes_wrap_test.json", async () => {
    for (const { v } of vectors(load("aes_wrap_test.json"))) {
      const key = oct(v.key);
      const alg = `A${hex(v.key).length * 8}KW`;
      const wrapped = (() => {
        try {
          return algorithms.wrapKey(key, alg, hex(v.msg));
        } catch (err) {
          assert.ok(err instanceof KeyAlgorithmError, label(v));
          return undefined;
        }
      })();
      if (v.result === "valid") {
        assert.deepEqual(wrapped, hex(v.ct), label(v));
        assert.deepEqual(await algorithms.unwrapKey(key, alg, hex(v.ct)), hex(v.msg), label(v));
      } else if (v.result === "invalid") {
        assert.notDeepEqual(wrapped, hex(v.ct), label(v));
        await assert.rejects(algorithms.unwrapKey(key, alg, hex(v.ct)), KeyAlgorithmError, label(v));
      } else {
        const unwrapped = await algorithms.unwrapKey(key, alg, hex(v.ct)).catch((err: unknown) => {
          assert.ok(err instanceof KeyAlgorithmError, label(v));
          return undefined;
        });
        if (unwrapped) assert.deepEqual(unwrapped, hex(v.msg), label(v));
      }
    }
  });
});

describe("Wycheproof: AES-GCM decryption (A128GCM)", () => {
  it("aes_gcm_test.json", async () => {
    for (const { v } of vectors(load("aes_gcm_test.json"))) {
      const input = { value: hex(v.ct), iv: hex(v.iv), tag: hex(v.tag), aad: hex(v.aad) };
      assert.equal(v.result, "valid", label(v));
      assert.deepEqual(await algorithms.decrypt(oct(v.key), "A128GCM", input), hex(v.msg), label(v));
      // The same ciphertext with its tag altered, or cut short, must not decrypt: Key Vault's tags are 128 bits.
      const altered = Buffer.from(input.tag);
      altered[0]! ^= 1;
      await assert.rejects(algorithms.decrypt(oct(v.key), "A128GCM", { ...input, tag: altered }), KeyAlgorithmError);
      for (const length of [4, 8, 12, 15])
        await assert.rejects(
          algorithms.decrypt(oct(v.key), "A128GCM", { ...input, tag: input.tag.subarray(0, length) }),
          KeyAlgorithmError,
          `${label(v)}, tag of ${length} bytes`,
        );
    }
  });
});

describe("Wycheproof: AES-CBC with PKCS #7 padding (A128CBCPAD)", () => {
  it("aes_cbc_pkcs5_test.json", async () => {
    for (const { v } of vectors(load("aes_cbc_pkcs5_test.json"))) {
      const decrypting = algorithms.decrypt(oct(v.key), "A128CBCPAD", { value: hex(v.ct), iv: hex(v.iv) });
      if (v.result === "valid") {
        const encrypted = algorithms.encrypt(oct(v.key), "A128CBCPAD", { value: hex(v.msg), iv: hex(v.iv) });
        assert.deepEqual(encrypted.value, hex(v.ct), label(v));
        assert.deepEqual(await decrypting, hex(v.msg), label(v));
      } else await assert.rejects(decrypting, KeyAlgorithmError, label(v));
    }
  });
});

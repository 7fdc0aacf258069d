// Issue 12, parts 2, 4 and 8: input bounds and parsing. Azure's limits on every write path of secrets, keys and
// certificates, imported key pairs whose parts must belong together, request strings that name no object member,
// linear-time parsing of hostile PEM and role wildcards, and strict decoding at the identity endpoints.
import assert from "node:assert/strict";
import { generateKeyPairSync, type KeyObject } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { accessToken, rawRequest, type RawResponse } from "./helpers/http.js";
import { Kluis } from "./helpers/kluis.js";
import { OpenSsl } from "./helpers/openssl.js";

const API = "api-version=7.5";
const HOST = "boundsvault.localhost";

/** Key Vault's 400 for a value out of bounds, naming the property. */
function assertInvalid(res: RawResponse, property: string | RegExp, context: string): void {
  assert.equal(res.status, 400, `${context}: ${JSON.stringify(res.body)}`);
  assert.equal(res.body.error.code, "BadParameter", context);
  assert.match(
    res.body.error.message,
    typeof property === "string"
      ? new RegExp(`Property has invalid value: ${property.replace(/[.[\]]/g, "\\$&")}`)
      : property,
    context,
  );
}

/** Entra's 400 for a request it cannot read. */
function assertEntraInvalidRequest(res: RawResponse, context: string): void {
  assert.equal(res.status, 400, `${context}: ${JSON.stringify(res.body)}`);
  assert.equal(res.body.error, "invalid_request", context);
  assert.match(res.body.error_description, /^AADSTS900144: /, context);
  assert.deepEqual(res.body.error_codes, [900144], context);
}

const jwkOf = (key: KeyObject) => key.export({ format: "jwk" }) as Record<string, string>;

describe("input bounds and parsing (issue 12)", () => {
  let kluis: Kluis;
  let token: string;
  let openssl: OpenSsl;
  const send = (method: string, path: string, body?: unknown) =>
    rawRequest(kluis, HOST, method, `${path}${path.includes("?") ? "&" : "?"}${API}`, {
      token,
      body: body === undefined ? undefined : JSON.stringify(body),
    });

  before(async () => {
    kluis = await Kluis.start();
    const sp = await kluis.vaultWithPrincipal("boundsvault", {
      secrets: ["all"],
      keys: ["all"],
      certificates: ["all"],
    });
    token = await accessToken(kluis, sp);
    openssl = new OpenSsl();
  });
  after(async () => {
    openssl.dispose();
    await kluis.dispose();
  });

  describe("PEM parsing (part 8)", () => {
    it("answers 2.8 MB of BEGIN lines with a 400 while /healthz is answered", { timeout: 60_000 }, async () => {
      const value = "-----BEGIN CERTIFICATE-----\n".repeat(100_000);
      const importing = send("POST", "/certificates/begins/import", { value });
      // Sent while the import is being read and parsed: a blocked event loop answers neither until the parse ends.
      const health = await rawRequest(kluis, "localhost", "GET", "/healthz");
      assert.equal(health.status, 200);
      const res = await importing;
      assert.equal(res.status, 400);
      assert.equal(res.body.error.code, "BadParameter");
      assert.match(res.body.error.message, /PEM/);
      assert.equal((await send("GET", "/certificates/begins")).status, 404);
    });

    it("refuses a block without its END line, and still imports key and chain in any order around other text", async () => {
      openssl.makeCa();
      openssl.makeLeaf("pemleaf");
      const key = openssl.read("pemleaf.key").toString();
      const leaf = openssl.read("pemleaf.pem").toString();
      const ca = openssl.read("ca.pem").toString();
      const unterminated = await send("POST", "/certificates/unterminated/import", {
        value: `${key}${leaf.replace("-----END CERTIFICATE-----", "")}`,
      });
      assert.equal(unterminated.status, 400);
      assert.match(unterminated.body.error.message, /END line/);
      const mismatched = await send("POST", "/certificates/mismatched/import", {
        value: `${key}${leaf.replace("END CERTIFICATE", "END X509 CRL")}`,
      });
      assert.equal(mismatched.status, 400);
      const ok = await send("POST", "/certificates/pem-ok/import", {
        value: `Bag Attributes\n${ca}\n${key}subject=/CN=x\n${leaf}`,
      });
      assert.equal(ok.status, 200, JSON.stringify(ok.body));
      assert.equal(ok.body.policy.secret_props.contentType, "application/x-pem-file");
    });
  });

  describe("Azure's bounds on every write path (part 2)", () => {
    const fifteen = Object.fromEntries(Array.from({ length: 15 }, (_, i) => [`t${i}`, "v"]));
    const sixteen = { ...fifteen, t15: "v" };
    /** Bodies out of bounds, each with the property the 400 must name. */
    const badParts: [string, Record<string, unknown>, string][] = [
      ["16 tags", { tags: sixteen }, "tags"],
      ["a 513-character tag name", { tags: { ["n".repeat(513)]: "v" } }, "tags"],
      ["a 257-character tag value", { tags: { big: "v".repeat(257) } }, "tags.big"],
      ["a number as tag value", { tags: { n: 1 } }, "tags.n"],
      ["exp 1e308", { attributes: { exp: 1e308 } }, "attributes.exp"],
      ["exp past 9999-12-31", { attributes: { exp: 253402300800 } }, "attributes.exp"],
      ["a negative nbf", { attributes: { nbf: -1 } }, "attributes.nbf"],
      ["a fractional nbf", { attributes: { nbf: 1.5 } }, "attributes.nbf"],
    ];
    /** At the bounds: accepted. */
    const edge = {
      tags: {
        ...Object.fromEntries(Array.from({ length: 14 }, (_, i) => [`t${i}`, "v"])),
        ["n".repeat(512)]: "v".repeat(256),
      },
      attributes: { exp: 253402300799, nbf: 0 },
    };

    const rsa = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey;
    const policy = {
      key_props: { kty: "EC", crv: "P-256" },
      x509_props: { subject: "CN=bounds" },
      issuer: { name: "Self" },
    };

    it("secrets: set and update refuse each, store nothing, and take the edges; contentType at most 255", async () => {
      for (const [what, part, property] of badParts) {
        assertInvalid(await send("PUT", "/secrets/bad-secret", { value: "v", ...part }), property, `set with ${what}`);
      }
      assertInvalid(
        await send("PUT", "/secrets/bad-secret", { value: "v", contentType: "c".repeat(256) }),
        "contentType",
        "set with a long contentType",
      );
      assert.equal((await send("GET", "/secrets/bad-secret")).status, 404, "a refused set stores nothing");

      const set = await send("PUT", "/secrets/edge-secret", { value: "v", contentType: "c".repeat(255), ...edge });
      assert.equal(set.status, 200, JSON.stringify(set.body));
      assert.equal(set.body.attributes.exp, 253402300799);
      assert.equal(Object.keys(set.body.tags).length, 15);
      for (const [what, part, property] of badParts) {
        assertInvalid(await send("PATCH", "/secrets/edge-secret", part), property, `update with ${what}`);
      }
      assertInvalid(
        await send("PATCH", "/secrets/edge-secret", { contentType: "c".repeat(256) }),
        "contentType",
        "update with a long contentType",
      );
      assert.equal(
        (await send("GET", "/secrets/edge-secret")).body.attributes.exp,
        253402300799,
        "a refused update changes nothing",
      );
    });

    it("keys: create, import and update refuse each and take the edges", async () => {
      const jwk = { ...jwkOf(rsa), key_ops: ["sign", "verify"] };
      for (const [what, part, property] of badParts) {
        assertInvalid(
          await send("POST", "/keys/bad-key/create", { kty: "EC", ...part }),
          property,
          `create with ${what}`,
        );
        assertInvalid(await send("PUT", "/keys/bad-key", { key: jwk, ...part }), property, `import with ${what}`);
      }
      assert.equal((await send("GET", "/keys/bad-key")).status, 404);
      assert.equal((await send("POST", "/keys/edge-key/create", { kty: "EC", ...edge })).status, 200);
      assert.equal((await send("PUT", "/keys/edge-import", { key: jwk, ...edge })).status, 200);
      for (const [what, part, property] of badParts) {
        assertInvalid(await send("PATCH", "/keys/edge-key", part), property, `update with ${what}`);
      }
    });

    it("certificates: create, import, update and merge refuse each", async () => {
      openssl.makeCa();
      openssl.makeLeaf("boundsleaf");
      const pem = openssl.read("boundsleaf.key").toString() + openssl.read("boundsleaf.pem").toString();
      for (const [what, part, property] of badParts) {
        assertInvalid(
          await send("POST", "/certificates/bad-cert/create", { policy, ...part }),
          property,
          `create with ${what}`,
        );
        assertInvalid(
          await send("POST", "/certificates/bad-cert/import", { value: pem, ...part }),
          property,
          `import with ${what}`,
        );
      }
      assert.equal((await send("GET", "/certificates/bad-cert")).status, 404);
      const imported = await send("POST", "/certificates/edge-cert/import", { value: pem, ...edge });
      assert.equal(imported.status, 200, JSON.stringify(imported.body));
      for (const [what, part, property] of badParts) {
        assertInvalid(await send("PATCH", "/certificates/edge-cert", part), property, `update with ${what}`);
      }
      const pending = await send("POST", "/certificates/to-merge/create", {
        policy: { ...policy, issuer: { name: "Unknown" } },
      });
      assert.equal(pending.status, 202);
      openssl.write(
        "merge.csr",
        `-----BEGIN CERTIFICATE REQUEST-----\n${pending.body.csr}\n-----END CERTIFICATE REQUEST-----\n`,
      );
      openssl.signCsr("merge.csr", "merge.pem");
      const der = openssl
        .read("merge.pem")
        .toString()
        .replace(/-----[^-]+-----|\s/g, "");
      for (const [what, part, property] of badParts) {
        assertInvalid(
          await send("POST", "/certificates/to-merge/pending/merge", { x5c: [der], ...part }),
          property,
          `merge with ${what}`,
        );
      }
    });

    it(
      "bounds a certificate policy's subject and lists, on create and on policy update",
      { timeout: 60_000 },
      async () => {
        const x509 = (props: Record<string, unknown>) => ({
          policy: { ...policy, x509_props: { subject: "CN=bounds", ...props } },
        });
        const cases: [string, Record<string, unknown>, string][] = [
          ["a 1025-character subject", { subject: `CN=${"a".repeat(1022)}` }, "policy.x509_props.subject"],
          ["200,000 RDNs", { subject: `${"CN=a,".repeat(200_000)}CN=b` }, "policy.x509_props.subject"],
          [
            "101 DNS names",
            { sans: { dns_names: Array.from({ length: 101 }, (_, i) => `h${i}.example.com`) } },
            "policy.x509_props.sans.dns_names",
          ],
          [
            "50,000 DNS names",
            { sans: { dns_names: Array.from({ length: 50_000 }, (_, i) => `h${i}.example.com`) } },
            "policy.x509_props.sans.dns_names",
          ],
          [
            "a 256-character DNS name",
            { sans: { dns_names: [`${"a".repeat(252)}.com`] } },
            "policy.x509_props.sans.dns_names",
          ],
          ["101 EKUs", { ekus: Array.from({ length: 101 }, () => "1.3.6.1.5.5.7.3.1") }, "policy.x509_props.ekus"],
        ];
        for (const [what, props, property] of cases) {
          assertInvalid(
            await send("POST", "/certificates/bad-policy/create", x509(props)),
            property,
            `create with ${what}`,
          );
        }
        assert.equal((await send("GET", "/certificates/bad-policy")).status, 404);
        const ok = await send(
          "POST",
          "/certificates/edge-policy/create",
          x509({
            subject: `CN=${"a".repeat(60)}`,
            sans: { dns_names: Array.from({ length: 100 }, (_, i) => `h${i}.example.com`) },
          }),
        );
        assert.equal(ok.status, 202, JSON.stringify(ok.body));
        for (const [what, props, property] of cases) {
          assertInvalid(
            await send("PATCH", "/certificates/edge-policy/policy", x509(props).policy),
            property,
            `policy update with ${what}`,
          );
        }
      },
    );

    it("RSA keys are 2048, 3072 or 4096 bits with exponent 65537: create, import, policies and certificate imports", async () => {
      assertInvalid(
        await send("POST", "/keys/rsa-small/create", { kty: "RSA", key_size: 1024 }),
        "key_size",
        "create RSA-1024",
      );
      assertInvalid(
        await send("POST", "/keys/rsa-small/create", { kty: "RSA", public_exponent: 3 }),
        "public_exponent",
        "create e=3",
      );
      for (const [what, options] of [
        ["RSA-512", { modulusLength: 512 }],
        ["RSA-1024", { modulusLength: 1024 }],
        ["e=3", { modulusLength: 2048, publicExponent: 3 }],
      ] as const) {
        const weak = generateKeyPairSync(
          "rsa",
          options as { modulusLength: number; publicExponent?: number },
        ).privateKey;
        assertInvalid(await send("PUT", "/keys/rsa-weak", { key: jwkOf(weak) }), "key", `import ${what}`);
      }
      assert.equal((await send("GET", "/keys/rsa-weak")).status, 404);
      assertInvalid(
        await send("POST", "/certificates/rsa-weak/create", {
          policy: { ...policy, key_props: { kty: "RSA", key_size: 1024 } },
        }),
        "policy.key_props.key_size",
        "policy RSA-1024",
      );

      openssl.run(
        "req",
        "-x509",
        "-newkey",
        "rsa:1024",
        "-nodes",
        "-keyout",
        "weak.key",
        "-out",
        "weak.pem",
        "-days",
        "30",
        "-subj",
        "/CN=weak",
      );
      openssl.run(
        "genpkey",
        "-algorithm",
        "RSA",
        "-pkeyopt",
        "rsa_keygen_bits:2048",
        "-pkeyopt",
        "rsa_keygen_pubexp:3",
        "-out",
        "e3.key",
      );
      openssl.run("req", "-x509", "-key", "e3.key", "-out", "e3.pem", "-days", "30", "-subj", "/CN=e3");
      for (const name of ["weak", "e3"]) {
        const value = openssl.read(`${name}.key`).toString() + openssl.read(`${name}.pem`).toString();
        assertInvalid(
          await send("POST", `/certificates/cert-${name}/import`, { value }),
          "value",
          `certificate import ${name}`,
        );
        assert.equal((await send("GET", `/certificates/cert-${name}`)).status, 404);
      }
    });

    it("refuses imported JWKs whose parts do not belong together", async () => {
      const a = jwkOf(generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey);
      const b = jwkOf(generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey);
      const ecA = jwkOf(generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey);
      const ecB = jwkOf(generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey);
      const y = Buffer.from(ecA.y!, "base64url");
      y[31]! ^= 1;
      const offCurve = { ...ecA, y: y.toString("base64url") };
      const cases: [string, Record<string, string>][] = [
        ["RSA n/e with another key's private parts", { ...b, n: a.n!, e: a.e! }],
        ["RSA with another key's d (the CRT parts still match)", { ...a, d: b.d! }],
        ["RSA with p and q swapped for another key's", { ...a, p: b.p!, q: b.q! }],
        ["EC d with another key's x/y", { ...ecA, d: ecB.d! }],
        ["EC x/y off the curve", offCurve],
      ];
      for (const [what, jwk] of cases) {
        const res = await send("PUT", "/keys/mismatched", { key: jwk });
        assert.equal(res.status, 400, `${what}: ${JSON.stringify(res.body)}`);
        assert.equal(res.body.error.code, "BadParameter", what);
      }
      assert.equal((await send("GET", "/keys/mismatched")).status, 404);
      assert.equal((await send("PUT", "/keys/matched", { key: a })).status, 200, "a whole key still imports");
    });

    it("bounds rotation-policy durations, so that rotated versions keep readable dates", async () => {
      assert.equal((await send("POST", "/keys/rotating/create", { kty: "EC" })).status, 200);
      const res = await send("PUT", "/keys/rotating/rotationpolicy", {
        lifetimeActions: [],
        attributes: { expiryTime: "P99999999999999999999Y" },
      });
      assertInvalid(res, "attributes.expiryTime", "a duration of 1e20 years");
      const ok = await send("PUT", "/keys/rotating/rotationpolicy", {
        lifetimeActions: [],
        attributes: { expiryTime: "P900Y" },
      });
      assert.equal(ok.status, 200, JSON.stringify(ok.body));
      const rotated = await send("POST", "/keys/rotating/rotate");
      assert.equal(rotated.status, 200);
      assert.ok(rotated.body.attributes.exp <= 253402300799);
    });
  });

  describe("request strings that name object members (part 8)", () => {
    const names = ["constructor", "__proto__", "toString", "hasOwnProperty"];

    it("answers them as unknown algorithms, key types, curves and key operations with 400", async () => {
      const key_ops = ["encrypt", "decrypt", "sign", "verify", "wrapKey", "unwrapKey"];
      for (const kty of ["RSA", "EC", "oct"])
        assert.equal((await send("POST", `/keys/proto-${kty}/create`, { kty, key_ops })).status, 200);
      for (const alg of names) {
        for (const kty of ["RSA", "EC", "oct"]) {
          for (const op of ["sign", "encrypt", "decrypt", "wrapkey", "unwrapkey"]) {
            const res = await send("POST", `/keys/proto-${kty}/${op}`, {
              alg,
              value: "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
            });
            assert.equal(res.status, 400, `${op} ${alg} on ${kty}: ${JSON.stringify(res.body)}`);
            assert.equal(res.body.error.code, "BadParameter");
          }
          const verify = await send("POST", `/keys/proto-${kty}/verify`, { alg, digest: "AAAA", value: "AAAA" });
          assert.equal(verify.status, 400, `verify ${alg} on ${kty}`);
        }
        for (const body of [{ kty: alg }, { kty: "EC", crv: alg }, { kty: "RSA", key_ops: [alg] }]) {
          const res = await send("POST", "/keys/proto-new/create", body);
          assert.equal(res.status, 400, `create ${JSON.stringify(body)}: ${JSON.stringify(res.body)}`);
          assert.equal(res.body.error.code, "BadParameter");
        }
        const imported = await send("PUT", "/keys/proto-new", {
          key: { kty: "EC", crv: alg, x: "AA", y: "AA", d: "AA" },
        });
        assert.equal(imported.status, 400, `import crv ${alg}`);
        const cert = await send("POST", "/certificates/proto-new/create", {
          policy: { key_props: { kty: "EC", crv: alg }, x509_props: { subject: "CN=p" } },
        });
        assert.equal(cert.status, 400, `certificate crv ${alg}: ${JSON.stringify(cert.body)}`);
        assert.equal(cert.body.error.code, "BadParameter");
      }
      assert.equal((await send("GET", "/keys/proto-new")).status, 404);
    });

    it("answers them as unknown resources at the token endpoint, in Entra's shape", async () => {
      const sp = await kluis.createServicePrincipal("proto-app");
      for (const scope of names) {
        const form = new URLSearchParams({
          grant_type: "client_credentials",
          client_id: sp.appId,
          client_secret: sp.password,
          scope,
        });
        const res = await rawRequest(kluis, "localhost", "POST", `/${kluis.info.tenantId}/oauth2/v2.0/token`, {
          body: form.toString(),
          headers: { "content-type": "application/x-www-form-urlencoded" },
        });
        assert.equal(res.status, 400, `scope ${scope}: ${JSON.stringify(res.body)}`);
        assert.equal(res.body.error, "invalid_resource");
      }
    });
  });

  describe("role definitions (part 8)", () => {
    it("checks a data action of many wildcards in linear time", { timeout: 60_000 }, async () => {
      const { subscriptionId } = JSON.parse(readFileSync(join(kluis.dataDir, "server.json"), "utf8")) as {
        subscriptionId: string;
      };
      // As a regular expression, 16 stars are 16 `.*` runs to share the rest of each action: hours of backtracking.
      const dataAction = `Microsoft.KeyVault/vaults/${"*".repeat(16)}!`;
      const res = await kluis.cli([
        "role",
        "definition",
        "create",
        "--role-definition",
        JSON.stringify({
          Name: "Many Wildcards",
          DataActions: [dataAction],
          NotDataActions: [],
          AssignableScopes: [`/subscriptions/${subscriptionId}`],
        }),
      ]);
      assert.equal(res.code, 1, res.stdout);
      assert.match(res.stderr, /does not match any of the Key Vault data actions/);
      assert.equal((await rawRequest(kluis, "localhost", "GET", "/healthz")).status, 200);
    });
  });

  describe("malformed percent-encoding at the identity endpoints (part 4)", () => {
    const tokenPaths = () => [`/${kluis.info.tenantId}/oauth2/v2.0/token`, `/${kluis.info.tenantId}/oauth2/token`];
    const post = (path: string, body: string, headers: Record<string, string> = {}) =>
      rawRequest(kluis, "localhost", "POST", path, {
        body,
        headers: { "content-type": "application/x-www-form-urlencoded", ...headers },
      });

    it("answers a malformed form body with Entra's invalid_request, never echoing the value", async () => {
      for (const path of tokenPaths()) {
        for (const body of [
          "grant_type=client_credentials&client_id=app&client_secret=%E0%A4%A&scope=https%3A%2F%2Fvault.azure.net%2F.default",
          "grant_type=client_credentials&client_id=app&client_secret=%zz",
          "grant_type=%zz",
          "%zz=1&grant_type=client_credentials",
        ]) {
          const res = await post(path, body);
          assertEntraInvalidRequest(res, `${path} ${body}`);
          assert.doesNotMatch(JSON.stringify(res.body), /%E0|%zz/, "the malformed value is not echoed");
        }
      }
    });

    it("answers a malformed Basic credential with Entra's invalid_request", async () => {
      const basic = `Basic ${Buffer.from("%zz:%E0%A4%A").toString("base64")}`;
      for (const path of tokenPaths())
        assertEntraInvalidRequest(
          await post(path, "grant_type=client_credentials&scope=x", { authorization: basic }),
          path,
        );
    });

    it("answers malformed queries and authorities at the discovery endpoints in Entra's shape", async () => {
      const tenant = kluis.info.tenantId;
      for (const path of [
        "/common/discovery/instance?api-version=1.1&authorization_endpoint=%zz",
        `/common/discovery/instance?authorization_endpoint=https%3A%2F%2Fx%2F%E0%A4%A`,
        `/${tenant}/v2.0/.well-known/openid-configuration?x=%zz`,
        `/${tenant}/.well-known/openid-configuration?%E0%A4%A=1`,
        `/${tenant}/discovery/v2.0/keys?x=%E0`,
      ]) {
        assertEntraInvalidRequest(await rawRequest(kluis, "localhost", "GET", path), path);
      }
      const notUrl = await rawRequest(
        kluis,
        "localhost",
        "GET",
        "/common/discovery/instance?authorization_endpoint=not-a-url",
      );
      assert.equal(notUrl.status, 400);
      assert.equal(notUrl.body.error, "invalid_instance");
      // Well-formed requests still work.
      const ok = await rawRequest(
        kluis,
        "localhost",
        "GET",
        "/common/discovery/instance?api-version=1.1&authorization_endpoint=https%3A%2F%2Flogin.microsoftonline.com%2Fcommon%2Foauth2%2Fv2.0%2Fauthorize",
      );
      assert.equal(ok.status, 200);
      assert.equal(
        (await rawRequest(kluis, "localhost", "GET", `/${tenant}/v2.0/.well-known/openid-configuration`)).status,
        200,
      );
    });

    it("keeps Key Vault's shape for a malformed query on the data plane", async () => {
      const res = await rawRequest(kluis, HOST, "GET", `/secrets?${API}&maxresults=%zz`, { token });
      assert.ok(res.status >= 400 && res.status < 500, JSON.stringify(res.body));
      assert.equal(typeof res.body.error.code, "string");
    });
  });
});

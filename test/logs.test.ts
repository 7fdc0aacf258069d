// Secrets and private keys never appear in the server's logs, even at debug level and on the error paths: secret
// values, imported private keys, PFX passwords, client secrets and bearer tokens are sent, then searched for in
// everything the server printed.
import assert from "node:assert/strict";
import { generateKeyPairSync, randomBytes } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { CertificateClient, DefaultCertificatePolicy } from "@azure/keyvault-certificates";
import { KeyClient } from "@azure/keyvault-keys";
import { SecretClient } from "@azure/keyvault-secrets";
import { accessToken, rawRequest } from "./helpers/http.js";
import { Kluis, type ServicePrincipal } from "./helpers/kluis.js";
import { OpenSsl } from "./helpers/openssl.js";
import { clientOptions, credentialFor, vaultUrl } from "./helpers/sdk.js";

describe("logs", () => {
  let kluis: Kluis;
  let sp: ServicePrincipal;
  const openssl = new OpenSsl();

  before(async () => {
    kluis = await Kluis.start({ args: ["--log-level", "debug"] });
    sp = await kluis.vaultWithPrincipal("logvault", {
      secrets: ["get", "set", "list"],
      keys: ["get", "import", "create", "sign"],
      certificates: ["get", "create", "import"],
    });
  });
  after(() => kluis.dispose());

  it("hold no secret value, private key, password, client secret or token, even at debug level", async () => {
    const credential = credentialFor(kluis, sp);
    const secrets = new SecretClient(vaultUrl("logvault"), credential, clientOptions(kluis));
    const keys = new KeyClient(vaultUrl("logvault"), credential, clientOptions(kluis));
    const certificates = new CertificateClient(vaultUrl("logvault"), credential, clientOptions(kluis));

    const value = `value-${randomBytes(12).toString("hex")}`;
    await secrets.setSecret("logged", value);
    assert.equal((await secrets.getSecret("logged")).value, value);

    const { privateKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
    const jwk = privateKey.export({ format: "jwk" }) as Record<string, string>;
    const d = new Uint8Array(Buffer.from(jwk.d!, "base64url"));
    await keys.importKey("imported", {
      kty: "EC",
      crv: "P-256",
      x: Buffer.from(jwk.x!, "base64url"),
      y: Buffer.from(jwk.y!, "base64url"),
      d,
    });

    const password = `pwd-${randomBytes(8).toString("hex")}`;
    openssl.run(
      "req",
      "-x509",
      "-newkey",
      "rsa:2048",
      "-nodes",
      "-keyout",
      "leaf.key",
      "-out",
      "leaf.pem",
      "-days",
      "30",
      "-subj",
      "/CN=logged",
    );
    openssl.run(
      "pkcs12",
      "-export",
      "-inkey",
      "leaf.key",
      "-in",
      "leaf.pem",
      "-out",
      "leaf.pfx",
      "-passout",
      `pass:${password}`,
    );
    await certificates.importCertificate("imported", openssl.read("leaf.pfx"), { password });
    await (await certificates.beginCreateCertificate("created", DefaultCertificatePolicy)).pollUntilDone();
    const pfx = (await secrets.getSecret("created")).value!;

    // Error paths: a body that is not JSON but holds the value, a bad version, a forbidden write.
    const token = await accessToken(kluis, sp);
    await rawRequest(kluis, "logvault.localhost", "PUT", "/secrets/broken?api-version=7.5", {
      token,
      body: `{"value": "${value}"`,
    });
    await rawRequest(kluis, "logvault.localhost", "PUT", "/keys/bad?api-version=7.5", {
      token,
      body: JSON.stringify({ key: { kty: "EC", d: jwk.d } }),
    });
    await rawRequest(kluis, "logvault.localhost", "DELETE", "/secrets/logged?api-version=7.5", { token });
    await kluis.restart();

    const logs = kluis.output;
    assert.match(logs, /"url":"\/secrets\/logged/, "every request was logged");
    const forbidden: [string, string][] = [
      ["secret value", value],
      ["private key d", jwk.d!],
      ["PFX password", password],
      ["certificate secret (PFX)", pfx.slice(100, 160)],
      ["client secret", sp.password],
      ["bearer token", token.split(".")[2]!],
    ];
    for (const [what, text] of forbidden) assert.ok(!logs.includes(text), `the logs hold the ${what}`);
  });
});

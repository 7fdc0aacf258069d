// The ceiling for the secret figures: a bare Fastify HTTPS server (same TLS certificate as Kluis) that answers
// GET and PUT with fixed JSON bodies of the sizes Kluis answers with; and for ES256, the same server signing the
// request's digest with a P-256 key per request (Key Vault's sign body in, its answer out). Prints its port on stdout.
// Usage: node bench/bare-server.mjs CERT_PEM KEY_PEM GET_BODY_BYTES PUT_BODY_BYTES [PORT]
import { generateKeyPairSync, sign } from "node:crypto";
import { readFileSync } from "node:fs";
import Fastify from "fastify";

const [certFile, keyFile, getSize, putSize, port = "0"] = process.argv.slice(2);

/** A JSON object of exactly `size` bytes: {"value":"xxx…"}. */
function body(size) {
  const overhead = JSON.stringify({ value: "" }).length;
  return JSON.stringify({ value: "x".repeat(Math.max(0, Number(size) - overhead)) });
}
const getBody = body(getSize);
const putBody = body(putSize);

const app = Fastify({ https: { cert: readFileSync(certFile), key: readFileSync(keyFile) }, logger: false });
app.get("/secrets/:name", async (_req, reply) => reply.type("application/json; charset=utf-8").send(getBody));
app.put("/secrets/:name", async (_req, reply) => reply.type("application/json; charset=utf-8").send(putBody));
const ecKey = generateKeyPairSync("ec", { namedCurve: "prime256v1" }).privateKey;
app.post("/keys/:name/:version/sign", async (req) => {
  const digest = Buffer.from(req.body.value, "base64url");
  const value = sign("sha256", digest, { key: ecKey, dsaEncoding: "ieee-p1363" }).toString("base64url");
  return { kid: `https://localhost/keys/${req.params.name}/${req.params.version}`, value };
});
app.get("/healthz", async () => ({ status: "ok" })); // the start-up figure's ceiling
await app.listen({ port: Number(port), host: "localhost" });
process.stdout.write(`${app.server.address().port}\n`);
process.on("SIGTERM", () => app.close().then(() => process.exit(0)));

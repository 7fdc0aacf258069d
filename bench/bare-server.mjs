// The ceiling for the secret figures: a bare Fastify HTTPS server (same TLS certificate as Kluis) that answers
// GET and PUT with fixed JSON bodies of the sizes Kluis answers with. Prints its port on stdout.
// Usage: node bench/bare-server.mjs CERT_PEM KEY_PEM GET_BODY_BYTES PUT_BODY_BYTES [PORT]
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
app.get("/healthz", async () => ({ status: "ok" })); // the start-up figure's ceiling
await app.listen({ port: Number(port), host: "localhost" });
process.stdout.write(`${app.server.address().port}\n`);
process.on("SIGTERM", () => app.close().then(() => process.exit(0)));

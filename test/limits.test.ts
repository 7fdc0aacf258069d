// Issue 12 (part 5) and the throttling requirement: restore bodies within a memory budget, a cap on connections
// with idle ones reaped, ECDSA off the event loop, and Key Vault's throttling (429 Throttled with Retry-After).
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { request } from "node:https";
import { connect, type Socket } from "node:net";
import { connect as tlsConnect, type TLSSocket } from "node:tls";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import type { PipelinePolicy } from "@azure/core-rest-pipeline";
import { SecretClient } from "@azure/keyvault-secrets";
import { accessToken, rawRequest } from "./helpers/http.js";
import { Kluis, type ServicePrincipal } from "./helpers/kluis.js";
import { clientOptions, credentialFor, vaultUrl } from "./helpers/sdk.js";

const API = "api-version=7.5";

/** A status line of the server process: resident memory now (VmRSS) or at its peak (VmHWM), in bytes. */
function memory(kluis: Kluis, field: "VmRSS" | "VmHWM"): number {
  const pid = (JSON.parse(readFileSync(join(kluis.dataDir, "server.json"), "utf8")) as { pid: number }).pid;
  const line = readFileSync(`/proc/${pid}/status`, "utf8")
    .split("\n")
    .find((l) => l.startsWith(`${field}:`))!;
  return Number(/(\d+)\s*kB/.exec(line)![1]) * 1024;
}

/** GET /healthz; false when no answer comes within `deadlineMs` (generous: it only catches a blocked event loop). */
function healthz(kluis: Kluis, deadlineMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request(
      {
        host: "127.0.0.1",
        port: kluis.info.port,
        path: "/healthz",
        servername: "localhost",
        ca: readFileSync(kluis.caFile),
        agent: false,
        timeout: deadlineMs,
      },
      (res) => {
        res.resume();
        res.on("end", () => resolve(res.statusCode === 200));
      },
    );
    req.on("timeout", () => {
      req.destroy();
      resolve(false);
    });
    req.on("error", () => resolve(false));
    req.end();
  });
}

describe("restore bodies", () => {
  let kluis: Kluis;
  let token: string;

  before(async () => {
    kluis = await Kluis.start();
    const sp = await kluis.vaultWithPrincipal("bigrestore", { secrets: ["get", "set", "backup", "restore"] });
    token = await accessToken(kluis, sp);
  });
  after(() => kluis.dispose());

  it("reads concurrent 36 MB restores within a memory budget: the server's peak RSS stays bounded", async (t) => {
    const before = memory(kluis, "VmRSS");
    // One body for every request (the test's own memory): a blob of the right shape that no key opens.
    const body = Buffer.from(`{"value":"${randomBytes(27 * 1024 * 1024).toString("base64url")}"}`);
    const head = (host: string) =>
      `POST /secrets/restore?${API} HTTP/1.1\r\nhost: ${host}\r\nauthorization: Bearer ${token}\r\n` +
      `content-type: application/json\r\ncontent-length: ${body.length}\r\nconnection: close\r\n\r\n`;
    // Every connection is made before any body is sent, so that the test's own encryption of the bodies never
    // holds a handshake back past the server's handshake timeout.
    const sockets = await Promise.all(
      Array.from(
        { length: 16 },
        () =>
          new Promise<TLSSocket>((resolve, reject) => {
            const socket = tlsConnect(
              {
                host: "127.0.0.1",
                port: kluis.info.port,
                servername: "bigrestore.localhost",
                ca: readFileSync(kluis.caFile),
              },
              () => resolve(socket),
            );
            socket.once("error", reject);
          }),
      ),
    );
    const results = await Promise.all(
      sockets.map(
        (socket) =>
          new Promise<{ status: number; retryAfter?: string; code?: string }>((resolve, reject) => {
            const chunks: Buffer[] = [];
            socket.on("data", (d: Buffer) => chunks.push(d));
            socket.on("error", reject);
            socket.on("end", () => {
              const text = Buffer.concat(chunks).toString("utf8");
              const [headers = "", payload = ""] = text.split("\r\n\r\n");
              resolve({
                status: Number(headers.split(" ")[1]),
                retryAfter: /^retry-after: (.*)$/im.exec(headers)?.[1]?.trim(),
                code: (JSON.parse(payload) as { error: { code: string } }).error.code,
              });
            });
            socket.write(head("bigrestore.localhost"));
            socket.end(body);
          }),
      ),
    );
    for (const res of results) {
      if (res.status === 503) assert.ok(Number(res.retryAfter) > 0, "a restore turned away says when to come back");
      else assert.deepEqual([res.status, res.code], [400, "BadParameter"]);
    }
    assert.ok(results.filter((r) => r.status === 400).length >= 2, "restores waited for room rather than failing");
    const growth = memory(kluis, "VmHWM") - before;
    t.diagnostic(
      `peak RSS growth ${Math.round(growth / 1048576)} MB; statuses ${results.map((r) => r.status).join(",")}`,
    );
    // Unbounded, sixteen bodies held at once as string + parsed string + bytes + plaintext peaked far above 1 GB.
    assert.ok(growth < 600 * 1024 * 1024, `peak RSS grew by ${Math.round(growth / 1048576)} MB`);
    assert.equal((await rawRequest(kluis, "localhost", "GET", "/healthz")).status, 200);
  });

  it("parses a restore body's other members and refuses malformed JSON", async () => {
    const post = (body: string) =>
      rawRequest(kluis, "bigrestore.localhost", "POST", `/secrets/restore?${API}`, { token, body });
    await rawRequest(kluis, "bigrestore.localhost", "PUT", `/secrets/small?${API}`, { token, body: '{"value":"v"}' });
    const blob = (await rawRequest(kluis, "bigrestore.localhost", "POST", `/secrets/small/backup?${API}`, { token }))
      .body.value as string;
    for (const malformed of [`{"value":"${blob}"`, `{"value":"${blob}",}`, `{"value":"${blob}"]`]) {
      const res = await post(malformed);
      assert.deepEqual([res.status, res.body.error.code], [400, "BadParameter"], malformed.slice(-10));
    }
    assert.deepEqual((await post('{"value":42}')).status, 400);
    assert.deepEqual((await post('{"value":""}')).status, 400);
    // A taken name is a 409: the blob itself was read whole, escapes, other members and all.
    assert.equal((await post(`{ "other": {"value": "x"}, "value" : "${blob}" }`)).status, 409);
    const escaped = `\\u${blob.charCodeAt(8).toString(16).padStart(4, "0")}`;
    assert.equal((await post(`{"value":"${blob.slice(0, 8)}${escaped}${blob.slice(9)}"}`)).status, 409);
  });
});

describe("connections", () => {
  let kluis: Kluis;

  before(async () => {
    // 512, not 256: starting takes ~300 descriptors for a moment (Node's ESM loader reads a module's imports in
    // parallel), though a started server holds ~25.
    kluis = await Kluis.start({ openFilesLimit: 512 });
  });
  after(() => kluis.dispose());

  it("600 idle and handshake-stalled sockets under a 512-descriptor limit: they are reaped and honest requests succeed", async () => {
    const sockets: Socket[] = [];
    let closedByServer = 0;
    for (let i = 0; i < 600; i++) {
      const socket = connect(kluis.info.port, "127.0.0.1");
      socket.on("error", () => {});
      socket.on("close", () => closedByServer++);
      // Every third starts a TLS handshake and stalls: a record header announcing a ClientHello that never comes.
      if (i % 3 === 0) socket.on("connect", () => socket.write(Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01])));
      sockets.push(socket);
    }
    try {
      let ok = false;
      for (let attempt = 0; attempt < 40 && !ok; attempt++) {
        ok = await rawRequest(kluis, "localhost", "GET", "/healthz").then(
          (r) => r.status === 200,
          () => false,
        );
        if (!ok) await sleep(1000);
      }
      assert.ok(ok, "an honest request succeeded once idle sockets were reaped");
      for (let i = 0; i < 40 && closedByServer < sockets.length; i++) await sleep(500);
      assert.equal(closedByServer, sockets.length, "the server closed every idle socket");
      // The server still works end to end: a token and a data-plane call.
      const sp = await kluis.vaultWithPrincipal("afteridle", { secrets: ["get", "set"] });
      const token = await accessToken(kluis, sp);
      const res = await rawRequest(kluis, "afteridle.localhost", "PUT", `/secrets/s?${API}`, {
        token,
        body: '{"value":"v"}',
      });
      assert.equal(res.status, 200);
    } finally {
      for (const s of sockets) s.destroy();
    }
  });
});

describe("ECDSA off the event loop", () => {
  let kluis: Kluis;
  let token: string;

  before(async () => {
    kluis = await Kluis.start();
    const sp = await kluis.vaultWithPrincipal("ecvault", { keys: ["create", "sign", "verify"] });
    token = await accessToken(kluis, sp);
  });
  after(() => kluis.dispose());

  it("40 concurrent ES512 verifies give the right answers while /healthz answers every poll", async (t) => {
    const call = (path: string, body: unknown) =>
      rawRequest(kluis, "ecvault.localhost", "POST", `${path}?${API}`, { token, body: JSON.stringify(body) });
    const created = await call("/keys/p521/create", { kty: "EC", crv: "P-521" });
    assert.equal(created.status, 200);
    const digest = createHash("sha512").update("message").digest();
    const signed = await call("/keys/p521/sign", { alg: "ES512", value: digest.toString("base64url") });
    const signature = Buffer.from(signed.body.value as string, "base64url");
    const forged = Buffer.from(signature);
    forged[10]! ^= 1;

    let verifying = true;
    const polls: Promise<boolean>[] = [];
    const poller = (async () => {
      while (verifying && polls.length < 500) {
        polls.push(healthz(kluis, 5000));
        await sleep(50);
      }
    })();
    const verdicts = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        call("/keys/p521/verify", {
          alg: "ES512",
          digest: digest.toString("base64url"),
          value: (i % 2 ? forged : signature).toString("base64url"),
        }),
      ),
    );
    verifying = false;
    await poller;
    verdicts.forEach((res, i) => assert.deepEqual([res.status, res.body.value], [200, i % 2 === 0], `verify ${i}`));
    const answered = await Promise.all(polls);
    t.diagnostic(`${answered.filter(Boolean).length} of ${answered.length} /healthz polls answered`);
    assert.ok(answered.length > 0);
    assert.equal(
      answered.filter((a) => !a).length,
      0,
      `${answered.filter((a) => !a).length} of ${answered.length} /healthz polls went unanswered`,
    );
  });
});

describe("throttling", () => {
  let kluis: Kluis;
  let sp: ServicePrincipal;
  let other: ServicePrincipal;

  before(async () => {
    kluis = await Kluis.start({ args: ["--throttling", "write=2,caller=8"] });
    sp = await kluis.vaultWithPrincipal("throttled", { secrets: ["get", "set"] });
    other = await kluis.createServicePrincipal("throttled-other");
    await kluis.setPolicy("throttled", other.appId, { secrets: ["get"] });
  });
  after(() => kluis.dispose());

  it("answers Key Vault's 429 Throttled with Retry-After, per vault and kind, then per caller", async () => {
    const token = await accessToken(kluis, sp);
    const put = (name: string) =>
      rawRequest(kluis, "throttled.localhost", "PUT", `/secrets/${name}?${API}`, { token, body: '{"value":"v"}' });
    const get = (t: string) => rawRequest(kluis, "throttled.localhost", "GET", `/secrets/a?${API}`, { token: t });
    assert.equal((await put("a")).status, 200);
    assert.equal((await put("b")).status, 200);
    const limited = await put("c");
    assert.equal(limited.status, 429);
    assert.deepEqual(limited.body, {
      error: {
        code: "Throttled",
        message:
          "Request was not processed because too many requests were received. Reason: VaultRequestTypeLimitReached",
      },
    });
    assert.match(String(limited.headers["retry-after"]), /^[1-9]\d*$/);
    assert.ok(Number(limited.headers["retry-after"]) <= 10);
    // Reads are another kind: not limited by the writes, until this caller's own limit (8 per 10 s) is reached.
    let callerLimited;
    for (let i = 0; i < 20 && !callerLimited; i++) {
      const res = await get(token);
      if (res.status === 429) callerLimited = res;
      else assert.equal(res.status, 200);
    }
    assert.ok(callerLimited, "the caller's limit was reached");
    assert.match(callerLimited.body.error.message, /Reason: CallerRequestLimitReached$/);
    assert.ok(Number(callerLimited.headers["retry-after"]) >= 1);
    // Another caller of the same vault is not held back by the first one's requests.
    assert.equal((await get(await accessToken(kluis, other))).status, 200);
    // An unauthenticated request is a 401 challenge, never counted nor throttled.
    assert.equal((await rawRequest(kluis, "throttled.localhost", "GET", `/secrets/a?${API}`)).status, 401);
  });

  it("the JavaScript SDK's retry policy honours Retry-After and every write succeeds", async () => {
    await kluis.createVault("throttled2");
    const writer = await kluis.createServicePrincipal("throttled2-app");
    await kluis.setPolicy("throttled2", writer.appId, { secrets: ["get", "set"] });
    const statuses: number[] = [];
    const observe: PipelinePolicy = {
      name: "observe-statuses",
      async sendRequest(req, next) {
        const res = await next(req);
        statuses.push(res.status);
        return res;
      },
    };
    const client = new SecretClient(vaultUrl("throttled2"), credentialFor(kluis, writer), {
      ...clientOptions(kluis),
      additionalPolicies: [{ policy: observe, position: "perRetry" }],
    });
    for (const name of ["one", "two", "three", "four"])
      assert.equal((await client.setSecret(name, `value-${name}`)).value, `value-${name}`);
    assert.ok(statuses.includes(429), `the SDK saw a 429 (statuses: ${statuses.join(",")})`);
    assert.equal((await client.getSecret("four")).value, "value-four");
  });
});

describe("throttling weights", () => {
  let kluis: Kluis;

  before(async () => {
    kluis = await Kluis.start({ env: { KLUIS_THROTTLING: "other=4" } });
  });
  after(() => kluis.dispose());

  it("an RSA-3072 operation counts four against Azure's 'other' limit (1,000 against RSA-2048's 4,000)", async () => {
    const sp = await kluis.vaultWithPrincipal("weighted", { keys: ["create", "sign", "verify"] });
    const token = await accessToken(kluis, sp);
    const call = (path: string, body: unknown) =>
      rawRequest(kluis, "weighted.localhost", "POST", `${path}?${API}`, { token, body: JSON.stringify(body) });
    assert.equal(
      (await call("/keys/rsa3072/create", { kty: "RSA", key_size: 3072 })).status,
      200,
      "a key create is not an 'other' operation",
    );
    const digest = createHash("sha256").update("m").digest().toString("base64url");
    const first = await call("/keys/rsa3072/sign", { alg: "RS256", value: digest });
    assert.equal(first.status, 200);
    // The first sign took the whole budget of 4: the next is throttled, with the time for 4 to come back.
    const second = await call("/keys/rsa3072/sign", { alg: "RS256", value: digest });
    assert.equal(second.status, 429);
    assert.equal(second.body.error.code, "Throttled");
    assert.ok(Number(second.headers["retry-after"]) >= 1);
  });
});

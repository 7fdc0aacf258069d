// Issue 15 (part 4): GET /metrics in Prometheus's text format. Counters move by exactly the traffic sent, label values
// never carry a vault's or an object's name, only administrators or the configured bearer may scrape, and a scrape
// under load answers.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { Sealer } from "../src/crypto/sealing.js";
import { registry } from "../src/metrics/instruments.js";
import { startPurgeSweeper } from "../src/server/purge-sweeper.js";
import { openStore } from "../src/store/open.js";
import { accessToken, fetchToken, keepAliveAgent, rawRequest, type RawResponse } from "./helpers/http.js";
import { Kluis, type ServicePrincipal } from "./helpers/kluis.js";
import { type Cluster, needsPostgres, startCluster } from "./helpers/cluster.js";

const API = "api-version=7.5";

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Prometheus's text exposition format, samples only (comments skipped). */
function parseMetrics(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    assert.ok(match, `not a sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const [, key, value] of match[2]?.matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g) ?? []) labels[key!] = value!;
    samples.push({ name: match[1]!, labels, value: Number(match[3]) });
  }
  return samples;
}

/** The sum of the samples named `name` whose labels include `labels`. */
function total(samples: Sample[], name: string, labels: Record<string, string> = {}): number {
  return samples
    .filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
    .reduce((sum, s) => sum + s.value, 0);
}

function scrape(kluis: Kluis, token: string | undefined): Promise<RawResponse> {
  return rawRequest(kluis, "localhost", "GET", "/metrics", { token });
}

async function samples(kluis: Kluis, token: string): Promise<Sample[]> {
  const res = await scrape(kluis, token);
  assert.equal(res.status, 200, JSON.stringify(res.body));
  assert.match(String(res.headers["content-type"]), /^text\/plain; version=0\.0\.4/);
  return parseMetrics(res.body as string);
}

/** Where the tests keep token files (outside the servers' data directories). */
const files = mkdtempSync(join(tmpdir(), "kluis-metrics-"));
after(() => rmSync(files, { recursive: true, force: true }));

const adminOf = (kluis: Kluis) => kluis.adminCredential();

describe("/metrics", () => {
  let kluis: Kluis;
  let metricsToken: string;
  let sp: ServicePrincipal;
  let token: string;

  before(async () => {
    metricsToken = randomBytes(24).toString("base64url");
    const tokenFile = join(files, "metrics-token");
    writeFileSync(tokenFile, `${metricsToken}\n`, { mode: 0o600 });
    kluis = await Kluis.start({ args: ["--metrics-token-file", tokenFile] });
    sp = await kluis.vaultWithPrincipal("metered", { secrets: ["get", "set", "list"] });
    token = await accessToken(kluis, sp);
  });
  after(() => kluis.dispose());

  it("counts requests by operation and status, their latency, token results and sealing by exactly what was done", async () => {
    const before = await samples(kluis, metricsToken);
    for (let i = 0; i < 3; i++) {
      const res = await rawRequest(kluis, "metered.localhost", "PUT", `/secrets/counted-${i}?${API}`, {
        token,
        body: JSON.stringify({ value: `v${i}` }),
      });
      assert.equal(res.status, 200);
    }
    for (let i = 0; i < 5; i++)
      assert.equal(
        (await rawRequest(kluis, "metered.localhost", "GET", `/secrets/counted-${i % 3}?${API}`, { token })).status,
        200,
      );
    assert.equal(
      (await rawRequest(kluis, "metered.localhost", "GET", `/secrets/absent?${API}`, { token })).status,
      404,
    );
    assert.equal((await rawRequest(kluis, "metered.localhost", "GET", `/secrets/counted-0?${API}`)).status, 401);
    assert.equal((await fetchToken(kluis, { appId: sp.appId, password: "wrong" })).status, 401);
    assert.equal((await fetchToken(kluis, sp)).status, 200);
    assert.equal((await fetchToken(kluis, sp)).status, 200);
    const after = await samples(kluis, metricsToken);

    const moved = (name: string, labels: Record<string, string> = {}) =>
      total(after, name, labels) - total(before, name, labels);
    assert.equal(moved("kluis_http_requests_total", { operation: "SecretSet", class: "2xx", code: "200" }), 3);
    assert.equal(moved("kluis_http_requests_total", { operation: "SecretGet", code: "200" }), 5);
    assert.equal(moved("kluis_http_requests_total", { operation: "SecretGet", class: "4xx", code: "404" }), 1);
    assert.equal(moved("kluis_http_requests_total", { operation: "SecretGet", code: "401" }), 1);
    assert.equal(moved("kluis_http_requests_total", { operation: "SecretGet" }), 7);
    assert.equal(moved("kluis_http_request_duration_seconds_count", { operation: "SecretGet" }), 7);
    assert.equal(moved("kluis_http_request_duration_seconds_count", { operation: "SecretSet" }), 3);
    // Every request lands in the histogram's +Inf bucket.
    assert.equal(moved("kluis_http_request_duration_seconds_bucket", { operation: "SecretSet", le: "+Inf" }), 3);
    assert.equal(moved("kluis_token_requests_total", { result: "issued" }), 2);
    assert.equal(moved("kluis_token_requests_total", { result: "refused", reason: "invalid_client/7000215" }), 1);
    assert.equal(moved("kluis_token_requests_total", { result: "refused" }), 1);
    // Three values sealed, five read (each read opens at least the value).
    assert.ok(moved("kluis_sealed_store_operations_total", { operation: "seal", result: "ok" }) >= 3);
    assert.ok(moved("kluis_sealed_store_operations_total", { operation: "open", result: "ok" }) >= 5);
    assert.equal(moved("kluis_sealed_store_operations_total", { result: "failed" }), 0);
    // The other families are there, with their defaults.
    for (const name of [
      "kluis_open_connections",
      "kluis_key_pool_ready_keys",
      "kluis_key_pool_generating",
      "kluis_process_cpu_seconds_total",
      "kluis_nodejs_eventloop_lag_seconds",
    ]) {
      assert.ok(
        after.some((s) => s.name === name),
        `${name} is exported`,
      );
    }
    assert.ok(total(after, "kluis_open_connections") >= 1, "the scrape's own connection is open");
  });

  it("keeps names out of label values: 200 secrets with distinct names add no series", async () => {
    const marker = `zq${randomBytes(3).toString("hex")}`;
    const agent = keepAliveAgent(kluis, 8);
    try {
      const names = Array.from({ length: 200 }, (_, i) => `${marker}-${i}`);
      for (let i = 0; i < names.length; i += 20) {
        const batch = names.slice(i, i + 20);
        const answers = await Promise.all(
          batch.map((n) =>
            rawRequest(kluis, "metered.localhost", "PUT", `/secrets/${n}?${API}`, {
              token,
              body: '{"value":"x"}',
              agent,
            }),
          ),
        );
        assert.deepEqual(
          answers.map((a) => a.status),
          batch.map(() => 200),
        );
        await Promise.all(
          batch.map((n) =>
            rawRequest(kluis, "metered.localhost", "GET", `/secrets/${n}/versions?${API}`, { token, agent }),
          ),
        );
      }
    } finally {
      agent.destroy();
    }
    const res = await scrape(kluis, metricsToken);
    assert.equal(res.status, 200);
    const text = res.body as string;
    assert.ok(!text.includes(marker), "no series carries a secret's name");
    assert.ok(!text.includes("metered"), "no series carries the vault's name");
    const operations = new Set(
      parseMetrics(text)
        .filter((s) => s.name === "kluis_http_requests_total")
        .map((s) => s.labels.operation),
    );
    assert.ok(operations.has("SecretListVersions"));
    // Bounded by the routes, not by the names: nothing here looks like a path with a name in it.
    for (const operation of operations) assert.doesNotMatch(operation!, /counted|absent|zq/, operation);
    assert.ok(operations.size < 30, `${operations.size} operations: ${[...operations].join(", ")}`);
  });

  it("answers only the administrators and the configured bearer (401 or 403 otherwise)", async () => {
    const admin = adminOf(kluis);
    const adminManagement = await fetchToken(kluis, admin, "https://management.azure.com/.default");
    assert.equal(adminManagement.status, 200);
    assert.equal((await scrape(kluis, adminManagement.body.access_token)).status, 200);
    assert.equal((await scrape(kluis, metricsToken)).status, 200);

    const none = await scrape(kluis, undefined);
    assert.equal(none.status, 401);
    assert.equal(none.body.error.code, "AuthenticationFailed");
    // A guess of the bearer's length, and the bearer with a character changed.
    assert.equal((await scrape(kluis, randomBytes(24).toString("base64url"))).status, 401);
    assert.equal(
      (await scrape(kluis, `${metricsToken.slice(0, -1)}${metricsToken.endsWith("A") ? "B" : "A"}`)).status,
      401,
    );
    // A data-plane token (another audience) is not a management token.
    assert.equal((await scrape(kluis, token)).status, 401);
    // A principal's own management token: authenticated, but not an administrator.
    const mine = await fetchToken(kluis, sp, "https://management.azure.com/.default");
    assert.equal(mine.status, 200);
    const refused = await scrape(kluis, mine.body.access_token);
    assert.equal(refused.status, 403);
    assert.equal(refused.body.error.code, "AuthorizationFailed");
  });

  it("answers scrapes while requests are in flight (no 5xx)", async () => {
    const agent = keepAliveAgent(kluis, 16);
    try {
      const load = Array.from({ length: 200 }, (_, i) =>
        rawRequest(kluis, "metered.localhost", "GET", `/secrets/counted-${i % 3}?${API}`, { token, agent }).then(
          (r) => r.status,
        ),
      );
      const scrapes = Array.from({ length: 20 }, () => scrape(kluis, metricsToken).then((r) => r.status));
      const [loadStatuses, scrapeStatuses] = await Promise.all([Promise.all(load), Promise.all(scrapes)]);
      assert.deepEqual(new Set(loadStatuses), new Set([200]));
      assert.deepEqual(new Set(scrapeStatuses), new Set([200]));
    } finally {
      agent.destroy();
    }
  });
});

describe("/metrics with service limits", () => {
  let kluis: Kluis;

  before(async () => {
    kluis = await Kluis.start({ args: ["--throttling", "caller=3"] });
  });
  after(() => kluis.dispose());

  it("counts throttled requests by reason, as many as were answered 429", async () => {
    const sp = await kluis.vaultWithPrincipal("limited", { secrets: ["get", "set"] });
    const token = await accessToken(kluis, sp);
    const admin = await fetchToken(kluis, adminOf(kluis), "https://management.azure.com/.default");
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++)
      statuses.push((await rawRequest(kluis, "limited.localhost", "GET", `/secrets/absent?${API}`, { token })).status);
    const throttled = statuses.filter((s) => s === 429).length;
    assert.ok(throttled >= 2, `statuses ${statuses.join(",")}`);
    const after = await samples(kluis, admin.body.access_token);
    assert.equal(total(after, "kluis_throttled_requests_total", { reason: "CallerRequestLimitReached" }), throttled);
    assert.equal(total(after, "kluis_http_requests_total", { operation: "SecretGet", code: "429" }), throttled);
  });

  it("refuses to start with a metrics token file that is too short", async () => {
    const file = join(files, "short-token");
    writeFileSync(file, "short\n");
    const res = await kluis.cli([
      "server",
      "start",
      "--data-dir",
      join(files, "unused"),
      "--port",
      "0",
      "--metrics-token-file",
      file,
    ]);
    assert.equal(res.code, 1);
    assert.match(res.stderr, /at least 16 characters/);
  });
});

describe("/metrics while PostgreSQL is away", needsPostgres, () => {
  let cluster: Cluster | undefined;
  let kluis: Kluis;
  let metricsToken: string;

  before(async () => {
    metricsToken = randomBytes(24).toString("base64url");
    const tokenFile = join(files, "pg-metrics-token");
    writeFileSync(tokenFile, metricsToken, { mode: 0o600 });
    cluster = await startCluster(1, ["--metrics-token-file", tokenFile]);
    kluis = cluster.nodes[0]!;
  });
  after(() => cluster?.dispose());

  it("counts the 503s of an outage, and the configured bearer still scrapes (no database needed)", async () => {
    const sp = await kluis.vaultWithPrincipal("outage", { secrets: ["get", "set"] });
    const token = await accessToken(kluis, sp);
    assert.equal(
      (await rawRequest(kluis, "outage.localhost", "PUT", `/secrets/s?${API}`, { token, body: '{"value":"v"}' }))
        .status,
      200,
    );
    const before = await samples(kluis, metricsToken);
    cluster!.pg.stop();
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) {
      statuses.push(
        (
          await rawRequest(kluis, "outage.localhost", "PUT", `/secrets/s?${API}`, {
            token,
            body: '{"value":"w"}',
            timeoutMs: 30_000,
          })
        ).status,
      );
    }
    assert.deepEqual(statuses, [503, 503, 503]);
    const after = await samples(kluis, metricsToken);
    assert.equal(total(after, "kluis_store_unavailable_total") - total(before, "kluis_store_unavailable_total"), 3);
    assert.equal(
      total(after, "kluis_http_requests_total", { class: "5xx", code: "503" }) -
        total(before, "kluis_http_requests_total", { code: "503" }),
      3,
    );
  });
});

describe("sweep metrics", () => {
  it("count the purge sweep's runs that fail (here: its store closed) and what the runs purged", async () => {
    // In this process: the sweeps run on a timer of their own, so their counters are read from the registry here.
    const store = await openStore({ sqliteFile: join(files, "sweep.db"), sealer: new Sealer(randomBytes(32)) });
    const read = async () => parseMetrics(await registry.metrics());
    const before = await read();
    let stop = startPurgeSweeper(store, { intervalMs: 20, now: Date.now, auditRetentionDays: 90 });
    await sleep(200);
    await stop();
    const ran = await read();
    assert.equal(
      total(ran, "kluis_sweep_failures_total", { sweep: "purge" }),
      total(before, "kluis_sweep_failures_total", { sweep: "purge" }),
    );
    assert.ok(
      ran.some((s) => s.name === "kluis_sweep_actions_total" && s.labels.action === "purge"),
      "a run that purged nothing still exports the series",
    );
    await store.close();
    const errors: unknown[] = [];
    stop = startPurgeSweeper(store, { intervalMs: 20, now: Date.now, auditRetentionDays: 90 }, (err) =>
      errors.push(err),
    );
    await sleep(200);
    await stop();
    const failed = await read();
    assert.ok(errors.length >= 1);
    assert.equal(
      total(failed, "kluis_sweep_failures_total", { sweep: "purge" }) -
        total(ran, "kluis_sweep_failures_total", { sweep: "purge" }),
      errors.length,
    );
  });
});

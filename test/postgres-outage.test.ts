// Two Kluis nodes on one PostgreSQL database that goes away under a write load (a failover, a restart for an
// upgrade): both nodes stay up, answer 503 with Retry-After meanwhile, serve again by themselves once it is back, and
// lose no write they acknowledged.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { SecretClient } from "@azure/keyvault-secrets";
import { accessToken, fetchToken, rawRequest, type RawResponse } from "./helpers/http.js";
import { Kluis, type ServicePrincipal } from "./helpers/kluis.js";
import { type Cluster, needsPostgres, startCluster } from "./helpers/cluster.js";
import type { Postgres } from "./helpers/postgres.js";
import { clientOptions, credentialFor, vaultUrl } from "./helpers/sdk.js";

const API = "api-version=7.5";
const VAULT = "outagevault";
const HOST = `${VAULT}.localhost`;
/**
 * Longer than the most a request may wait on the database (5 s for a connection, then 20 s for a query that gets no
 * answer): a request still unanswered by then hangs.
 */
const HANG_MS = 40_000;
/** Writes per worker at most, so that the load is bounded whatever happens. */
const MAX_WRITES = 3000;
const WORKERS_PER_NODE = 3;

interface Write {
  node: number;
  name: string;
  value: string;
  status: number | "no answer";
}

/** Polls `check` every 100 ms until it holds; fails after `ms`. */
async function waitFor(what: string, ms: number, check: () => boolean | Promise<boolean>): Promise<void> {
  for (let waited = 0; waited < ms; waited += 100) {
    if (await check()) return;
    await sleep(100);
  }
  assert.fail(`${what} did not happen within ${ms} ms`);
}

describe("PostgreSQL outages, two nodes under load", needsPostgres, () => {
  let cluster: Cluster | undefined;
  let pg: Postgres;
  let nodes: Kluis[];
  let sp: ServicePrincipal;
  let tokens: string[];
  let adminTokens: string[];
  let vaultPath: string;
  const writes: Write[] = [];

  before(async () => {
    cluster = await startCluster(2);
    ({ pg, nodes } = cluster);
    sp = await nodes[0]!.vaultWithPrincipal(VAULT, { secrets: ["get", "set", "list"] });
    tokens = await Promise.all(nodes.map((n) => accessToken(n, sp)));
    const admin = nodes[0]!.adminCredential();
    adminTokens = await Promise.all(
      nodes.map(
        async (n) => (await fetchToken(n, admin, "https://management.azure.com/.default")).body.access_token as string,
      ),
    );
    const subscription = (
      await rawRequest(nodes[0]!, "localhost", "GET", "/subscriptions?api-version=2022-12-01", {
        token: adminTokens[0],
      })
    ).body.value[0].subscriptionId as string;
    vaultPath = `/subscriptions/${subscription}/resourceGroups/kluis/providers/Microsoft.KeyVault/vaults/${VAULT}?api-version=2023-07-01`;
  });
  after(async () => {
    if (pg?.running()) pg.signalAll("SIGCONT"); // a failed freeze test must not leave it stopped
    await cluster?.dispose();
  });

  /** Workers on both nodes PUT new secrets (each name once) until stopped; every answer is recorded. */
  function startLoad(phase: string) {
    let stopped = false;
    const worker = async (node: number, w: number) => {
      for (let i = 0; i < MAX_WRITES && !stopped; i++) {
        const name = `${phase}-n${node}-w${w}-${i}`;
        const value = randomBytes(12).toString("base64url");
        const write: Write = { node, name, value, status: "no answer" };
        writes.push(write);
        try {
          const res = await rawRequest(nodes[node]!, HOST, "PUT", `/secrets/${name}?${API}`, {
            token: tokens[node],
            body: JSON.stringify({ value }),
            timeoutMs: HANG_MS,
          });
          write.status = res.status;
          if (res.status === 503) checkUnavailable(res, "data plane");
        } catch {
          // "no answer": a hang or a dropped connection, which the checks below refuse.
        }
        await sleep(write.status === 200 ? 5 : 50);
      }
    };
    const running = nodes.flatMap((_, node) => Array.from({ length: WORKERS_PER_NODE }, (_, w) => worker(node, w)));
    const mine = () => writes.filter((w) => w.name.startsWith(`${phase}-`));
    return {
      writes: mine,
      count: (node: number, status: Write["status"]) =>
        mine().filter((w) => w.node === node && w.status === status).length,
      stop: async () => {
        stopped = true;
        await Promise.all(running);
      },
    };
  }

  function checkUnavailable(res: RawResponse, where: string): void {
    assert.equal(res.status, 503, `${where}: ${JSON.stringify(res.body)}`);
    assert.match(String(res.headers["retry-after"]), /^\d+$/, `${where}: Retry-After`);
  }

  /** What every endpoint of a node answers while the database is away; the checks run side by side. */
  async function checkDuringOutage(node: number): Promise<void> {
    const kluis = nodes[node]!;
    const get = (host: string, path: string, token?: string) =>
      rawRequest(kluis, host, "GET", path, { token, timeoutMs: HANG_MS });
    const form = new URLSearchParams({
      grant_type: "client_credentials",
      client_id: "someone",
      client_secret: "x",
      scope: "https://vault.azure.net/.default",
    });
    const [live, liveToo, ready, read, arm, token] = await Promise.all([
      get("localhost", "/healthz"),
      get("localhost", "/healthz/live"),
      get("localhost", "/healthz/ready"),
      get(HOST, `/secrets/anything?${API}`, tokens[node]),
      get("localhost", vaultPath, adminTokens[node]),
      rawRequest(kluis, "localhost", "POST", `/${kluis.info.tenantId}/oauth2/v2.0/token`, {
        body: form.toString(),
        headers: { "content-type": "application/x-www-form-urlencoded" },
        timeoutMs: HANG_MS,
      }),
    ]);
    assert.equal(live.status, 200, "/healthz (liveness) answers 200");
    assert.equal(liveToo.status, 200, "/healthz/live answers 200");
    checkUnavailable(ready, "readiness");

    checkUnavailable(read, "data plane read");
    assert.equal(read.body.error.code, "ServiceUnavailable");
    assert.equal(typeof read.body.error.message, "string");

    checkUnavailable(arm, "ARM");
    assert.equal(arm.body.error.code, "ServiceUnavailable");

    checkUnavailable(token, "token endpoint");
    assert.equal(token.body.error, "temporarily_unavailable", "Entra's shape");
    assert.match(token.body.error_description, /^AADSTS\d+: /);
  }

  /** Fails at once, with its last output, when a node process has ended. */
  function assertNodesRunning(): void {
    for (const [n, node] of nodes.entries()) assert.ok(node.running, `node ${n} ended:\n${node.output.slice(-3000)}`);
  }

  /** Takes the database away under the load, checks both nodes meanwhile, brings it back and waits for both to serve. */
  async function outage(phase: string, takeAway: () => Promise<void>, bringBack: () => Promise<void>): Promise<void> {
    const load = startLoad(phase);
    const seen = (status: Write["status"], atLeast: number[]) => () => {
      assertNodesRunning();
      return nodes.every((_, n) => load.count(n, status) >= atLeast[n]!);
    };
    try {
      await waitFor("acknowledged writes on both nodes", 60_000, seen(200, [10, 10]));
      await takeAway();
      try {
        await waitFor("503 answers to the load on both nodes", 90_000, seen(503, [3, 3]));
        await Promise.all(nodes.map((_, n) => checkDuringOutage(n)));
      } finally {
        await bringBack();
      }
      const acknowledged = nodes.map((_, n) => load.count(n, 200));
      await waitFor("both nodes ready again", 60_000, async () => {
        const answers = await Promise.all(
          nodes.map((n) => rawRequest(n, "localhost", "GET", "/healthz/ready", { timeoutMs: HANG_MS })),
        );
        return answers.every((r) => r.status === 200);
      });
      await waitFor(
        "writes acknowledged again on both nodes",
        60_000,
        seen(
          200,
          acknowledged.map((a) => a + 10),
        ),
      );
    } finally {
      await load.stop();
    }
    assertNodesRunning();
    // Every write of the load got an answer, 200 or 503: none hung, none was a 500.
    const other = load.writes().filter((w) => w.status !== 200 && w.status !== 503);
    assert.deepEqual(
      other.slice(0, 20).map((w) => `${w.name}: ${w.status}`),
      [],
      `${other.length} writes answered otherwise`,
    );
  }

  it("survives `pg_ctl stop -m fast` (sessions ended by the administrator) and serves again by itself", () =>
    outage(
      "fast",
      () => pg.stopServer("fast"),
      () => pg.startServer(),
    ));

  it("survives `pg_ctl stop -m immediate` (backends killed, crash recovery) and serves again by itself", () =>
    outage(
      "immediate",
      () => pg.stopServer("immediate"),
      () => pg.startServer(),
    ));

  it("answers 503 in bounded time while PostgreSQL hangs (frozen, connections open), and serves again when it resumes", () =>
    outage(
      "frozen",
      async () => pg.signalAll("SIGSTOP"),
      async () => pg.signalAll("SIGCONT"),
    ));

  it("lets the official SDK ride out a short outage by itself: it retries the 503 after Retry-After", async () => {
    const statuses: number[] = [];
    const client = new SecretClient(vaultUrl(VAULT), credentialFor(nodes[1]!, sp), {
      ...clientOptions(nodes[1]!),
      additionalPolicies: [
        {
          position: "perRetry",
          policy: {
            name: "record-statuses",
            sendRequest: async (request, next) => {
              const response = await next(request);
              statuses.push(response.status);
              return response;
            },
          },
        },
      ],
    });
    await client.setSecret("sdk-before", "token fetched and cached before the outage");
    await pg.stopServer("fast");
    let during: Promise<string | undefined>;
    try {
      during = client.setSecret("sdk-during", "written across the outage").then((s) => s.value);
      await waitFor("the SDK's first try answered 503", 30_000, () => statuses.includes(503));
    } finally {
      await pg.startServer();
    }
    assert.equal(await during, "written across the outage");
    assert.equal((await client.getSecret("sdk-during")).value, "written across the outage");
    assert.deepEqual(statuses.slice(-3), [503, 200, 200], "a 503, its successful retry, then the read");
  });

  it("logs the outage, briefly, and no secret value", () => {
    for (const [n, node] of nodes.entries()) {
      assert.match(node.output, /database unreachable: answering 503/, `node ${n} logs the outage`);
      // One line per 10 s while it lasts, plus one per pooled connection lost: not one per failed request.
      assert.ok(node.output.split("\n").length < 200, `node ${n} logged ${node.output.split("\n").length} lines`);
      const leaked = writes.filter((w) => node.output.includes(w.value));
      assert.deepEqual(
        leaked.map((w) => w.name),
        [],
        `node ${n} logged secret values`,
      );
    }
  });

  it("reads back every acknowledged write with its exact value, from the other node; a failed write is whole or absent", async (t) => {
    const queue = [...writes];
    const problems: string[] = [];
    const reader = async () => {
      for (let w = queue.shift(); w; w = queue.shift()) {
        const node = 1 - w.node;
        const res = await rawRequest(nodes[node]!, HOST, "GET", `/secrets/${w.name}?${API}`, {
          token: tokens[node],
          timeoutMs: HANG_MS,
        });
        if (
          w.status === 200
            ? res.status !== 200 || res.body.value !== w.value
            : !(res.status === 404 || (res.status === 200 && res.body.value === w.value))
        ) {
          problems.push(`${w.name} (written: ${w.status}) reads ${res.status} ${JSON.stringify(res.body)}`);
        }
      }
    };
    await Promise.all(Array.from({ length: 8 }, reader));
    const count = (status: Write["status"]) => writes.filter((w) => w.status === status).length;
    t.diagnostic(`${writes.length} writes: ${count(200)} acknowledged, ${count(503)} answered 503`);
    assert.deepEqual(problems.slice(0, 20), [], `${problems.length} writes read back wrong`);
    assert.ok(writes.filter((w) => w.status === 200).length >= 40);
  });
});

// Crash safety: under concurrent writes the server is killed outright (SIGKILL) at random moments, then restarted
// on the same store. Every write it acknowledged must be there with its exact value, and every version that exists
// must hold a value some client sent: nothing acknowledged is lost, nothing half-written appears.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { accessToken, keepAliveAgent, rawRequest } from "./helpers/http.js";
import { Kluis, type ServicePrincipal } from "./helpers/kluis.js";
import { type Cluster, needsPostgres, startCluster } from "./helpers/cluster.js";

const VAULT = "crash";
const HOST = `${VAULT}.localhost`;
const ROUNDS = 3;
const WRITERS = 8;
/** Writes per writer and round at most: the kill normally comes long before. */
const MAX_WRITES = 400;
/** Names per writer, so that names get several versions, and new names keep being created. */
const NAMES = 3;

interface Attempt {
  name: string;
  value: string;
  /** The version the server acknowledged (2xx), if it did. */
  version?: string;
}

/**
 * Writers that set secrets until the server dies under them; returns every attempt. The kill comes once `killAfter`
 * writes are acknowledged (plus up to 20 ms): a moment in the write stream, whatever the machine's load.
 */
async function writeUntilKilled(kluis: Kluis, token: string, round: number, killAfter: number): Promise<Attempt[]> {
  const attempts: Attempt[] = [];
  let killed = false;
  let acknowledged = 0;
  const agent = keepAliveAgent(kluis, WRITERS);
  const writer = async (w: number) => {
    for (let i = 0; i < MAX_WRITES; i++) {
      const attempt: Attempt = {
        name: `r${round}-w${w}-n${i % NAMES}`,
        value: `${round}.${w}.${i}.${randomBytes(12).toString("base64url")}`,
      };
      attempts.push(attempt);
      let res;
      try {
        res = await rawRequest(kluis, HOST, "PUT", `/secrets/${attempt.name}?api-version=7.5`, {
          token,
          agent,
          body: JSON.stringify({ value: attempt.value }),
        });
      } catch (err) {
        if (!killed) throw err; // a connection failure before the kill is a real failure
        return; // the server is gone
      }
      assert.equal(res.status, 200, `set refused: ${res.status} ${JSON.stringify(res.body)}`);
      attempt.version = String(res.body.id).split("/").pop();
      acknowledged++;
    }
  };
  let finished = false;
  const writing = Promise.all(Array.from({ length: WRITERS }, (_, w) => writer(w))).finally(() => (finished = true));
  while (acknowledged < killAfter && !finished) await sleep(2);
  await sleep(Math.random() * 20);
  killed = true;
  await kluis.stop("SIGKILL");
  await writing;
  agent.destroy();
  return attempts;
}

/** Every version of every name written: what the restarted server holds. */
async function storedVersions(kluis: Kluis, token: string, names: string[]): Promise<Map<string, Map<string, string>>> {
  const agent = keepAliveAgent(kluis, 4);
  const stored = new Map<string, Map<string, string>>();
  for (const name of names) {
    const versions = new Map<string, string>();
    let path: string | undefined = `/secrets/${name}/versions?api-version=7.5`;
    while (path) {
      const page = await rawRequest(kluis, HOST, "GET", path, { token, agent });
      if (page.status === 404) break; // never created: no write of it was acknowledged
      assert.equal(page.status, 200, JSON.stringify(page.body));
      for (const item of page.body.value as { id: string }[]) {
        const version = item.id.split("/").pop()!;
        const got = await rawRequest(kluis, HOST, "GET", `/secrets/${name}/${version}?api-version=7.5`, {
          token,
          agent,
        });
        assert.equal(got.status, 200, `${name}/${version}: ${got.status} ${JSON.stringify(got.body)}`);
        versions.set(version, got.body.value);
      }
      path = page.body.nextLink ? new URL(page.body.nextLink).pathname + new URL(page.body.nextLink).search : undefined;
    }
    stored.set(name, versions);
  }
  agent.destroy();
  return stored;
}

async function crashRounds(kluis: Kluis, sp: ServicePrincipal): Promise<void> {
  let token = await accessToken(kluis, sp);
  for (let round = 0; round < ROUNDS; round++) {
    const killAfter = 20 + Math.floor(Math.random() * 300);
    const attempts = await writeUntilKilled(kluis, token, round, killAfter);
    const acknowledged = attempts.filter((a) => a.version !== undefined);
    console.log(
      `round ${round}: killed after ${killAfter}+ acknowledged writes; ${acknowledged.length} of ${attempts.length} writes acknowledged`,
    );
    assert.ok(acknowledged.length > 0, "no write was acknowledged before the kill: the round tested nothing");

    await kluis.restart();
    token = await accessToken(kluis, sp);
    const names = [...new Set(attempts.map((a) => a.name))];
    const stored = await storedVersions(kluis, token, names);
    for (const a of acknowledged) {
      assert.equal(
        stored.get(a.name)?.get(a.version!),
        a.value,
        `acknowledged ${a.name}/${a.version} is lost or changed`,
      );
    }
    for (const [name, versions] of stored) {
      const sent = new Set(attempts.filter((a) => a.name === name).map((a) => a.value));
      for (const [version, value] of versions)
        assert.ok(sent.has(value), `${name}/${version} holds a value no client sent`);
    }
    // Every name keeps a latest version that reads back, and the server takes writes again.
    const after = await rawRequest(kluis, HOST, "PUT", `/secrets/after-r${round}?api-version=7.5`, {
      token,
      body: JSON.stringify({ value: "ok" }),
    });
    assert.equal(after.status, 200, JSON.stringify(after.body));
  }
}

describe("crash: SIGKILL under concurrent writes, SQLite", { timeout: 10 * 60_000 }, () => {
  let kluis: Kluis | undefined;
  after(async () => kluis?.dispose());

  it("keeps every acknowledged write, exactly, and no partial one", async () => {
    kluis = await Kluis.start();
    const sp = await kluis.vaultWithPrincipal(VAULT, { secrets: ["get", "set", "list"] });
    await crashRounds(kluis, sp);
  });
});

describe("crash: SIGKILL under concurrent writes, PostgreSQL", { timeout: 10 * 60_000, ...needsPostgres }, () => {
  let cluster: Cluster | undefined;
  after(() => cluster?.dispose());

  it("keeps every acknowledged write, exactly, and no partial one", async () => {
    cluster = await startCluster(1);
    const kluis = cluster.nodes[0]!;
    const sp = await kluis.vaultWithPrincipal(VAULT, { secrets: ["get", "set", "list"] });
    await crashRounds(kluis, sp);
  });
});

// The PostgreSQL store prepares its statements (src/store/postgres.ts): each is parsed once per connection under a
// name made of its text's digest. What that must survive: a table changed under a prepared `select *` by a newer
// node's migration, and a pooler between Kluis and PostgreSQL that does not keep a client's prepared statements.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { SecretClient } from "@azure/keyvault-secrets";
import { accessToken, rawRequest } from "./helpers/http.js";
import { Kluis, type ServicePrincipal } from "./helpers/kluis.js";
import { type Cluster, needsPostgres, startCluster } from "./helpers/cluster.js";
import { Postgres } from "./helpers/postgres.js";
import { PgBouncer } from "./helpers/pgbouncer.js";
import { clientOptions, credentialFor, vaultUrl } from "./helpers/sdk.js";

const VAULT = "stmtvault";
const HOST = `${VAULT}.localhost`;
/** The serving pool's default size (src/store/postgres.ts): at most this many connections hold a prepared statement. */
const POOL_SIZE = 10;

const getSecret = (node: Kluis, token: string, name: string) =>
  rawRequest(node, HOST, "GET", `/secrets/${name}?api-version=7.5`, { token });

describe("PostgreSQL prepared statements", needsPostgres, () => {
  let cluster: Cluster | undefined;
  let node: Kluis;
  let token: string;

  before(async () => {
    cluster = await startCluster(1);
    node = cluster.nodes[0]!;
    const sp = await node.vaultWithPrincipal(VAULT, { secrets: ["get", "set"] });
    token = await accessToken(node, sp);
    const put = await rawRequest(node, HOST, "PUT", "/secrets/one?api-version=7.5", {
      token,
      body: JSON.stringify({ value: "the value" }),
      headers: { "content-type": "application/json" },
    });
    assert.equal(put.status, 200, JSON.stringify(put.body));
  });
  after(() => cluster?.dispose());

  it("parses each statement once per connection, under a name made of its text's digest", async () => {
    // PostgreSQL logs every Parse, Bind and Execute with its statement's name at log_min_duration_statement = 0.
    await cluster!.pg.query("ALTER SYSTEM SET log_min_duration_statement = 0");
    await cluster!.pg.query("SELECT pg_reload_conf()");
    try {
      const logged = cluster!.pg.log().length;
      for (let i = 0; i < 40; i++) assert.equal((await getSecret(node, token, "one")).status, 200);
      const lines = cluster!.pg
        .log()
        .slice(logged)
        .split("\n")
        .filter((l) => l.includes('from "object_versions"'));
      const steps = (step: string) => lines.filter((l) => new RegExp(`\\b${step} kluis_[0-9a-f]{40}: `).test(l)).length;
      assert.ok(steps("execute") >= 40, `executed ${steps("execute")} times by name:\n${lines.slice(0, 5).join("\n")}`);
      assert.ok(steps("parse") <= POOL_SIZE, `parsed ${steps("parse")} times for 40 reads`);
      assert.equal(lines.filter((l) => l.includes("<unnamed>")).length, 0, "no read runs unnamed");
    } finally {
      await cluster!.pg.query("ALTER SYSTEM RESET log_min_duration_statement");
      await cluster!.pg.query("SELECT pg_reload_conf()");
    }
  });

  it("answers a table changed under its prepared reads with 503 at most once a connection, then serves again", async () => {
    // Every connection of the pool prepares the read first.
    await Promise.all(Array.from({ length: 20 }, () => getSecret(node, token, "one")));
    // What a newer node's migration may do: a prepared `select *` can no longer return the row type it was planned for.
    await cluster!.pg.query("ALTER TABLE object_versions ADD COLUMN probe text");
    const statuses: number[] = [];
    for (let i = 0; i < 3 * POOL_SIZE; i++) {
      const res = await getSecret(node, token, "one");
      statuses.push(res.status);
      if (res.status === 503) assert.ok(Number(res.headers["retry-after"]) > 0, "503 carries Retry-After");
      else assert.equal(res.body.value, "the value", JSON.stringify(res.body));
    }
    assert.ok(
      statuses.every((s) => s === 200 || s === 503),
      statuses.join(" "),
    );
    assert.ok(statuses.filter((s) => s === 503).length <= POOL_SIZE, statuses.join(" "));
    assert.deepEqual(statuses.slice(-POOL_SIZE), Array(POOL_SIZE).fill(200), statuses.join(" "));
    // The official SDK retries such a 503 by itself.
    await cluster!.pg.query("ALTER TABLE object_versions DROP COLUMN probe");
    const sp: ServicePrincipal = await node.createServicePrincipal("stmt-sdk");
    await node.setPolicy(VAULT, sp.appId, { secrets: ["get"] });
    const client = new SecretClient(vaultUrl(VAULT), credentialFor(node, sp), clientOptions(node));
    for (let i = 0; i < 5; i++) assert.equal((await client.getSecret("one")).value, "the value");
  });
});

describe(
  "PostgreSQL behind PgBouncer pooling transactions",
  {
    skip: (!Postgres.available() || !PgBouncer.available()) && "PostgreSQL or PgBouncer is not installed",
  },
  () => {
    let pg: Postgres | undefined;
    let bouncer: PgBouncer | undefined;
    let node: Kluis | undefined;

    before(async () => {
      pg = await Postgres.start();
      // Fewer server connections than Kluis's pool: its connections' statements run on each other's server connections.
      bouncer = await PgBouncer.start(pg, 2);
    });
    after(async () => {
      await node?.dispose();
      bouncer?.stop();
      pg?.stop();
    });

    it("serves through it: statements go unnamed once the pooler loses one, after a 503 to the calls under way", async () => {
      node = await Kluis.start({ args: ["--postgres", bouncer!.url] });
      const sp = await node.vaultWithPrincipal(VAULT, { secrets: ["get", "set"] });
      const token = await accessToken(node, sp);
      const rounds: number[][] = [];
      for (let round = 0; round < 20; round++) {
        // Eight calls at once: Kluis's connections take turns on PgBouncer's two server connections.
        const calls = Array.from({ length: 8 }, async (_, i) => {
          const name = `s${i}`;
          const value = `value ${round}`;
          const put = await rawRequest(node!, HOST, "PUT", `/secrets/${name}?api-version=7.5`, {
            token,
            body: JSON.stringify({ value }),
            headers: { "content-type": "application/json" },
          });
          const got = await getSecret(node!, token, name);
          if (put.status === 200 && got.status === 200) assert.equal(got.body.value, value);
          // A write answered 503 was not made: in the first round its name does not exist yet.
          return put.status === 503 && got.status === 404 ? [put.status] : [put.status, got.status];
        });
        rounds.push((await Promise.all(calls)).flat());
      }
      const all = rounds.flat();
      assert.ok(
        all.every((s) => s === 200 || s === 503),
        all.join(" "),
      );
      // Only the calls under way when the first statement is lost (eight at most here) find theirs gone.
      assert.ok(all.filter((s) => s === 503).length <= 8, all.join(" "));
      assert.deepEqual(rounds.slice(-10).flat(), Array(10 * 16).fill(200), all.join(" "));
    });
  },
);

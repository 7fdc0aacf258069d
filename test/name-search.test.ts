// Kluis's name search and count on Key Vault's lists (docs/clients.md, "Kluis extensions"), on a vault of 100,000
// secrets written into the store before the server starts (helpers/seed.ts): the search finds a name wherever it
// falls in the list, nextLink keeps the search, counts are exact, bad input is a 400 in Key Vault's error shape, and
// the list permission still decides. Then the same store on PostgreSQL (`kluis server copy-store`). The search
// times at 100,000 are printed (measured, not asserted).
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { performance } from "node:perf_hooks";
import { after, before, describe, it } from "node:test";
import { accessToken, rawRequest, type RawResponse } from "./helpers/http.js";
import { Kluis, type ServicePrincipal } from "./helpers/kluis.js";
import { Postgres } from "./helpers/postgres.js";
import { seedSecrets } from "./helpers/seed.js";

const VAULT = "bigvault";
const TOTAL = 100_000;
/** item-000000 … item-099999, and three names holding "needle" in other cases, spread over the list's order. */
const NEEDLES = ["a-NEEDLE-first", "item-099990-Needle", "zz-needle-last"];
const NAMES = [...Array.from({ length: TOTAL }, (_, i) => `item-${String(i).padStart(6, "0")}`), ...NEEDLES];
const nameOf = (item: { id?: string; kid?: string }) => (item.id ?? item.kid)!.split("/")[4]!;

/** Every page of a list, following nextLink; the names in order and each nextLink seen. */
async function allPages(get: (path: string) => Promise<RawResponse>, first: string) {
  const names: string[] = [];
  const links: string[] = [];
  let res = await get(first);
  for (;;) {
    assert.equal(res.status, 200, JSON.stringify(res.body));
    names.push(...res.body.value.map(nameOf));
    if (!res.body.nextLink) return { names, links };
    links.push(res.body.nextLink);
    const next = new URL(res.body.nextLink);
    res = await get(`${next.pathname}${next.search}`);
  }
}

/** The median of `runs` timings of a request, in ms. */
async function medianMs(runs: number, request: () => Promise<RawResponse>): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    assert.equal((await request()).status, 200);
    times.push(performance.now() - start);
  }
  return times.sort((a, b) => a - b)[Math.floor(runs / 2)]!;
}

/** What each store must answer; `label` names the store in the measured times. */
function searchChecks(label: string, server: () => Kluis, principals: () => { lister: string; reader: string }) {
  const get = (path: string, token = principals().lister) =>
    rawRequest(server(), `${VAULT}.localhost`, "GET", path, { token });
  const list = (collection: string, query: string) => get(`/${collection}?api-version=7.5&${query}`);

  it(`${label}: finds names on any page, case-insensitively, and counts exactly only when asked`, async () => {
    const found = await list("secrets", "kluisSearch=needle&kluisCount=true");
    assert.equal(found.status, 200, JSON.stringify(found.body));
    assert.deepEqual(found.body.value.map(nameOf), NEEDLES, "the one on page 4,000 of the plain list too");
    assert.equal(found.body.kluisCount, 3);
    assert.equal(found.body.nextLink, null);
    const upper = await list("secrets", "kluisSearch=ITEM-099990-NEEDLE");
    assert.deepEqual(upper.body.value.map(nameOf), ["item-099990-Needle"]);
    assert.equal(upper.body.kluisCount, undefined, "no count unless asked for");

    const whole = await list("secrets", "maxresults=1&kluisCount=true");
    assert.equal(whole.body.kluisCount, TOTAL + NEEDLES.length);
    assert.equal(whole.body.value.length, 1);
    assert.equal((await list("secrets", "kluisSearch=nothing-like-it&kluisCount=true")).body.kluisCount, 0);
    assert.equal((await list("certificates", "kluisCount=true")).body.kluisCount, 0);
  });

  it(`${label}: nextLink keeps the search, so paging goes through the hits only`, async () => {
    const { names, links } = await allPages(get, `/secrets?api-version=7.5&maxresults=25&kluisSearch=item-0999`);
    const expected = NAMES.filter((n) => n.toLowerCase().includes("item-0999")).sort((a, b) =>
      a.toLowerCase() < b.toLowerCase() ? -1 : 1,
    );
    assert.equal(expected.length, 101);
    assert.deepEqual(names, expected);
    assert.equal(links.length, 4);
    for (const link of links) assert.match(link, /[?&]kluisSearch=item-0999(&|$)/);
  });

  it(`${label}: searches deleted secrets and keys too`, async () => {
    const del = await rawRequest(server(), `${VAULT}.localhost`, "DELETE", "/secrets/zz-needle-last?api-version=7.5", {
      token: principals().lister,
    });
    assert.equal(del.status, 200, JSON.stringify(del.body));
    const deleted = await list("deletedsecrets", "kluisSearch=Needle&kluisCount=true");
    assert.deepEqual(deleted.body.value.map(nameOf), ["zz-needle-last"]);
    assert.equal(deleted.body.kluisCount, 1);
    assert.equal((await list("secrets", "kluisSearch=needle&kluisCount=true")).body.kluisCount, 2);
    const recovered = await rawRequest(
      server(),
      `${VAULT}.localhost`,
      "POST",
      "/deletedsecrets/zz-needle-last/recover?api-version=7.5",
      { token: principals().lister },
    );
    assert.equal(recovered.status, 200, JSON.stringify(recovered.body));

    const keys = await list("keys", "kluisSearch=NEEDLE&kluisCount=true");
    assert.deepEqual(keys.body.value.map(nameOf), ["needle-key"]);
    assert.equal(keys.body.kluisCount, 1);
    assert.equal((await list("deletedkeys", "kluisSearch=needle&kluisCount=true")).body.kluisCount, 0);
    assert.equal((await list("deletedcertificates", "kluisSearch=needle&kluisCount=true")).body.kluisCount, 0);
  });

  it(`${label}: refuses bad input with Key Vault's 400, and the search needs the list permission`, async () => {
    for (const query of [
      "kluisSearch=a%25b",
      "kluisSearch=a_b",
      "kluisSearch=a%20b",
      `kluisSearch=${"a".repeat(128)}`,
      "kluisSearch=a&kluisSearch=b",
      "kluisCount=yes",
    ]) {
      const res = await list("secrets", query);
      assert.equal(res.status, 400, query);
      assert.equal(res.body.error.code, "BadParameter", query);
      assert.match(res.body.error.message, /kluis(Search|Count)/, query);
    }
    assert.equal((await list("secrets", `kluisSearch=${"a".repeat(127)}`)).status, 200);
    assert.equal((await list("secrets", "kluisSearch=&kluisCount=false")).body.kluisCount, undefined);
    const refused = await get(`/secrets?api-version=7.5&kluisSearch=needle&kluisCount=true`, principals().reader);
    assert.equal(refused.status, 403);
    assert.equal(refused.body.error.code, "Forbidden");
    assert.equal(refused.body.value, undefined);
  });

  it(`${label}: search and count times at ${TOTAL.toLocaleString("en")} secrets (measured, not asserted)`, async () => {
    const times = {
      "search, hit near the end": await medianMs(7, () => list("secrets", "kluisSearch=item-099990")),
      "search, no hit (whole list)": await medianMs(7, () => list("secrets", "kluisSearch=nothing-like-it")),
      "search with count, 3 hits": await medianMs(7, () => list("secrets", "kluisSearch=needle&kluisCount=true")),
      "count of the whole list": await medianMs(7, () => list("secrets", "maxresults=1&kluisCount=true")),
      "first page, no search": await medianMs(7, () => list("secrets", "maxresults=25")),
    };
    for (const [what, ms] of Object.entries(times)) console.log(`${label} ${what}: ${ms.toFixed(1)} ms (median of 7)`);
    assert.equal(Object.keys(times).length, 5);
  });
}

describe(`Kluis's name search and count at ${TOTAL.toLocaleString("en")} secrets`, () => {
  const env = { KLUIS_MASTER_KEY: randomBytes(32).toString("hex") };
  let sqliteNode: Kluis;
  let pgServer: Postgres | undefined;
  let pgNode: Kluis | undefined;
  let lister: ServicePrincipal;
  let reader: ServicePrincipal;
  const tokens = { lister: "", reader: "" };

  before(async () => {
    sqliteNode = await Kluis.start({ env });
    lister = await sqliteNode.vaultWithPrincipal(VAULT, {
      secrets: ["list", "delete", "recover"],
      keys: ["list", "create"],
      certificates: ["list"],
    });
    reader = await sqliteNode.createServicePrincipal("reader-app");
    await sqliteNode.setPolicy(VAULT, reader.appId, { secrets: ["get"] });
    const token = await accessToken(sqliteNode, lister);
    for (const name of ["needle-key", "other-key"]) {
      const created = await rawRequest(
        sqliteNode,
        `${VAULT}.localhost`,
        "POST",
        `/keys/${name}/create?api-version=7.5`,
        {
          token,
          body: JSON.stringify({ kty: "EC", crv: "P-256" }),
        },
      );
      assert.equal(created.status, 200, JSON.stringify(created.body));
    }
    const start = performance.now();
    await seedSecrets(sqliteNode, VAULT, NAMES, env);
    console.log(`seeded ${NAMES.length} secrets in ${((performance.now() - start) / 1000).toFixed(1)} s`);
    tokens.lister = await accessToken(sqliteNode, lister);
    tokens.reader = await accessToken(sqliteNode, reader);
  });
  after(async () => {
    await sqliteNode?.dispose();
    await pgNode?.dispose();
    pgServer?.stop();
  });

  describe("on SQLite", () =>
    searchChecks(
      "SQLite",
      () => sqliteNode,
      () => tokens,
    ));

  describe("on PostgreSQL", { skip: !Postgres.available() && "PostgreSQL server binaries are not installed" }, () => {
    before(async () => {
      pgServer = await Postgres.start();
      await sqliteNode.stop();
      const copied = await sqliteNode.cli([
        "server",
        "copy-store",
        "--data-dir",
        sqliteNode.dataDir,
        "--to",
        pgServer.url,
      ]);
      assert.equal(copied.code, 0, copied.stderr);
      pgNode = await Kluis.start({ args: ["--postgres", pgServer.url], env });
      tokens.lister = await accessToken(pgNode, lister);
      tokens.reader = await accessToken(pgNode, reader);
    });
    searchChecks(
      "PostgreSQL",
      () => pgNode!,
      () => tokens,
    );
  });
});

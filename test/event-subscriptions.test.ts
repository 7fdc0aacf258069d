// Event subscriptions changed after they were made (Event Grid's PATCH, `kluis eventgrid event-subscription update`),
// a key rotation policy's Notify action deciding when KeyNearExpiry fires, and the per-vault limit held by racing
// creates on two PostgreSQL nodes. Receivers are real, on loopback (test/helpers/receivers.ts).
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { KeyClient } from "@azure/keyvault-keys";
import { SecretClient } from "@azure/keyvault-secrets";
import { startCluster, needsPostgres, type Cluster } from "./helpers/cluster.js";
import { shiftClock, subscriptionPath, webhook } from "./helpers/events.js";
import { Kluis, type ServicePrincipal } from "./helpers/kluis.js";
import { armRequest, eventually } from "./helpers/rbac.js";
import { ReceiverCertificates, WebhookReceiver } from "./helpers/receivers.js";
import { clientOptions, credentialFor, vaultUrl } from "./helpers/sdk.js";

const DAY = 86_400;

describe("event subscriptions: update, and a key's Notify action (SQLite)", () => {
  let certs: ReceiverCertificates;
  let hooks: WebhookReceiver;
  let kluis: Kluis;
  let sp: ServicePrincipal;

  before(async () => {
    certs = new ReceiverCertificates();
    hooks = await WebhookReceiver.start(certs);
    kluis = await Kluis.start({ args: ["--test-clock"] });
    sp = await kluis.vaultWithPrincipal("patchvault", {
      secrets: ["get", "set"],
      keys: ["get", "create", "getrotationpolicy", "setrotationpolicy"],
    });
  });
  after(async () => {
    await kluis?.dispose();
    await hooks?.close();
    certs?.dispose();
  });

  const handshakes = (prefix: string) =>
    hooks.received.filter((r) => r.headers["aeg-event-type"] === "SubscriptionValidation" && r.path.startsWith(prefix));

  it("updates a subscription with kluis eventgrid event-subscription update; a new endpoint is validated again", async () => {
    const path = await subscriptionPath(kluis, "patchvault", "patched");
    const vaultId = (await kluis.cliJson<{ id: string }>(["keyvault", "show", "--name", "patchvault"])).id;
    const created = await armRequest(
      kluis,
      "PUT",
      path,
      webhook(hooks.url("/p1"), { filter: { includedEventTypes: ["Microsoft.KeyVault.KeyNearExpiry"] } }),
    );
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const key = (await armRequest(kluis, "POST", `${path}/getSigningKey`)).body.signingKey;
    assert.equal(handshakes("/p").length, 1);
    const update = (...args: string[]) =>
      kluis.cli([
        "eventgrid",
        "event-subscription",
        "update",
        "-n",
        "patched",
        "--source-resource-id",
        vaultId,
        ...args,
      ]);

    const relabelled = await update(
      "--included-event-types",
      "Microsoft.KeyVault.SecretNewVersionCreated",
      "--subject-begins-with",
      "db-",
      "--labels",
      "a",
      "b",
    );
    assert.equal(relabelled.code, 0, relabelled.stderr);
    const shown = JSON.parse(relabelled.stdout);
    assert.equal(shown.provisioningState, "Succeeded");
    assert.deepEqual(shown.filter.includedEventTypes, ["Microsoft.KeyVault.SecretNewVersionCreated"]);
    assert.equal(shown.filter.subjectBeginsWith, "db-");
    assert.deepEqual(shown.labels, ["a", "b"]);
    assert.equal(shown.destination.endpointBaseUrl, hooks.url("/p1"));
    assert.equal(handshakes("/p").length, 1, "the same endpoint was validated again");

    const mute = await update("--endpoint", hooks.url("/mute"));
    assert.equal(mute.code, 1);
    assert.match(mute.stderr, /validation handshake failed/);
    const kept = await armRequest(kluis, "GET", path);
    assert.equal(kept.body.properties.destination.properties.endpointBaseUrl, hooks.url("/p1"));

    const moved = await update("--endpoint", hooks.url("/p2"));
    assert.equal(moved.code, 0, moved.stderr);
    assert.equal(JSON.parse(moved.stdout).destination.endpointBaseUrl, hooks.url("/p2"));
    assert.deepEqual(JSON.parse(moved.stdout).labels, ["a", "b"]);
    assert.deepEqual(
      handshakes("/p").map((r) => r.path),
      ["/p1", "/p2"],
    );
    assert.equal((await armRequest(kluis, "POST", `${path}/getSigningKey`)).body.signingKey, key);
    const secrets = new SecretClient(vaultUrl("patchvault"), credentialFor(kluis, sp), clientOptions(kluis));
    await secrets.setSecret("db-password", "v");
    await eventually(async () => assert.equal(hooks.notifications("/p2").length, 1), 10_000);
    assert.equal(hooks.notifications("/p2")[0]!.events[0].subject, "db-password");
    assert.equal(hooks.notifications("/p1").length, 0);
  });

  it("PATCH: Event Grid's flat update body, merged field by field; what Kluis cannot do is refused", async () => {
    const path = await subscriptionPath(kluis, "patchvault", "patched");
    const retried = await armRequest(kluis, "PATCH", path, { retryPolicy: { maxDeliveryAttempts: 5 } });
    assert.equal(retried.status, 201, JSON.stringify(retried.body));
    assert.equal(retried.body.properties.provisioningState, "Updating");
    assert.deepEqual(retried.body.properties.retryPolicy, { maxDeliveryAttempts: 5, eventTimeToLiveInMinutes: 1440 });
    const shown = (await armRequest(kluis, "GET", path)).body.properties;
    assert.equal(shown.provisioningState, "Succeeded");
    assert.equal(shown.filter.subjectBeginsWith, "db-");
    assert.deepEqual(shown.retryPolicy, { maxDeliveryAttempts: 5, eventTimeToLiveInMinutes: 1440 });
    for (const body of [
      { filter: "all" },
      { destination: { endpointType: "EventHub", properties: { resourceId: "x" } } },
      { destination: { endpointType: "WebHook", properties: "https://example.com" } },
      { destination: { endpointType: "WebHook", properties: { endpointUrl: "http://127.0.0.1:1/x" } } },
      { deadLetterDestination: { endpointType: "StorageBlob" } },
      { filter: { advancedFilters: [{ operatorType: "BoolEquals", key: "subject", value: true }] } },
      { retryPolicy: { maxDeliveryAttempts: 31 } },
      { labels: "one" },
      { eventDeliverySchema: "CustomInputSchema" },
    ]) {
      const res = await armRequest(kluis, "PATCH", path, body);
      assert.equal(res.status, 400, `${JSON.stringify(body)}: ${res.status} ${JSON.stringify(res.body)}`);
      assert.equal(typeof res.body.error?.message, "string");
    }
    const array = await armRequest(kluis, "PATCH", path, []);
    assert.equal(array.status, 400);
    assert.deepEqual((await armRequest(kluis, "GET", path)).body.properties, shown, "a refused PATCH changed it");
    const missing = await armRequest(kluis, "PATCH", await subscriptionPath(kluis, "patchvault", "nothere"), {});
    assert.equal(missing.status, 404);
    assert.equal(missing.body.error.code, "ResourceNotFound");
    assert.equal((await armRequest(kluis, "DELETE", path)).status, 200);
  });

  it("a key rotation policy's Notify timeBeforeExpiry decides when KeyNearExpiry fires (30 days without one)", async () => {
    const path = await subscriptionPath(kluis, "patchvault", "nearexpiry");
    const created = await armRequest(
      kluis,
      "PUT",
      path,
      webhook(hooks.url("/near"), { filter: { includedEventTypes: ["Microsoft.KeyVault.KeyNearExpiry"] } }),
    );
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const keys = new KeyClient(vaultUrl("patchvault"), credentialFor(kluis, sp), clientOptions(kluis));
    const start = Date.now();
    const expiresOn = new Date(start + 100 * DAY * 1000);
    for (const [name, notify] of [
      ["notify60", "P60D"],
      ["notify10", "P10D"],
      ["plain", undefined],
    ] as const) {
      await keys.createEcKey(name, { expiresOn });
      if (notify)
        await keys.updateKeyRotationPolicy(name, { lifetimeActions: [{ action: "Notify", timeBeforeExpiry: notify }] });
    }
    const near = () => hooks.notifications("/near").map((n) => n.events[0]);
    // The server's clock at 50, 75 and 95 days on: 50, 25 and 5 days before the keys' exp.
    const steps = [50, 75, 95];
    const expected = [["notify60"], ["notify60", "plain"], ["notify10", "notify60", "plain"]];
    for (const [i, day] of steps.entries()) {
      await shiftClock(kluis, day * DAY);
      await eventually(
        async () =>
          assert.deepEqual(
            near()
              .map((e) => e.subject)
              .sort(),
            expected[i],
          ),
        10_000,
      );
    }
    // Each fired at the first step past its time, on the server's clock: not before (nor twice).
    const firedAt = (name: string) => Date.parse(near().find((e) => e.subject === name)!.eventTime) - start;
    const stepOf = (ms: number) => steps.filter((day) => ms >= day * DAY * 1000).length - 1;
    assert.equal(stepOf(firedAt("notify60")), 0);
    assert.equal(stepOf(firedAt("plain")), 1);
    assert.equal(stepOf(firedAt("notify10")), 2);
    for (const e of near()) assert.equal(e.eventType, "Microsoft.KeyVault.KeyNearExpiry");
  });
});

describe("event subscriptions on two PostgreSQL nodes", needsPostgres, () => {
  let certs: ReceiverCertificates;
  let hooks: WebhookReceiver;
  let cluster: Cluster;

  before(async () => {
    certs = new ReceiverCertificates();
    hooks = await WebhookReceiver.start(certs);
    cluster = await startCluster(2);
  });
  after(async () => {
    await cluster?.dispose();
    await hooks?.close();
    certs?.dispose();
  });

  it("racing creates on both nodes stop at the vault's limit of 20", async () => {
    const [a, b] = cluster.nodes as [Kluis, Kluis];
    await a.createVault("racevault");
    const base = await subscriptionPath(a, "racevault");
    for (let i = 0; i < 17; i++) {
      const res = await armRequest(a, "PUT", `${base}/early-${i}`, webhook(hooks.url(`/race/${i}`)));
      assert.equal(res.status, 201, JSON.stringify(res.body));
    }
    // 3 places left, 8 creates at once, half on each node: each passes the first check, then the handshake.
    const racing = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        armRequest(i % 2 === 0 ? a : b, "PUT", `${base}/racing-${i}`, webhook(hooks.url(`/race/r${i}`))),
      ),
    );
    const statuses = racing.map((r) => r.status).sort();
    assert.deepEqual(statuses, [201, 201, 201, 400, 400, 400, 400, 400], JSON.stringify(racing.map((r) => r.body)));
    for (const r of racing.filter((r) => r.status === 400))
      assert.match(r.body.error.message, /at most 20 event subscriptions/);
    const listed = await armRequest(b, "GET", base);
    assert.equal(listed.body.value.length, 20);
    // Replacing one that is there is not a create: it passes at the limit.
    const replaced = await armRequest(b, "PUT", `${base}/early-0`, webhook(hooks.url("/race/0"), { labels: ["x"] }));
    assert.equal(replaced.status, 200, JSON.stringify(replaced.body));
  });
});

// Event Grid events and e-mail to certificate contacts, through one delivery queue, to real receivers on loopback:
// a webhook over HTTPS and an SMTP server over TLS, both with certificates from the CA Kluis trusts as its own.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { CertificateClient } from "@azure/keyvault-certificates";
import { SecretClient } from "@azure/keyvault-secrets";
import { startAzTestServer, type AzTestServer } from "./helpers/az.js";
import { shiftClock, subscriptionPath, webhook } from "./helpers/events.js";
import { fetchToken, rawRequest } from "./helpers/http.js";
import { Kluis, type ServicePrincipal } from "./helpers/kluis.js";
import { Postgres } from "./helpers/postgres.js";
import { armRequest, eventually } from "./helpers/rbac.js";
import { MailReceiver, ReceiverCertificates, signatureValid, WebhookReceiver } from "./helpers/receivers.js";
import { clientOptions, credentialFor, vaultUrl } from "./helpers/sdk.js";

const DAY = 86_400;
const SMTP_USER = "relay-user";
const SMTP_PASSWORD = `relay-${randomBytes(9).toString("hex")}`;

describe("events and e-mail (SQLite)", () => {
  let certs: ReceiverCertificates;
  let hooks: WebhookReceiver;
  let smtp: MailReceiver;
  let kluis: Kluis;
  let sp: ServicePrincipal;
  let signingKey = "";

  before(async () => {
    certs = new ReceiverCertificates();
    hooks = await WebhookReceiver.start(certs);
    smtp = await MailReceiver.start(certs, SMTP_USER, SMTP_PASSWORD);
    kluis = await Kluis.start({
      args: ["--test-clock", "--log-level", "info"],
      env: { KLUIS_SMTP_URL: `smtps://${SMTP_USER}:${SMTP_PASSWORD}@127.0.0.1:${smtp.port}?from=kluis@example.com` },
    });
    sp = await kluis.vaultWithPrincipal("eventvault", {
      certificates: ["get", "list", "create", "managecontacts"],
      secrets: ["get", "set", "list"],
    });
  });
  after(async () => {
    await kluis?.dispose();
    await hooks?.close();
    await smtp?.close();
    certs?.dispose();
  });

  it("validates a webhook before the subscription is Succeeded, and refuses endpoints it must not call", async () => {
    const path = await subscriptionPath(kluis, "eventvault", "certs");
    const mute = await armRequest(kluis, "PUT", path, webhook(hooks.url("/mute")));
    assert.equal(mute.status, 400, JSON.stringify(mute.body));
    assert.equal(mute.body.error.code, "Url validation");
    for (const url of [
      "http://127.0.0.1:1/x",
      "https://169.254.169.254/latest",
      "https://[fe80::1]/x",
      "https://[::ffff:169.254.169.254]/x",
      "https://u:p@127.0.0.1/",
    ]) {
      const res = await armRequest(kluis, "PUT", path, webhook(url));
      assert.equal(res.status, 400, `${url}: ${JSON.stringify(res.body)}`);
    }
    const bad = await armRequest(
      kluis,
      "PUT",
      path,
      webhook(hooks.url("/ok"), { filter: { includedEventTypes: ["Microsoft.Storage.BlobCreated"] } }),
    );
    assert.equal(bad.status, 400);
    assert.equal((await armRequest(kluis, "GET", path)).status, 404);

    const created = await armRequest(
      kluis,
      "PUT",
      path,
      webhook(hooks.url("/ok?token=query-secret"), {
        filter: {
          includedEventTypes: [
            "Microsoft.KeyVault.CertificateNewVersionCreated",
            "Microsoft.KeyVault.CertificateNearExpiry",
            "Microsoft.KeyVault.CertificateExpired",
          ],
        },
      }),
    );
    assert.equal(created.status, 201, JSON.stringify(created.body));
    // As Event Grid: the PUT answers Creating, the resource (already validated) says Succeeded.
    assert.equal(created.body.properties.provisioningState, "Creating");
    assert.equal((await armRequest(kluis, "GET", path)).body.properties.provisioningState, "Succeeded");
    assert.equal(created.body.properties.destination.properties.endpointBaseUrl, hooks.url("/ok"));
    assert.ok(!JSON.stringify(created.body).includes("query-secret"), "the endpoint's query is shown");
    const validation = hooks.received.find((r) => r.headers["aeg-event-type"] === "SubscriptionValidation");
    assert.ok(validation, "no validation request reached the webhook");
    assert.equal(JSON.parse(validation.body)[0].eventType, "Microsoft.EventGrid.SubscriptionValidationEvent");
    const list = await armRequest(kluis, "GET", await subscriptionPath(kluis, "eventvault"));
    assert.deepEqual(
      list.body.value.map((s: { name: string }) => s.name),
      ["certs"],
    );
    const key = await armRequest(kluis, "POST", `${path}/getSigningKey`);
    assert.equal(key.status, 200);
    signingKey = key.body.signingKey;
    // The audit log names these calls by their ARM action, as it does every ARM route without a Key Vault name.
    const audited = await kluis.cliJson<{ resultSignature: string }[]>([
      "monitor",
      "audit",
      "list",
      "--operation",
      "Microsoft.EventGrid/eventSubscriptions/write",
    ]);
    assert.ok(
      audited.some((e) => e.resultSignature === "Created"),
      JSON.stringify(audited),
    );
    assert.ok(
      audited.some((e) => e.resultSignature === "Bad Request"),
      "no refused PUT in the audit log",
    );
  });

  it("deleting a principal with access-policy entries sends VaultAccessPolicyChanged, as set-policy does", async () => {
    const path = await subscriptionPath(kluis, "eventvault", "policies");
    const created = await armRequest(
      kluis,
      "PUT",
      path,
      webhook(hooks.url("/policies"), {
        filter: { includedEventTypes: ["Microsoft.KeyVault.VaultAccessPolicyChanged"] },
      }),
    );
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const leaving = await kluis.createServicePrincipal("leaving-app");
    await kluis.setPolicy("eventvault", leaving.appId, { secrets: ["get"] });
    await eventually(async () => assert.equal(hooks.notifications("/policies").length, 1, "no event for set-policy"));
    assert.equal((await kluis.cli(["ad", "sp", "delete", "--id", leaving.appId])).code, 0);
    await eventually(async () => assert.equal(hooks.notifications("/policies").length, 2, "no event for the deletion"));
    const [event] = hooks.notifications("/policies")[1]!.events;
    assert.equal(event.eventType, "Microsoft.KeyVault.VaultAccessPolicyChanged");
    assert.equal(event.data.VaultName, "eventvault");
    assert.equal((await armRequest(kluis, "DELETE", path)).status, 200);
  });

  it("a certificate near expiry produces one CertificateNearExpiry event and one e-mail per contact", async () => {
    const certificates = new CertificateClient(vaultUrl("eventvault"), credentialFor(kluis, sp), clientOptions(kluis));
    await certificates.setContacts([{ email: "alice@example.com" }, { email: "bob@example.com" }]);
    const poller = await certificates.beginCreateCertificate("web", {
      issuerName: "Self",
      subject: "CN=web.example.com",
      validityInMonths: 12,
      lifetimeActions: [{ action: "EmailContacts", daysBeforeExpiry: 30 }],
    });
    const cert = await poller.pollUntilDone();
    const version = cert.properties.version!;
    await eventually(async () => assert.equal(hooks.notifications("/ok").length, 1), 10_000);
    const [created] = hooks.notifications("/ok");
    assert.equal(created!.events[0].eventType, "Microsoft.KeyVault.CertificateNewVersionCreated");
    assert.equal(created!.events[0].data.Version, version);
    assert.equal(created!.events[0].data.ObjectName, "web");
    assert.equal(created!.events[0].data.VaultName, "eventvault");
    assert.match(created!.events[0].topic, /\/providers\/Microsoft\.KeyVault\/vaults\/eventvault$/);
    assert.ok(signatureValid(created!, signingKey), String(created!.headers["kluis-signature"]));
    assert.ok(
      !signatureValid({ ...created!, body: created!.body.replace("web", "wab") }, signingKey),
      "an altered body verifies",
    );
    assert.equal(smtp.mails.length, 0);

    const exp = cert.properties.expiresOn!.getTime();
    // 20 days before expiry: inside the 30-day window of NearExpiry and of the EmailContacts action.
    await shiftClock(kluis, Math.ceil((exp - Date.now()) / 1000) - 20 * DAY);
    await eventually(async () => {
      assert.equal(hooks.notifications("/ok").length, 2);
      assert.equal(smtp.mails.length, 2);
    }, 15_000);
    const near = hooks.notifications("/ok")[1]!.events[0];
    assert.equal(near.eventType, "Microsoft.KeyVault.CertificateNearExpiry");
    assert.equal(near.data.Version, version);
    assert.equal(near.data.EXP, Math.floor(exp / 1000));
    assert.deepEqual(smtp.mails.map((m) => m.to).sort(), [["alice@example.com"], ["bob@example.com"]]);
    for (const mail of smtp.mails) {
      assert.equal(mail.user, SMTP_USER);
      assert.equal(mail.from, "kluis@example.com");
      assert.match(mail.data, /Subject: Certificate web in vault eventvault expires on/);
    }
    // Once per version: a later sweep inside the window sends nothing more; at `exp`, one Expired.
    await shiftClock(kluis, Math.ceil((exp - Date.now()) / 1000) - 10 * DAY);
    await shiftClock(kluis, Math.ceil((exp - Date.now()) / 1000) + DAY);
    await eventually(async () => assert.equal(hooks.notifications("/ok").length, 3), 15_000);
    assert.equal(hooks.notifications("/ok")[2]!.events[0].eventType, "Microsoft.KeyVault.CertificateExpired");
    assert.equal(smtp.mails.length, 2);
    assert.ok(!kluis.output.includes(SMTP_PASSWORD), "the relay's password is logged");
    assert.match(kluis.output, /certificate contacts are mailed/);
  });

  it("retries a failing webhook, then keeps a dead letter (kluis eventgrid, with az's flags)", async () => {
    const vaultId = (await kluis.cliJson<{ id: string }>(["keyvault", "show", "--name", "eventvault"])).id;
    const created = await kluis.cliJson([
      "eventgrid",
      "event-subscription",
      "create",
      "--name",
      "failing",
      "--source-resource-id",
      vaultId,
      "--endpoint",
      hooks.url("/fail"),
      "--included-event-types",
      "Microsoft.KeyVault.SecretNewVersionCreated",
      "--max-delivery-attempts",
      "3",
      "--event-delivery-schema",
      "eventgridschema",
    ]);
    assert.equal(created.provisioningState, "Succeeded");
    assert.deepEqual(created.filter.includedEventTypes, ["Microsoft.KeyVault.SecretNewVersionCreated"]);
    assert.deepEqual(created.retryPolicy, { maxDeliveryAttempts: 3, eventTimeToLiveInMinutes: 1440 });
    const listed = await kluis.cliJson<{ name: string }[]>([
      "eventgrid",
      "event-subscription",
      "list",
      "--source-resource-id",
      vaultId,
    ]);
    assert.deepEqual(listed.map((s) => s.name).sort(), ["certs", "failing"]);
    const secrets = new SecretClient(vaultUrl("eventvault"), credentialFor(kluis, sp), clientOptions(kluis));
    await secrets.setSecret("db-password", "s3cret-value");
    await eventually(async () => assert.equal(hooks.notifications("/fail").length, 1), 10_000);
    // The retries are due 10 s and then 30 s later on the server's clock: shifting it runs them at once.
    const base = 400 * DAY; // past the offsets of the test before
    await shiftClock(kluis, base + 60);
    await eventually(async () => assert.equal(hooks.notifications("/fail").length, 2), 10_000);
    await shiftClock(kluis, base + 3600);
    await eventually(async () => assert.equal(hooks.notifications("/fail").length, 3), 10_000);
    await shiftClock(kluis, base + 7200);
    const attempts = hooks.notifications("/fail");
    assert.equal(attempts.length, 3);
    assert.deepEqual(
      attempts.map((a) => a.headers["aeg-delivery-count"]),
      ["0", "1", "2"],
    );
    assert.equal(new Set(attempts.map((a) => a.events[0].id)).size, 1);
    assert.ok(!attempts[0]!.body.includes("s3cret-value"), "the event holds the value");
    const dead = await kluis.cliJson<any[]>(["eventgrid", "dead-letter", "list", "--vault", "eventvault"]);
    assert.equal(dead.length, 1, JSON.stringify(dead));
    assert.equal(dead[0].attempts, 3);
    assert.equal(dead[0].eventType, "Microsoft.KeyVault.SecretNewVersionCreated");
    assert.equal(dead[0].event[0].data.ObjectName, "db-password");
    assert.match(dead[0].lastError, /HTTP 500/);
    const badTop = await kluis.cli(["eventgrid", "dead-letter", "list", "--top", "0"]);
    assert.equal(badTop.code, 1);
    assert.match(badTop.stderr, /top must be an integer from 1 to 1000/);
    const admin = kluis.adminCredential();
    const token = (await fetchToken(kluis, admin, "https://management.azure.com/.default")).body.access_token as string;
    const metrics = await rawRequest(kluis, "localhost", "GET", "/metrics", { token });
    assert.match(metrics.body, /kluis_event_deliveries_total\{channel="webhook",result="dead_lettered"\} 1/);
    assert.match(metrics.body, /kluis_event_deliveries_total\{channel="mail",result="delivered"\} 2/);
    const shown = await kluis.cliJson([
      "eventgrid",
      "event-subscription",
      "show",
      "-n",
      "failing",
      "--source-resource-id",
      vaultId,
      "--include-signing-key",
    ]);
    assert.ok(signatureValid(attempts[0]!, shown.signingKey), "the signature does not verify");
    const deleted = await kluis.cli([
      "eventgrid",
      "event-subscription",
      "delete",
      "-n",
      "failing",
      "--source-resource-id",
      vaultId,
    ]);
    assert.equal(deleted.code, 0, deleted.stderr);
    const path = await subscriptionPath(kluis, "eventvault", "failing");
    assert.equal((await armRequest(kluis, "GET", path)).status, 404);
    assert.equal((await armRequest(kluis, "DELETE", path)).status, 204);
  });
});

describe(
  "events on PostgreSQL, two nodes",
  { skip: !Postgres.available() && "PostgreSQL server binaries are not installed" },
  () => {
    let certs: ReceiverCertificates;
    let hooks: WebhookReceiver;
    let pg: Postgres;
    let nodeA: Kluis;
    let nodeB: Kluis;
    const env = { KLUIS_MASTER_KEY: randomBytes(32).toString("hex") };

    before(async () => {
      certs = new ReceiverCertificates();
      hooks = await WebhookReceiver.start(certs);
      pg = await Postgres.start();
      const args = ["--postgres", pg.url, "--test-clock"];
      nodeA = await Kluis.start({ args, env });
      nodeB = await Kluis.start({ args, env });
    });
    after(async () => {
      await nodeA?.dispose();
      await nodeB?.dispose();
      await hooks?.close();
      pg?.stop();
      certs?.dispose();
    });

    it("delivers each event once, whichever node wrote it and however many nodes sweep", async () => {
      const sp = await nodeA.vaultWithPrincipal("pgevents", { secrets: ["get", "set", "list"] });
      const path = await subscriptionPath(nodeA, "pgevents", "all");
      const created = await armRequest(
        nodeB,
        "PUT",
        path,
        webhook(hooks.url("/cloud"), { eventDeliverySchema: "CloudEventSchemaV1_0" }),
      );
      assert.equal(created.status, 201, JSON.stringify(created.body));
      assert.ok(
        hooks.received.some((r) => r.method === "OPTIONS"),
        "no CloudEvents handshake",
      );
      assert.match(nodeA.output, /e-mail to certificate contacts is off/);
      // Another node's new subscription is seen within a second (SUBSCRIBED_VAULTS_MS).
      await new Promise((resolve) => setTimeout(resolve, 1500));
      const count = 20;
      const expires = new Date(Date.now() + 100 * DAY * 1000);
      await Promise.all(
        Array.from({ length: count }, (_, i) => {
          const node = i % 2 === 0 ? nodeA : nodeB;
          const client = new SecretClient(vaultUrl("pgevents"), credentialFor(node, sp), clientOptions(node));
          return client.setSecret(`s${i}`, "v", { expiresOn: expires });
        }),
      );
      // Both nodes sweep at once, 80 days on: each secret's NearExpiry is queued by one of them.
      await Promise.all([nodeA, nodeB].map((node) => shiftClock(node, 80 * DAY)));
      const events = () => hooks.notifications("/cloud").flatMap((n) => n.events);
      // (assert.ok without a message reads the test's source to make one: too slow inside a polling loop under tsx)
      await eventually(async () => assert.ok(events().length >= 2 * count, `${events().length} events`), 20_000);
      // Nothing more arrives: both nodes poll every second.
      await new Promise((resolve) => setTimeout(resolve, 3000));
      const all = events();
      assert.equal(all.length, 2 * count, JSON.stringify(all.map((e) => `${e.type} ${e.subject} ${e.id}`)));
      assert.equal(new Set(all.map((e) => e.id)).size, 2 * count);
      for (const type of ["Microsoft.KeyVault.SecretNewVersionCreated", "Microsoft.KeyVault.SecretNearExpiry"]) {
        const names = all.filter((e) => e.type === type).map((e) => e.subject);
        assert.equal(new Set(names).size, count, type);
      }
      assert.equal(all[0].specversion, "1.0");
      const byNode = hooks.notifications("/cloud").map((n) => n.headers["content-type"]);
      assert.ok(
        byNode.every((t) => String(t).startsWith("application/cloudevents+json")),
        byNode.join(),
      );
    });
  },
);

describe("az eventgrid event-subscription (az 2.91 from PyPI)", () => {
  let certs: ReceiverCertificates;
  let hooks: WebhookReceiver;
  let server: AzTestServer;

  before(async () => {
    certs = new ReceiverCertificates();
    hooks = await WebhookReceiver.start(certs);
    server = await startAzTestServer();
  });
  after(async () => {
    await server?.dispose();
    await hooks?.close();
    certs?.dispose();
  });

  it("creates, shows, lists, updates and deletes a vault's subscription; the vault's events reach the webhook", async () => {
    const { az, azJson } = server.shell(true);
    await azJson("login", "-u", "admin", "-p", server.admin.user.password);
    await azJson("group", "create", "-n", "rg", "-l", "westeurope");
    const vault = await azJson(
      "keyvault",
      "create",
      "-n",
      "azevents",
      "-g",
      "rg",
      "--enable-rbac-authorization",
      "false",
    );
    const created = await azJson(
      "eventgrid",
      "event-subscription",
      "create",
      "--source-resource-id",
      vault.id,
      "--name",
      "azsub",
      "--endpoint",
      hooks.url("/ok"),
      "--included-event-types",
      "Microsoft.KeyVault.SecretNewVersionCreated",
      "Microsoft.KeyVault.VaultAccessPolicyChanged",
      "--event-delivery-schema",
      "eventgridschema",
    );
    assert.equal(created.provisioningState, "Succeeded");
    assert.equal(created.destination.endpointBaseUrl, hooks.url("/ok"), JSON.stringify(created));
    assert.equal(created.destination.endpointType, "WebHook");
    assert.equal(created.topic, vault.id);
    const shown = await azJson(
      "eventgrid",
      "event-subscription",
      "show",
      "--source-resource-id",
      vault.id,
      "-n",
      "azsub",
    );
    assert.deepEqual(shown.filter.includedEventTypes, [
      "Microsoft.KeyVault.SecretNewVersionCreated",
      "Microsoft.KeyVault.VaultAccessPolicyChanged",
    ]);
    const listed = await azJson<{ name: string }[]>(
      "eventgrid",
      "event-subscription",
      "list",
      "--source-resource-id",
      vault.id,
    );
    assert.deepEqual(
      listed.map((s) => s.name),
      ["azsub"],
    );
    // az's update PATCHes what it read back (without the endpoint's URL): the same endpoint, no new handshake.
    const handshakes = () => hooks.received.filter((r) => r.headers["aeg-event-type"] === "SubscriptionValidation");
    const before = handshakes().length;
    const update = (...args: string[]) =>
      azJson("eventgrid", "event-subscription", "update", "--source-resource-id", vault.id, "-n", "azsub", ...args);
    const relabelled = await update(
      "--included-event-types",
      "Microsoft.KeyVault.VaultAccessPolicyChanged",
      "--labels",
      "ops",
    );
    assert.equal(relabelled.provisioningState, "Succeeded", JSON.stringify(relabelled));
    assert.deepEqual(relabelled.filter.includedEventTypes, ["Microsoft.KeyVault.VaultAccessPolicyChanged"]);
    assert.deepEqual(relabelled.labels, ["ops"]);
    assert.equal(relabelled.destination.endpointBaseUrl, hooks.url("/ok"));
    assert.equal(handshakes().length, before);
    // A new endpoint answers the handshake before the subscription moves to it.
    const moved = await update("--endpoint", hooks.url("/moved"));
    assert.equal(moved.destination.endpointBaseUrl, hooks.url("/moved"));
    assert.deepEqual(moved.labels, ["ops"]);
    assert.deepEqual(
      handshakes()
        .slice(before)
        .map((r) => r.path),
      ["/moved"],
    );
    const app = await azJson("ad", "sp", "create-for-rbac", "-n", "azevents-app");
    const policy = await az(
      "keyvault",
      "set-policy",
      "-n",
      "azevents",
      "--spn",
      app.appId,
      "--secret-permissions",
      "get",
      "set",
    );
    assert.equal(policy.code, 0, policy.stderr);
    await eventually(async () => {
      const types = hooks.notifications("/moved").map((n) => n.events[0].eventType);
      assert.deepEqual(types, ["Microsoft.KeyVault.VaultAccessPolicyChanged"]);
    }, 10_000);
    assert.equal(hooks.notifications("/ok").length, 0);
    const deleted = await az(
      "eventgrid",
      "event-subscription",
      "delete",
      "--source-resource-id",
      vault.id,
      "-n",
      "azsub",
    );
    assert.equal(deleted.code, 0, deleted.stderr);
    assert.deepEqual(await azJson("eventgrid", "event-subscription", "list", "--source-resource-id", vault.id), []);
  });
});

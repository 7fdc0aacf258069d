// Event subscriptions as ARM serves them, an extension resource of the vault:
// {vaultId}/providers/Microsoft.EventGrid/eventSubscriptions/{name} (what `az eventgrid event-subscription
// create|show|list|update|delete --source-resource-id VAULT_ID` calls); and the dead letters, for administrators.
import type { FastifyInstance, FastifyRequest } from "fastify";
import { managementPipeline, performs, requireAdministrator } from "../authorization/management.js";
import { getResourceGroup, getVaultInGroup, vaultResourceId } from "../http/arm.js";
import { jsonBody } from "../http/body.js";
import { topOf } from "../http/query.js";
import { queryText } from "../http/route.js";
import { KeyVaultError, badParameter } from "../http/errors.js";
import type { ServerContext } from "../identity/context.js";
import type { SubscriptionProperties } from "./model.js";
import {
  deleteSubscription,
  isSubscriptionName,
  putSubscription,
  readSubscriptionInput,
  toArmSubscription,
  updateSubscription,
} from "./subscriptions.js";

const READ = "Microsoft.EventGrid/eventSubscriptions/read";
const WRITE = "Microsoft.EventGrid/eventSubscriptions/write";
const DELETE = "Microsoft.EventGrid/eventSubscriptions/delete";
/** Reading a subscription's signing key: an action, so the Reader role (read actions only) does not get it. */
const SIGNING_KEY = "Microsoft.EventGrid/eventSubscriptions/getSigningKey/action";
const MAX_DEAD_LETTERS = 1000;

type Params = { subscriptionId: string; resourceGroup: string; vaultName: string; name?: string };

/** The subscription routes; `ca` holds the certificates a webhook's certificate may chain to (for the handshake). */
export async function eventSubscriptionRoutes(app: FastifyInstance, ctx: ServerContext, ca: string) {
  managementPipeline(app, ctx);
  const vaultPath =
    "/subscriptions/:subscriptionId/resourceGroups/:resourceGroup/providers/Microsoft.KeyVault/vaults/:vaultName";
  const all = `${vaultPath}/providers/Microsoft.EventGrid/eventSubscriptions`;
  const one = `${all}/:name`;

  /** The path's vault (ARM's 404s for its group and itself), its resource id, and the subscription's id. */
  const target = async (req: FastifyRequest) => {
    const p = req.params as Params;
    const group = await getResourceGroup(ctx.store, p.resourceGroup);
    const vault = await getVaultInGroup(ctx.store, group.name, p.vaultName);
    const topic = vaultResourceId(ctx.subscriptionId, vault);
    const id = p.name === undefined ? "" : `${topic}/providers/Microsoft.EventGrid/eventSubscriptions/${p.name}`;
    return { vault, topic, id, idKey: id.toLowerCase(), name: p.name ?? "" };
  };
  const notFound = (name: string) =>
    new KeyVaultError(404, "ResourceNotFound", `The event subscription '${name}' was not found.`);
  const existing = async (req: FastifyRequest) => {
    const t = await target(req);
    const s = await ctx.store.events.getSubscription<SubscriptionProperties>(t.idKey);
    if (!s) throw notFound(t.name);
    return { ...t, subscription: s };
  };

  app.get(all, performs(READ), async (req) => {
    const t = await target(req);
    const subscriptions = await ctx.store.events.listSubscriptions<SubscriptionProperties>(t.vault.name);
    return {
      value: subscriptions.map((s) =>
        toArmSubscription(`${t.topic}/providers/Microsoft.EventGrid/eventSubscriptions/${s.name}`, s),
      ),
    };
  });

  app.get(one, performs(READ), async (req) => {
    const t = await existing(req);
    return toArmSubscription(t.id, t.subscription);
  });

  app.put(one, performs(WRITE), async (req, reply) => {
    const t = await target(req);
    if (!isSubscriptionName(t.name))
      throw badParameter("An event subscription's name is 3 to 64 letters, digits and hyphens.");
    const properties = readSubscriptionInput(jsonBody(req), t.topic);
    const { created, subscription } = await putSubscription(
      ctx.store,
      { idKey: t.idKey, vault: t.vault.name, name: t.name, properties },
      ca,
    );
    return reply
      .code(created ? 201 : 200)
      .send(toArmSubscription(t.id, subscription, created ? "Creating" : "Updating"));
  });

  // Event Grid answers an update 201 with the resource `Updating` (the only status its SDKs accept); they then poll it.
  app.patch(one, performs(WRITE), async (req, reply) => {
    const t = await target(req);
    const updated = await updateSubscription(ctx.store, { idKey: t.idKey, name: t.name, body: jsonBody(req) }, ca);
    if (!updated) throw notFound(t.name);
    return reply.code(201).send(toArmSubscription(t.id, updated, "Updating"));
  });

  // ARM's DELETE is idempotent: a subscription that is not there is 204.
  app.delete(one, performs(DELETE), async (req, reply) => {
    const t = await target(req);
    return reply.code((await deleteSubscription(ctx.store, t.idKey)) ? 200 : 204).send();
  });

  app.post(`${one}/getSigningKey`, performs(SIGNING_KEY), async (req) => {
    const t = await existing(req);
    return { signingKey: t.subscription.secret.toString("base64"), header: "Kluis-Signature" };
  });
}

/** Dead letters (deliveries that ran out of attempts or time), for administrators: `kluis eventgrid dead-letter list`. */
export async function deadLetterRoutes(app: FastifyInstance, ctx: ServerContext) {
  app.addHook("onRequest", requireAdministrator(ctx));
  app.get("/kluis/events/deadLetters", async (req) => {
    const top = topOf(queryText(req, "top"), 100, MAX_DEAD_LETTERS);
    const rows = await ctx.store.events.listDeadLetters(queryText(req, "vault")?.toLowerCase(), top);
    return {
      value: rows.map((r) => ({
        id: r.id,
        channel: r.channel,
        vault: r.vault,
        eventType: r.eventType,
        subscription: r.subscription,
        attempts: r.attempts,
        lastError: r.lastError,
        createdAt: new Date(r.createdAt).toISOString(),
        deadLetteredAt: new Date(r.nextAttemptAt).toISOString(),
        // An e-mail's recipients and text are the contacts' business; a webhook event carries names, never values.
        ...(r.channel === "webhook" ? { event: JSON.parse(r.payload) as unknown } : {}),
      })),
    };
  });
}

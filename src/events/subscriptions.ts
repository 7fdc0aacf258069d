// Event subscriptions on a vault (Microsoft.EventGrid/eventSubscriptions as an extension resource of the vault):
// ARM's body in, validated and bounded; the validation handshake before a subscription is Succeeded; ARM's shape out.
import { createHmac, randomBytes } from "node:crypto";
import { isJsonObject } from "../http/body.js";
import { KeyVaultError, badParameter } from "../http/errors.js";
import type { Store } from "../store/store.js";
import type { SubscriptionRecord } from "../store/repositories/events.js";
import { callEndpoint, endpointBaseUrl, endpointProblem } from "./endpoint.js";
import {
  CLOUD_EVENT_SCHEMA,
  EVENT_GRID_SCHEMA,
  EVENT_TYPES,
  validationEvent,
  type SubscriptionProperties,
} from "./model.js";
import { forgetSubscribedVaults } from "./publish.js";

/** Subscriptions a vault may have: each is written a queue row per event, inside the event's own transaction. */
export const MAX_SUBSCRIPTIONS_PER_VAULT = 20;
const NAME = /^[A-Za-z0-9-]{3,64}$/;
const MAX_SUBJECT_FILTER = 256;
const MAX_LABELS = 10;
const MAX_LABEL_LENGTH = 64;
/** The validation handshake waits this long for the endpoint's answer. */
const VALIDATION_TIMEOUT_MS = 10_000;

export type Subscription = SubscriptionRecord<SubscriptionProperties>;

const invalid = (message: string) => new KeyVaultError(400, "InvalidRequest", message);

const stringOr = (v: unknown, field: string, fallback: string, max: number): string => {
  if (v === undefined || v === null) return fallback;
  if (typeof v !== "string" || v.length > max) throw invalid(`${field} must be a string of at most ${max} characters.`);
  return v;
};

const integerIn = (v: unknown, field: string, fallback: number, min: number, max: number): number => {
  if (v === undefined || v === null) return fallback;
  if (!Number.isInteger(v) || (v as number) < min || (v as number) > max)
    throw invalid(`${field} must be an integer from ${min} to ${max}.`);
  return v as number;
};

/** ARM's PUT body, read into what is stored; anything Kluis cannot deliver is refused rather than ignored. */
export function readSubscriptionInput(body: unknown, topic: string): SubscriptionProperties {
  const p = (body as { properties?: Record<string, unknown> } | undefined)?.properties;
  if (!p || typeof p !== "object") throw badParameter("properties is required.");
  const destination = p.destination as { endpointType?: unknown; properties?: Record<string, unknown> } | undefined;
  if (typeof destination?.endpointType !== "string" || destination.endpointType.toLowerCase() !== "webhook")
    throw invalid("destination.endpointType must be WebHook: Kluis delivers to webhooks only.");
  const endpointUrl = destination.properties?.endpointUrl;
  if (typeof endpointUrl !== "string") throw invalid("destination.properties.endpointUrl is required.");
  const problem = endpointProblem(endpointUrl);
  if (problem) throw invalid(problem);
  if (p.deadLetterDestination || p.deadLetterWithResourceIdentity || p.deliveryWithResourceIdentity)
    throw invalid("Kluis keeps dead letters itself (GET /kluis/events/deadLetters): no dead-letter destination.");
  const schema = stringOr(p.eventDeliverySchema, "eventDeliverySchema", EVENT_GRID_SCHEMA, 64);
  if (schema !== EVENT_GRID_SCHEMA && schema !== CLOUD_EVENT_SCHEMA)
    throw invalid(`eventDeliverySchema must be ${EVENT_GRID_SCHEMA} or ${CLOUD_EVENT_SCHEMA}.`);
  const f = (p.filter ?? {}) as Record<string, unknown>;
  if (Array.isArray(f.advancedFilters) && f.advancedFilters.length > 0)
    throw invalid("Kluis does not support advanced filters.");
  let types: string[] | null = null;
  if (f.includedEventTypes !== undefined && f.includedEventTypes !== null) {
    if (!Array.isArray(f.includedEventTypes) || f.includedEventTypes.length > EVENT_TYPES.length)
      throw invalid("filter.includedEventTypes must be an array of event types.");
    types = f.includedEventTypes.map((t: unknown) => {
      const known = EVENT_TYPES.find((e) => typeof t === "string" && e.toLowerCase() === t.toLowerCase());
      if (!known) throw invalid(`Invalid event type '${String(t)}': a vault publishes ${EVENT_TYPES.join(", ")}.`);
      return known;
    });
  }
  const labels = p.labels ?? [];
  if (
    !Array.isArray(labels) ||
    labels.length > MAX_LABELS ||
    labels.some((l) => typeof l !== "string" || l.length > MAX_LABEL_LENGTH)
  )
    throw invalid(`labels must be at most ${MAX_LABELS} strings of at most ${MAX_LABEL_LENGTH} characters.`);
  const retry = (p.retryPolicy ?? {}) as Record<string, unknown>;
  return {
    topic,
    endpointUrl,
    eventDeliverySchema: schema,
    filter: {
      includedEventTypes: types,
      subjectBeginsWith: stringOr(f.subjectBeginsWith, "filter.subjectBeginsWith", "", MAX_SUBJECT_FILTER),
      subjectEndsWith: stringOr(f.subjectEndsWith, "filter.subjectEndsWith", "", MAX_SUBJECT_FILTER),
      isSubjectCaseSensitive: f.isSubjectCaseSensitive === true,
    },
    retryPolicy: {
      maxDeliveryAttempts: integerIn(retry.maxDeliveryAttempts, "retryPolicy.maxDeliveryAttempts", 30, 1, 30),
      eventTimeToLiveInMinutes: integerIn(
        retry.eventTimeToLiveInMinutes,
        "retryPolicy.eventTimeToLiveInMinutes",
        1440,
        1,
        1440,
      ),
    },
    labels: labels as string[],
  };
}

/**
 * Event Grid's handshake: the endpoint proves it wants the events. Event Grid schema: a SubscriptionValidationEvent
 * whose validationCode comes back as `{"validationResponse": code}`; CloudEvents: the CloudEvents webhook spec's
 * OPTIONS request, answered with WebHook-Allowed-Origin.
 */
export async function validateEndpoint(p: SubscriptionProperties, name: string, ca: string): Promise<void> {
  const failed = (why: string) =>
    new KeyVaultError(
      400,
      "Url validation",
      `Webhook validation handshake failed for ${endpointBaseUrl(p.endpointUrl)}: ${why}. Kluis waits ${VALIDATION_TIMEOUT_MS / 1000} s for the answer.`,
    );
  const exchange = async (opts: Parameters<typeof callEndpoint>[1]) => {
    try {
      return await callEndpoint(p.endpointUrl, opts);
    } catch (err) {
      throw failed((err as Error).message);
    }
  };
  if (p.eventDeliverySchema === CLOUD_EVENT_SCHEMA) {
    const res = await exchange({
      method: "OPTIONS",
      headers: { "webhook-request-origin": "eventgrid.azure.net" },
      ca,
      timeoutMs: VALIDATION_TIMEOUT_MS,
    });
    const allowed = String(res.headers["webhook-allowed-origin"] ?? "");
    if (res.status !== 200 || (allowed !== "*" && allowed.toLowerCase() !== "eventgrid.azure.net"))
      throw failed(`OPTIONS answered ${res.status} without WebHook-Allowed-Origin`);
    return;
  }
  const code = randomBytes(16).toString("hex").toUpperCase();
  const res = await exchange({
    method: "POST",
    headers: {
      "content-type": "application/json",
      "aeg-event-type": "SubscriptionValidation",
      "aeg-subscription-name": name.toUpperCase(),
    },
    body: JSON.stringify(validationEvent(p.topic, code, Date.now())),
    ca,
    timeoutMs: VALIDATION_TIMEOUT_MS,
  });
  let answer: unknown;
  try {
    answer = JSON.parse(res.body);
  } catch {
    answer = undefined;
  }
  if (res.status !== 200 || (answer as { validationResponse?: unknown } | undefined)?.validationResponse !== code)
    throw failed(`the answer (HTTP ${res.status}) did not carry the validationCode as validationResponse`);
}

/** Whether going from `before` to `after` needs the handshake again: a new endpoint, or a new schema (another form). */
const needsHandshake = (before: SubscriptionProperties | undefined, after: SubscriptionProperties) =>
  before?.endpointUrl !== after.endpointUrl || before.eventDeliverySchema !== after.eventDeliverySchema;

const tooMany = () => invalid(`A vault has at most ${MAX_SUBSCRIPTIONS_PER_VAULT} event subscriptions in Kluis.`);

/**
 * Creates or replaces a subscription; a new endpoint or schema is validated first. True when it was created. The
 * limit is checked twice: before the handshake (a full vault is refused at once) and, with the vault's row locked,
 * in the transaction that inserts, so that racing creates on any node cannot pass it together.
 */
export async function putSubscription(
  store: Store,
  s: { idKey: string; vault: string; name: string; properties: SubscriptionProperties },
  ca: string,
): Promise<{ created: boolean; subscription: Subscription }> {
  const existing = await store.events.getSubscription<SubscriptionProperties>(s.idKey);
  if (!existing && (await store.events.countSubscriptions(s.vault)) >= MAX_SUBSCRIPTIONS_PER_VAULT) throw tooMany();
  if (needsHandshake(existing?.properties, s.properties)) await validateEndpoint(s.properties, s.name, ca);
  const subscription: Subscription = {
    ...s,
    secret: existing?.secret ?? randomBytes(32),
    createdAt: existing?.createdAt ?? Date.now(),
  };
  const created = await store.transaction(async (tx) => {
    await tx.vaults.lock(s.vault);
    const there = await tx.events.getSubscription(s.idKey);
    if (!there && (await tx.events.countSubscriptions(s.vault)) >= MAX_SUBSCRIPTIONS_PER_VAULT) throw tooMany();
    await tx.events.putSubscription(subscription);
    return !there;
  });
  forgetSubscribedVaults();
  return { created, subscription };
}

/**
 * Event Grid's update (PATCH): the given fields of EventSubscriptionUpdateParameters, a flat object, change the
 * stored ones and the rest stay; a nested object (filter, retryPolicy, a destination's properties) is merged field by
 * field as JSON merge patch does, so az's body (the whole subscription it read back, without the endpoint's URL) keeps
 * the endpoint. The result is read as a PUT's body is, with the same bounds and refusals.
 */
export function readSubscriptionUpdate(body: Record<string, unknown>, current: SubscriptionProperties) {
  const object = (v: unknown, field: string): Record<string, unknown> | undefined => {
    if (v === undefined || v === null) return undefined;
    if (!isJsonObject(v)) throw invalid(`${field} must be an object.`);
    return v;
  };
  const section = (field: string) => object(body[field], field);
  const destination = section("destination");
  const endpoint = object(destination?.properties, "destination.properties");
  const merged = {
    properties: {
      destination: {
        endpointType: destination ? destination.endpointType : "WebHook",
        properties: { endpointUrl: endpoint?.endpointUrl ?? current.endpointUrl },
      },
      filter: { ...current.filter, ...section("filter") },
      retryPolicy: { ...current.retryPolicy, ...section("retryPolicy") },
      eventDeliverySchema: body.eventDeliverySchema ?? current.eventDeliverySchema,
      labels: body.labels === undefined ? current.labels : body.labels,
      deadLetterDestination: body.deadLetterDestination,
      deadLetterWithResourceIdentity: body.deadLetterWithResourceIdentity,
      deliveryWithResourceIdentity: body.deliveryWithResourceIdentity,
    },
  };
  return readSubscriptionInput(merged, current.topic);
}

/** Updates a subscription (a changed endpoint or schema is validated again first); undefined when there is none. */
export async function updateSubscription(
  store: Store,
  s: { idKey: string; name: string; body: Record<string, unknown> },
  ca: string,
): Promise<Subscription | undefined> {
  const existing = await store.events.getSubscription<SubscriptionProperties>(s.idKey);
  if (!existing) return undefined;
  const properties = readSubscriptionUpdate(s.body, existing.properties);
  if (needsHandshake(existing.properties, properties)) await validateEndpoint(properties, s.name, ca);
  // Deleted during the handshake: the update does not bring it back.
  if (!(await store.events.updateSubscription(s.idKey, properties))) return undefined;
  forgetSubscribedVaults();
  return { ...existing, properties };
}

export async function deleteSubscription(store: Store, idKey: string): Promise<boolean> {
  const deleted = await store.transaction((tx) => tx.events.deleteSubscription(idKey));
  forgetSubscribedVaults();
  return deleted;
}

/**
 * The subscription as ARM answers it: the endpoint's query (which may carry a secret) left out, as Event Grid does.
 * A PUT's answer says `Creating`/`Updating` as Event Grid's does, although the handshake is already done: clients then
 * poll the resource (one GET, `Succeeded`), as they do against Azure; az's SDK misreads a PUT answer that is final.
 */
export function toArmSubscription(id: string, s: Subscription, state = "Succeeded") {
  const p = s.properties;
  return {
    id,
    name: s.name,
    type: "Microsoft.EventGrid/eventSubscriptions",
    properties: {
      topic: p.topic,
      provisioningState: state,
      destination: {
        endpointType: "WebHook",
        properties: {
          endpointBaseUrl: endpointBaseUrl(p.endpointUrl),
          maxEventsPerBatch: 1,
          preferredBatchSizeInKilobytes: 64,
        },
      },
      filter: { ...p.filter, includedEventTypes: p.filter.includedEventTypes ?? EVENT_TYPES, advancedFilters: [] },
      labels: p.labels,
      eventDeliverySchema: p.eventDeliverySchema,
      retryPolicy: p.retryPolicy,
      expirationTimeUtc: null,
      deadLetterDestination: null,
    },
  };
}

export const isSubscriptionName = (name: string) => NAME.test(name);

/**
 * The signature header of a delivery: `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">` under the
 * subscription's key (POST .../getSigningKey). The time in it lets a receiver refuse a replayed delivery.
 */
export function signature(secret: Buffer, body: string, nowSeconds: number): string {
  const mac = createHmac("sha256", secret).update(`${nowSeconds}.${body}`).digest("hex");
  return `t=${nowSeconds},v1=${mac}`;
}

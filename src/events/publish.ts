// Publishing: an event becomes one queue row per matching subscription, written in the transaction of the change
// that caused it, so that the change and its events commit together (or neither does). Vaults without a subscription
// (nearly all) cost no query: which vaults have any is read at most once a second per node.
import { randomUUID } from "node:crypto";
import type { Mail } from "../mail/transport.js";
import type { Store } from "../store/store.js";
import { objectEvent, wireEvent, type EventObjectType, type SubscriptionProperties, type VaultEvent } from "./model.js";

/** How long another node's new subscription may go unseen here: events of that vault in that time are not sent to it. */
const SUBSCRIBED_VAULTS_MS = 1000;
/** An event is at most this large as delivered (names are at most 127 characters; this is far above any event). */
export const MAX_EVENT_BYTES = 64 * 1024;

let subscribed: { at: number; vaults: Set<string> } | undefined;

/** Forget which vaults have subscriptions: after this node created or deleted one. */
export function forgetSubscribedVaults(): void {
  subscribed = undefined;
}

async function subscribedVaults(store: Store): Promise<Set<string>> {
  if (subscribed && Date.now() - subscribed.at < SUBSCRIBED_VAULTS_MS) return subscribed.vaults;
  const vaults = new Set(await store.events.vaultsWithSubscriptions());
  subscribed = { at: Date.now(), vaults };
  return vaults;
}

function matches(p: SubscriptionProperties, event: VaultEvent): boolean {
  const f = p.filter;
  if (f.includedEventTypes && !f.includedEventTypes.includes(event.eventType)) return false;
  const fold = (s: string) => (f.isSubjectCaseSensitive ? s : s.toLowerCase());
  return (
    fold(event.subject).startsWith(fold(f.subjectBeginsWith)) && fold(event.subject).endsWith(fold(f.subjectEndsWith))
  );
}

/**
 * Queues the event `build` makes, of `vault`, for every subscription that wants it; `tx` is the transaction of the
 * change. Built only when the vault has a subscription: nearly every write skips it.
 */
export async function publishEvent(tx: Store, vault: string, build: () => VaultEvent): Promise<void> {
  if (!(await subscribedVaults(tx)).has(vault)) return;
  const event = build();
  const now = Date.now();
  const rows = (await tx.events.listSubscriptions<SubscriptionProperties>(vault))
    .filter((s) => matches(s.properties, event))
    .map((s) => ({
      id: randomUUID(),
      channel: "webhook" as const,
      subscription: s.idKey,
      vault,
      eventType: event.eventType,
      payload: JSON.stringify(wireEvent(event, s.properties.topic, s.properties.eventDeliverySchema)),
      nextAttemptAt: 0,
      expiresAt: now + s.properties.retryPolicy.eventTimeToLiveInMinutes * 60_000,
      createdAt: now,
    }))
    .filter((r) => Buffer.byteLength(r.payload) <= MAX_EVENT_BYTES);
  await tx.events.enqueue(rows);
}

/** How long an e-mail is tried before it is dead-lettered. */
const MAIL_TIME_TO_LIVE_MS = 24 * 60 * 60_000;

/** Queues e-mails (one row per recipient) in `tx`: they go out through the same queue as webhook events. */
export async function queueMail(tx: Store, vault: string, eventType: string, messages: Mail[]): Promise<void> {
  const now = Date.now();
  await tx.events.enqueue(
    messages.map((m) => ({
      id: randomUUID(),
      channel: "mail" as const,
      subscription: null,
      vault,
      eventType,
      payload: JSON.stringify(m),
      nextAttemptAt: 0,
      expiresAt: now + MAIL_TIME_TO_LIVE_MS,
      createdAt: now,
    })),
  );
}

/** Queues `<Type>NewVersionCreated` for a version just written in `tx`. */
export function publishNewVersion(
  tx: Store,
  vault: string,
  objectType: EventObjectType,
  v: { name: string; version: string; attributes: { nbf?: number; exp?: number } },
): Promise<void> {
  const { nbf, exp } = v.attributes;
  return publishEvent(tx, vault, () =>
    objectEvent(vault, objectType, "NewVersionCreated", { ...v, nbf, exp }, Date.now()),
  );
}

// The expiry sweep: NearExpiry 30 days before a version's `exp`, Expired at `exp`, as Key Vault fires them: for the
// current (newest) version of a live certificate, key or secret, once per version. A version is marked in the same
// transaction as its event is queued, so a version is published once however many nodes sweep. A key whose rotation
// policy has a Notify action gets its KeyNearExpiry at that action's time instead (keys/rotation-schedule.ts).
import type { Store } from "../store/store.js";
import type { ExpiringVersion } from "../store/repositories/events.js";
import { objectEvent, type EventObjectType, type ObjectEvent } from "./model.js";
import { publishEvent } from "./publish.js";

export const NEAR_EXPIRY_DAYS = 30;
/**
 * What the stored state of a key whose rotation policy has a Notify action contains: this sweep leaves such keys'
 * NearExpiry (and its mark) to the policy's own time.
 */
export const NOTIFY_STATE = '"Notify"';
const PAGE = 200;
const OBJECT_TYPE: Record<string, EventObjectType> = { certificate: "Certificate", key: "Key", secret: "Secret" };

/** Marks `v` for `event` and, when it is the current version of its object, queues the event; true when queued. */
export async function publishExpiryEvent(
  store: Store,
  v: ExpiringVersion,
  event: ObjectEvent,
  now: number,
): Promise<boolean> {
  return store.transaction(async (tx) => {
    if (!(await tx.events.mark(v, event))) return false;
    const objectType = OBJECT_TYPE[v.kind];
    // A certificate's own key and secret expire with it: the certificate's event says so.
    if (objectType === undefined || v.managed) return false;
    // NearExpiry of a version created already expired says nothing Expired will not.
    if (event === "NearExpiry" && v.expiresAt <= now) return false;
    const newest = await tx.objects.getVersion<{ nbf?: number; exp?: number }, unknown>(v.vault, v.kind, v.name);
    if (newest?.version !== v.version) return false;
    const { nbf, exp } = newest.attributes;
    await publishEvent(tx, v.vault, () =>
      objectEvent(v.vault, objectType, event, { name: v.name, version: v.version, nbf, exp }, now),
    );
    return true;
  });
}

/** Queues every NearExpiry and Expired event due at `now` (ms); returns how many it queued. */
export async function publishExpiryEvents(store: Store, now: number): Promise<number> {
  let published = 0;
  const due: [ObjectEvent, number][] = [
    ["NearExpiry", now + NEAR_EXPIRY_DAYS * 86_400_000],
    ["Expired", now],
  ];
  for (const [event, before] of due) {
    for (;;) {
      // Every version of a page is marked, published or not, so the next page moves on.
      const except = event === "NearExpiry" ? NOTIFY_STATE : undefined;
      const page = await store.events.expiringVersions(before, event, PAGE, except);
      for (const v of page) if (await publishExpiryEvent(store, v, event, now)) published++;
      if (page.length < PAGE) break;
    }
  }
  return published;
}

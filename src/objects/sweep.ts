// Scheduled work over named objects (rotation, renewal): every live vault, a page of names at a time, so that a
// sweep of a big store never holds all of it in memory.
import type { NameRecord } from "../store/repositories/objects.js";
import type { Store } from "../store/store.js";
import type { ObjectType } from "./collection.js";
import { StoreUnavailableError } from "../store/unavailable.js";
import type { Vault } from "../vaults/model.js";

const PAGE = 100;

/**
 * Calls `act` for each live name of `kind` in each live vault whose stored state mentions `stateMentions`; returns
 * how many times it acted. A name that fails does not hold up the others: the failures are thrown together at the end.
 * The database going away ends the sweep at once: every other name would fail the same way; the next sweep catches up.
 */
export async function sweepLiveNames<S>(
  store: Store,
  kind: ObjectType,
  stateMentions: string,
  act: (vault: Vault, record: NameRecord<S>) => Promise<boolean>,
): Promise<number> {
  let acted = 0;
  const failures: unknown[] = [];
  for (const vault of await store.vaults.list<Vault["properties"]>()) {
    let after: string | undefined;
    do {
      const page = await store.objects.listNames<S>(vault.name, kind, {
        deleted: false,
        limit: PAGE,
        after,
        stateMentions,
      });
      for (const record of page.items) {
        try {
          if (await act(vault, record)) acted++;
        } catch (err) {
          if (err instanceof StoreUnavailableError) throw err;
          failures.push(err);
        }
      }
      after = page.next;
    } while (after !== undefined);
  }
  if (failures.length > 0)
    throw new AggregateError(failures, `${failures.length} scheduled ${kind} actions failed; ${acted} succeeded`);
  return acted;
}

// What a certificate, secret or key is, in one word each, for the chips and the timeline.
import type { VaultItem } from "./api";

/** Expiring: within this many days. */
export const EXPIRING_DAYS = 30;
const DAY = 86_400_000;

export type Status = "enabled" | "disabled" | "expiring" | "expired" | "pending" | "deleted";

export function statusesOf(item: VaultItem, opts: { pending?: boolean; now?: number } = {}): Status[] {
  const now = opts.now ?? Date.now();
  if (item.deletedDate !== undefined || item.recoveryId) return ["deleted"];
  if (opts.pending) return ["pending"]; // disabled until issued: its other attributes say nothing yet
  const statuses: Status[] = [item.attributes.enabled === false ? "disabled" : "enabled"];
  const exp = item.attributes.exp;
  if (exp !== undefined) {
    if (exp * 1000 <= now) statuses.push("expired");
    else if (exp * 1000 - now <= EXPIRING_DAYS * DAY) statuses.push("expiring");
  }
  return statuses;
}

export const formatDate = (seconds?: number) =>
  seconds === undefined ? "—" : new Date(seconds * 1000).toISOString().slice(0, 10);

export const daysUntil = (seconds: number, now = Date.now()) => Math.ceil((seconds * 1000 - now) / DAY);

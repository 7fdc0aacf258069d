// Backup blobs of certificates, keys and secrets: opaque to the client, encrypted and integrity-protected under a
// key derived from the server's master key, bound to the object kind, and restorable into any vault of this server.
import { badParameter, conflict } from "../http/errors.js";
import type { VersionRecord } from "../store/repositories/objects.js";
import type { Store } from "../store/store.js";
import type { Vault } from "../vaults/model.js";
import type { ObjectCollection, ObjectType } from "./collection.js";
import { checkRestoredVersion } from "./limits.js";
import { assertNotDeleted } from "./soft-delete.js";

/** Bound to the blob as associated data: a key's blob never opens as a secret's, and the format can change later. */
const context = (kind: ObjectType) => `backup/v1/${kind}`;

/** The blob as Key Vault returns it: base64url. */
export function sealBackup(store: Store, kind: ObjectType, payload: unknown): string {
  return store.settings.sealExport(Buffer.from(JSON.stringify(payload), "utf8"), context(kind)).toString("base64url");
}

/**
 * The payload of a blob made by `sealBackup` for the same kind; anything else is a 400. Restore routes hand the blob
 * over already decoded (see http/large-bodies.ts).
 */
export function openBackup<T>(store: Store, kind: ObjectType, blob: unknown): T {
  const sealed = Buffer.isBuffer(blob) ? blob : typeof blob === "string" ? Buffer.from(blob, "base64url") : undefined;
  if (!sealed?.length) throw badParameter("The backup blob 'value' must be a base64url string.");
  try {
    const plain = store.settings.openExport(sealed, context(kind));
    return JSON.parse(plain.toString("utf8")) as T;
  } catch {
    throw badParameter(`The backup blob is corrupt, or is not a ${kind} backup made by this server.`);
  }
}

/** One named object as a backup holds it: the name's state and every version, oldest first, with its material. */
export interface BackedUpName {
  kind: ObjectType;
  state: unknown;
  versions: (Omit<VersionRecord, "vault" | "kind" | "name" | "seq" | "sealed"> & { sealed?: string })[];
}

export interface NamesBackup {
  name: string;
  objects: BackedUpName[];
}

/** Key Vault refuses to back up more than 500 versions of an object. */
const MAX_VERSIONS = 500;

/** Every version of `name` in each of `kinds` (a certificate takes its key and secret along). */
export async function collectBackup(
  store: Store,
  vault: string,
  kinds: ObjectType[],
  name: string,
): Promise<NamesBackup> {
  const objects: BackedUpName[] = [];
  let stored = name; // the name as first written (lookups are case-insensitive)
  for (const kind of kinds) {
    const record = await store.objects.getName(vault, kind, name);
    if (!record) continue;
    stored = record.name;
    const versions: BackedUpName["versions"] = [];
    let after: number | undefined;
    do {
      const page = await store.objects.listVersions<Record<string, unknown>, Record<string, unknown>>(
        vault,
        kind,
        name,
        {
          limit: 100,
          after,
        },
      );
      for (const { vault: _v, kind: _k, name: _n, seq: _s, sealed, ...v } of page.items) {
        versions.push({ ...v, ...(sealed ? { sealed: sealed.toString("base64") } : {}) });
      }
      if (versions.length > MAX_VERSIONS)
        throw badParameter(`Backup is limited to ${MAX_VERSIONS} versions of an object.`);
      after = page.next === undefined ? undefined : Number(page.next);
    } while (after !== undefined);
    objects.push({ kind, state: record.state, versions });
  }
  return { name: stored, objects };
}

/** Writes a backup into `vault` under its own name and version ids; the name must be free in every kind it holds. */
export async function restoreBackup(tx: Store, vault: Vault, backup: NamesBackup, c: ObjectCollection): Promise<void> {
  for (const { kind } of backup.objects) {
    const existing = await tx.objects.getName(vault.name, kind, backup.name);
    assertNotDeleted(existing, kind, backup.name);
    if (existing)
      throw conflict(
        `${c.label} ${backup.name} already exists in this vault; a backup is only restored under a free name.`,
      );
  }
  for (const { versions } of backup.objects) versions.forEach(checkRestoredVersion);
  for (const { kind, state, versions } of backup.objects) {
    await tx.objects.putName({
      vault: vault.name,
      kind,
      name: backup.name,
      deletedAt: null,
      scheduledPurgeAt: null,
      state,
      sealedState: null,
    });
    for (const { sealed, ...v } of versions) {
      await tx.objects.putVersion({
        ...v,
        vault: vault.name,
        kind,
        name: backup.name,
        sealed: sealed === undefined ? null : Buffer.from(sealed, "base64"),
      });
    }
  }
}

// Backup blobs of certificates, keys and secrets: opaque to the client, encrypted and integrity-protected under a
// key derived from the server's master key, bound to the object kind, and restorable into any vault of this server.
import { badParameter } from "../http/errors.js";
import type { ObjectKind, Store } from "../store/store.js";

/** Bound to the blob as associated data: a key's blob never opens as a secret's, and the format can change later. */
const context = (kind: ObjectKind) => `backup/v1/${kind}`;

/** The blob as Key Vault returns it: base64url. */
export function sealBackup(store: Store, kind: ObjectKind, payload: unknown): string {
  return store.sealExport(Buffer.from(JSON.stringify(payload), "utf8"), context(kind)).toString("base64url");
}

/** The payload of a blob made by `sealBackup` for the same kind; anything else is a 400. */
export function openBackup<T>(store: Store, kind: ObjectKind, blob: unknown): T {
  if (typeof blob !== "string" || blob === "") throw badParameter("The backup blob 'value' must be a base64url string.");
  try {
    const plain = store.openExport(Buffer.from(blob, "base64url"), context(kind));
    return JSON.parse(plain.toString("utf8")) as T;
  } catch {
    throw badParameter(`The backup blob is corrupt, or is not a ${kind} backup made by this server.`);
  }
}

// Version ids and the URLs that identify objects, shared by certificates, keys and secrets (the name rule: http/object-names.ts).
import { pooledRandomBytes } from "../crypto/random-pool.js";
import type { VersionRecord } from "../store/repositories/objects.js";
import type { ObjectType } from "./collection.js";

/** Key Vault version ids: 32 lower-case hex characters (128 random bits). */
export const newVersionId = () => pooledRandomBytes(16).toString("hex");

/** A new version of an object: a fresh id, created and updated now; `seq` is the store's to give. */
export function newVersionRecord<A, D>(
  vault: string,
  kind: ObjectType,
  name: string,
  fields: Pick<VersionRecord<A, D>, "attributes" | "tags" | "data" | "sealed">,
): Omit<VersionRecord<A, D>, "seq"> {
  const now = Date.now();
  return { vault, kind, name, version: newVersionId(), createdAt: now, updatedAt: now, ...fields };
}

/** An object's path within its vault, "/keys/NAME[/VERSION]": what a stored reference to another object holds. */
export const objectPath = (collection: string, name: string, version?: string) =>
  `/${collection}/${name}${version ? `/${version}` : ""}`;

export const objectUrl = (vaultUrl: string, collection: string, name: string, version?: string) =>
  `${vaultUrl}${objectPath(collection, name, version)}`;

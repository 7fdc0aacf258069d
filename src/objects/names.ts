// Object names, version ids and the URLs that identify them, shared by certificates, keys and secrets.
import { randomUUID } from "node:crypto";
import { badParameter } from "../http/errors.js";
import type { VersionRecord } from "../store/store.js";
import type { ObjectType } from "./collection.js";

const NAME_PATTERN = /^[0-9a-zA-Z-]{1,127}$/;

export function checkObjectName(name: string, label: string): string {
  if (!NAME_PATTERN.test(name)) {
    throw badParameter(`The request URI contains an invalid ${label} name '${name}'. Names must match ^[0-9a-zA-Z-]{1,127}$.`);
  }
  return name;
}

/** Key Vault version ids: 32 lower-case hex characters. */
export const newVersionId = () => randomUUID().replaceAll("-", "");

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
export const objectPath = (collection: string, name: string, version?: string) => `/${collection}/${name}${version ? `/${version}` : ""}`;

export const objectUrl = (vaultUrl: string, collection: string, name: string, version?: string) => `${vaultUrl}${objectPath(collection, name, version)}`;

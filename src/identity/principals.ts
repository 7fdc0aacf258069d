// Service principals: an application id, an object id, and a client secret kept only as a slow hash.
import { randomUUID } from "node:crypto";
import { hashSecret, newClientSecret, verifySecret } from "../crypto/passwords.js";
import type { PrincipalRecord, Store } from "../store/store.js";

export interface NewServicePrincipal {
  appId: string;
  objectId: string;
  displayName: string;
  password: string;
}

export async function createServicePrincipal(store: Store, displayName: string, isAdmin = false): Promise<NewServicePrincipal> {
  const password = newClientSecret();
  const record: PrincipalRecord = {
    appId: randomUUID(),
    objectId: randomUUID(),
    displayName,
    secretHash: await hashSecret(password),
    isAdmin,
    createdAt: Date.now(),
  };
  await store.insertPrincipal(record);
  return { appId: record.appId, objectId: record.objectId, displayName, password };
}

/** A new client secret for an existing principal; the old one stops working at once. */
export async function resetServicePrincipalCredential(store: Store, appId: string): Promise<string | undefined> {
  if (!(await store.getPrincipalByAppId(appId))) return undefined;
  const password = newClientSecret();
  await store.updatePrincipalSecret(appId, await hashSecret(password));
  return password;
}

/** Checks a client id and secret the way Azure AD does: an unknown application and a wrong secret are different errors. */
export async function authenticateClient(
  store: Store,
  appId: string,
  secret: string,
): Promise<PrincipalRecord | "unknown-client" | "invalid-secret"> {
  const principal = await store.getPrincipalByAppId(appId);
  if (!principal) return "unknown-client";
  return (await verifySecret(secret, principal.secretHash)) ? principal : "invalid-secret";
}

// Kluis's public REST APIs, called with the signed-in user's tokens: ARM (vaults, access policies, role
// assignments), Microsoft Graph (names of principals), Kluis's audit log, and each vault's Key Vault data plane.
import { accessToken, type Resource } from "./auth";

export const ARM_VERSION = "2023-07-01";
export const AUTHORIZATION_VERSION = "2022-04-01";
export const KEY_VAULT_VERSION = "7.5";

/** An API's refusal, with the service's own code and message (Key Vault's, ARM's and Graph's error shapes). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
  get forbidden() {
    return this.status === 403;
  }
}

async function call<T>(resource: Resource, url: string, init: { method?: string; body?: unknown } = {}): Promise<T> {
  const response = await fetch(url, {
    method: init.method ?? "GET",
    headers: {
      authorization: `Bearer ${await accessToken(resource)}`,
      ...(init.body === undefined ? {} : { "content-type": "application/json" }),
    },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
  const text = await response.text();
  const body = text ? (JSON.parse(text) as unknown) : undefined;
  if (!response.ok) {
    const error = (body as { error?: { code?: string; message?: string } } | undefined)?.error;
    throw new ApiError(response.status, error?.code ?? String(response.status), error?.message ?? response.statusText);
  }
  return body as T;
}

const withVersion = (path: string, version: string) => `${path}${path.includes("?") ? "&" : "?"}api-version=${version}`;

export const arm = <T>(path: string, init?: { method?: string; body?: unknown }, version = ARM_VERSION) =>
  call<T>("management", withVersion(path, version), init);

export const graph = <T>(path: string) => call<T>("graph", `/v1.0${path}`);

export const kluis = <T>(path: string) => call<T>("management", path);

/**
 * A vault's data plane is NAME.<the host this page came from> on the same port; from an address (127.0.0.1, ::1)
 * it is NAME.localhost, which browsers resolve to this machine.
 */
export function vaultOrigin(vault: string): string {
  const host = location.hostname;
  const domain = host === "localhost" || /^[\d.]+$/.test(host) || host.startsWith("[") ? "localhost" : host;
  return `https://${vault}.${domain}${location.port ? `:${location.port}` : ""}`;
}

export const vaultApi = <T>(vault: string, path: string, init?: { method?: string; body?: unknown }) =>
  call<T>("vault", withVersion(`${vaultOrigin(vault)}${path}`, KEY_VAULT_VERSION), init);

export interface Page<T> {
  value: T[];
  nextLink?: string | null;
}

/** The next page of a list, from the vault's own nextLink (only ever to the same vault). */
export function nextPage<T>(vault: string, nextLink: string): Promise<Page<T>> {
  const url = new URL(nextLink);
  if (url.origin !== vaultOrigin(vault)) throw new ApiError(0, "BadNextLink", `Unexpected next page at ${url.origin}.`);
  return call<Page<T>>("vault", url.href);
}

/** Every item of a list, page after page, up to `limit` items (`more` tells whether some were left). */
export async function listAll<T>(vault: string, path: string, limit = 1000): Promise<{ items: T[]; more: boolean }> {
  let page = await vaultApi<Page<T>>(vault, `${path}?maxresults=25`);
  const items = [...page.value];
  while (page.nextLink && items.length < limit) {
    page = await nextPage<T>(vault, page.nextLink);
    items.push(...page.value);
  }
  return { items, more: Boolean(page.nextLink) };
}

export interface Attributes {
  enabled?: boolean;
  exp?: number;
  nbf?: number;
  created?: number;
  updated?: number;
  recoveryLevel?: string;
}

/** A certificate, secret or key as Key Vault lists it (deleted ones add recoveryId and dates). */
export interface VaultItem {
  id?: string;
  kid?: string;
  attributes: Attributes;
  contentType?: string;
  tags?: Record<string, string>;
  recoveryId?: string;
  deletedDate?: number;
  scheduledPurgeDate?: number;
  x5t?: string;
  managed?: boolean;
}

export const itemName = (item: VaultItem) => new URL(item.id ?? item.kid ?? "").pathname.split("/")[2] ?? "";

export interface Vault {
  id: string;
  name: string;
  location: string;
  properties: {
    tenantId: string;
    vaultUri: string;
    enableRbacAuthorization?: boolean;
    accessPolicies?: AccessPolicy[];
  };
}

export interface AccessPolicy {
  tenantId: string;
  objectId: string;
  permissions: { keys?: string[]; secrets?: string[]; certificates?: string[]; storage?: string[] };
}

let subscription: Promise<string> | undefined;
/** The server's one subscription (ARM lists it to whoever holds a role in it). */
export function subscriptionId(): Promise<string> {
  subscription ??= arm<{ value: { subscriptionId: string }[] }>("/subscriptions", undefined, "2022-12-01").then((r) => {
    const first = r.value[0];
    if (!first) throw new ApiError(403, "NoSubscription", "You have no role in this server's subscription.");
    return first.subscriptionId;
  });
  subscription.catch(() => (subscription = undefined));
  return subscription;
}

export async function listVaults(): Promise<Vault[]> {
  const sub = await subscriptionId();
  const page = await arm<{ value: Vault[] }>(`/subscriptions/${sub}/providers/Microsoft.KeyVault/vaults`);
  return page.value.sort((a, b) => a.name.localeCompare(b.name));
}

export async function findVault(name: string): Promise<Vault> {
  const vault = (await listVaults()).find((v) => v.name.toLowerCase() === name.toLowerCase());
  if (!vault) throw new ApiError(404, "VaultNotFound", `No vault named ${name} is visible to you.`);
  return vault;
}

/** A principal's display name: a user's sign-in name or an application's name; its id when neither is found. */
export async function principalName(objectId: string): Promise<string> {
  try {
    const user = await graph<{ userPrincipalName: string }>(`/users/${encodeURIComponent(objectId)}`);
    return user.userPrincipalName;
  } catch {
    try {
      const sp = await graph<{ displayName: string; appId: string }>(
        `/servicePrincipals/${encodeURIComponent(objectId)}`,
      );
      return `${sp.displayName} (app ${sp.appId})`;
    } catch {
      return objectId;
    }
  }
}

/** A user's sign-in name or an application's id to the object id access policies and role assignments take. */
export async function resolvePrincipal(nameOrAppId: string): Promise<string> {
  const text = nameOrAppId.trim();
  if (text.includes("@")) return (await graph<{ id: string }>(`/users/${encodeURIComponent(text)}`)).id;
  const found = await graph<{ value: { id: string }[] }>(
    `/servicePrincipals?$filter=${encodeURIComponent(`appId eq '${text.replace(/'/g, "''")}'`)}`,
  );
  if (!found.value[0]) throw new ApiError(404, "NotFound", `No user or application named ${text} was found.`);
  return found.value[0].id;
}

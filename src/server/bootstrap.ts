// First start and every start: the master key, the store, the token service, the administrator and the default vault.
import { randomUUID } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { loadMasterKey, Sealer } from "../crypto/sealing.js";
import { DEFAULT_VAULT } from "../http/vault-host.js";
import { createServicePrincipal } from "../identity/principals.js";
import { TokenService } from "../identity/tokens.js";
import { openStore } from "../store/open.js";
import type { Store } from "../store/store.js";
import { allPermissions, createOrUpdateVault, DEFAULT_LOCATION, DEFAULT_RESOURCE_GROUP } from "../vaults/operations.js";
import type { ServerContext } from "./context.js";
import { ensureDataDir, type AdminCredential, type DataDir } from "./data-dir.js";

export async function openContext(dir: DataDir, opts: { postgresUrl?: string; hostnames: string[] }): Promise<ServerContext> {
  ensureDataDir(dir);
  const sealer = new Sealer(loadMasterKey(dir.root));
  const store = await openStore({ sqliteFile: dir.database, postgresUrl: opts.postgresUrl, sealer });
  const tokens = await TokenService.open(store);
  const subscriptionId = await setting(store, "subscription_id", () => randomUUID());
  // The default vault's group; the CLI creates vaults in it unless told otherwise.
  if (!(await store.getResourceGroup(DEFAULT_RESOURCE_GROUP))) {
    await store.putResourceGroup({ name: DEFAULT_RESOURCE_GROUP, location: DEFAULT_LOCATION, tags: {}, createdAt: Date.now() });
  }
  await ensureAdministrator(store, dir, tokens.tenantId);
  return { store, tokens, subscriptionId, hostnames: opts.hostnames.map((h) => h.toLowerCase()) };
}

async function setting(store: Store, key: string, make: () => string): Promise<string> {
  let value = await store.getSetting(key);
  if (!value) {
    value = make();
    await store.putSetting(key, value);
  }
  return value;
}

/**
 * The administrator principal, its credential file (owner-only) and the default vault granting it every
 * permission, all made on first start.
 */
async function ensureAdministrator(store: Store, dir: DataDir, tenantId: string): Promise<void> {
  const recorded = existsSync(dir.adminCredential)
    ? (JSON.parse(readFileSync(dir.adminCredential, "utf8")) as AdminCredential)
    : undefined;
  if (recorded && (await store.getPrincipalByAppId(recorded.appId))) return;
  const admin = await createServicePrincipal(store, "kluis-administrator", true);
  const credential: AdminCredential = { appId: admin.appId, password: admin.password, tenant: tenantId, objectId: admin.objectId };
  writeFileSync(dir.adminCredential, JSON.stringify(credential, null, 2) + "\n", { mode: 0o600 });
  if (!(await store.getVault(DEFAULT_VAULT))) {
    await createOrUpdateVault(store, tenantId, DEFAULT_RESOURCE_GROUP, DEFAULT_VAULT, {
      properties: { accessPolicies: [{ tenantId, objectId: admin.objectId, permissions: allPermissions() }] },
    });
  }
}

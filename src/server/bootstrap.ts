// First start and every start: the master key, the store, the token service, the administrator and the default vault.
import { randomUUID } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { loadMasterKey, masterKeyFile, masterKeySource, Sealer, UnsealError } from "../crypto/sealing.js";
import { Throttle, type ThrottleLimits } from "../http/throttling.js";
import { DEFAULT_VAULT } from "../http/vault-host.js";
import { newClientSecret } from "../crypto/passwords.js";
import { createServicePrincipal } from "../identity/principals.js";
import { ADMIN_USER_PRINCIPAL_NAME, createUser } from "../identity/users.js";
import { TokenService } from "../identity/tokens.js";
import { openStore } from "../store/open.js";
import type { Store } from "../store/store.js";
import { allPermissions, createOrUpdateVault, DEFAULT_LOCATION, DEFAULT_RESOURCE_GROUP } from "../vaults/operations.js";
import type { ServerContext } from "../identity/context.js";
import { Clock } from "../identity/clock.js";
import type { AdminCredential, DataDir } from "./data-dir.js";

/** Opens the server's state in an existing, owner-only data directory (ensureDataDir). */
export async function openContext(
  dir: DataDir,
  opts: {
    postgresUrl?: string;
    postgresPoolSize?: number;
    hostnames: string[];
    strictSecretValidity?: boolean;
    onDatabaseError?: (err: Error) => void;
    throttling?: ThrottleLimits;
    testClock?: boolean;
  },
): Promise<ServerContext> {
  const sealer = new Sealer(loadMasterKey(dir.root));
  const store = await openStore({
    sqliteFile: dir.database,
    postgresUrl: opts.postgresUrl,
    postgresPoolSize: opts.postgresPoolSize,
    sealer,
    onConnectionError: opts.onDatabaseError,
  });
  // The token-signing key is the first sealed value a start reads: failing to open it means the wrong master key.
  const tokens = await TokenService.open(store).catch(async (err: unknown) => {
    if (!(err instanceof UnsealError)) throw err;
    await store.close();
    throw new Error(wrongMasterKey(dir, opts.postgresUrl !== undefined));
  });
  const subscriptionId = await setting(store, "subscription_id", () => randomUUID());
  // The default vault's group; the CLI creates vaults in it unless told otherwise.
  if (!(await store.resourceGroups.get(DEFAULT_RESOURCE_GROUP))) {
    await store.resourceGroups.put({
      name: DEFAULT_RESOURCE_GROUP,
      location: DEFAULT_LOCATION,
      tags: {},
      createdAt: Date.now(),
    });
  }
  await ensureAdministrator(store, dir, tokens.tenantId);
  return {
    store,
    tokens,
    subscriptionId,
    hostnames: opts.hostnames.map((h) => h.toLowerCase()),
    strictSecretValidity: opts.strictSecretValidity ?? false,
    ...(opts.throttling ? { throttle: new Throttle(opts.throttling) } : {}),
    clock: new Clock(opts.testClock ?? false),
  };
}

/** Says which key failed and where the right one goes; never the key itself (nor the PostgreSQL URL, which may hold a password). */
function wrongMasterKey(dir: DataDir, postgres: boolean): string {
  const store = postgres ? "the PostgreSQL store" : `the store ${dir.database}`;
  const source = masterKeySource(dir.root);
  return source === "KLUIS_MASTER_KEY"
    ? `The master key in KLUIS_MASTER_KEY does not open ${store}, which was written under another key: set KLUIS_MASTER_KEY to that key (without KLUIS_MASTER_KEY the key is read from ${masterKeyFile(dir.root)}).`
    : `The master key in ${source} does not open ${store}, which was written under another key: put that key back in ${source}, or set KLUIS_MASTER_KEY to it.`;
}

/** This node's id in the audit log: made once per data directory, so that its chain goes on across restarts. */
export function nodeId(dir: DataDir): string {
  const file = join(dir.root, "node.id");
  if (!existsSync(file)) writeFileSync(file, `${randomUUID()}\n`, { mode: 0o600, flag: "wx" });
  return readFileSync(file, "utf8").trim();
}

async function setting(store: Store, key: string, make: () => string): Promise<string> {
  let value = await store.settings.get(key);
  if (!value) {
    value = make();
    await store.settings.put(key, value);
  }
  return value;
}

/**
 * The administrator principal and user, their credential file (owner-only) and the default vault granting them every
 * permission, all made on first start. A data directory from before users existed gets its administrator user (and
 * the file its password) at its next start.
 */
async function ensureAdministrator(store: Store, dir: DataDir, tenantId: string): Promise<void> {
  const recorded = existsSync(dir.adminCredential)
    ? (JSON.parse(readFileSync(dir.adminCredential, "utf8")) as AdminCredential)
    : undefined;
  let credential = recorded && (await store.principals.getByAppId(recorded.appId)) ? recorded : undefined;
  const firstStart = !credential;
  if (!credential) {
    const admin = await createServicePrincipal(store, "kluis-administrator", true);
    credential = { appId: admin.appId, password: admin.password, tenant: tenantId, objectId: admin.objectId };
  }
  // Another node of the same PostgreSQL store may have made the administrator user: its password is in that node's file.
  const userStands = credential.user && (await store.users.getByObjectId(credential.user.objectId));
  if (!userStands && !(await store.users.getByPrincipalName(ADMIN_USER_PRINCIPAL_NAME))) {
    const password = `${newClientSecret()}aA1!`; // meets Entra's complexity rule whatever the random part holds
    const user = await createUser(store, {
      userPrincipalName: ADMIN_USER_PRINCIPAL_NAME,
      displayName: "Kluis administrator",
      mailNickname: "admin",
      password,
      isAdmin: true,
    });
    credential = {
      ...credential,
      user: { userPrincipalName: user.userPrincipalName, password, objectId: user.objectId },
    };
  } else if (!userStands) {
    credential = { ...credential, user: undefined };
  }
  if (JSON.stringify(credential) !== JSON.stringify(recorded)) {
    writeFileSync(dir.adminCredential, JSON.stringify(credential, null, 2) + "\n", { mode: 0o600 });
  }
  if (firstStart && !(await store.vaults.get(DEFAULT_VAULT))) {
    const administrators = [credential.objectId, ...(credential.user ? [credential.user.objectId] : [])];
    await createOrUpdateVault(store, tenantId, DEFAULT_RESOURCE_GROUP, DEFAULT_VAULT, {
      properties: {
        accessPolicies: administrators.map((objectId) => ({ tenantId, objectId, permissions: allPermissions() })),
      },
    });
  }
}

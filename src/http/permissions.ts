// Key Vault's access-policy permission names, per collection, exactly as ARM and `az keyvault set-policy` spell them.
export const PERMISSIONS = {
  certificates: [
    "all",
    "get",
    "list",
    "create",
    "update",
    "import",
    "delete",
    "recover",
    "backup",
    "restore",
    "purge",
    "managecontacts",
    "manageissuers",
    "getissuers",
    "listissuers",
    "setissuers",
    "deleteissuers",
  ],
  keys: [
    "all",
    "encrypt",
    "decrypt",
    "wrapkey",
    "unwrapkey",
    "sign",
    "verify",
    "get",
    "list",
    "create",
    "update",
    "import",
    "delete",
    "backup",
    "restore",
    "recover",
    "purge",
    "release",
    "rotate",
    "getrotationpolicy",
    "setrotationpolicy",
  ],
  secrets: ["all", "get", "list", "set", "delete", "backup", "restore", "recover", "purge"],
  storage: [
    "all",
    "get",
    "list",
    "delete",
    "set",
    "update",
    "regeneratekey",
    "recover",
    "purge",
    "backup",
    "restore",
    "setsas",
    "listsas",
    "getsas",
    "deletesas",
  ],
} as const;

export type Collection = keyof typeof PERMISSIONS;

/** What a data-plane route needs: a collection and one permission in it (or an umbrella one, like manageissuers). */
export interface RequiredPermission {
  collection: Collection;
  permission: string;
  orPermission?: string;
}

/** Lower-cases and checks a list of permission names; returns the unknown ones separately. */
export function normalizePermissions(
  collection: Collection,
  names: readonly string[],
): { valid: string[]; unknown: string[] } {
  const allowed: readonly string[] = PERMISSIONS[collection];
  const valid: string[] = [];
  const unknown: string[] = [];
  for (const name of names) {
    const lower = name.toLowerCase();
    (allowed.includes(lower) ? valid : unknown).push(lower);
  }
  return { valid, unknown };
}

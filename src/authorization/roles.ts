// Azure's built-in Key Vault roles (role-based access) and the data action each data-plane permission is.
import type { RequiredPermission } from "./permissions.js";

export interface RoleDefinition {
  id: string;
  roleName: string;
  description: string;
  dataActions: string[];
}

const KV = "Microsoft.KeyVault/vaults";

/** The built-in roles, with Azure's ids and data actions (wildcards as Azure writes them). */
export const ROLE_DEFINITIONS: RoleDefinition[] = [
  { id: "00482a5a-887f-4fb3-b363-3b7fe8e74483", roleName: "Key Vault Administrator", description: "Perform all data plane operations on a key vault and all objects in it.", dataActions: [`${KV}/*`] },
  { id: "21090545-7ca7-4776-b22c-e363652d74d2", roleName: "Key Vault Reader", description: "Read metadata of key vaults and its certificates, keys, and secrets.", dataActions: [`${KV}/*/read`, `${KV}/secrets/readMetadata/action`] },
  { id: "a4417e6f-fecd-4de8-b567-7b0420556985", roleName: "Key Vault Certificates Officer", description: "Perform any action on the certificates of a key vault.", dataActions: [`${KV}/certificatecas/*`, `${KV}/certificates/*`, `${KV}/certificatecontacts/write`, `${KV}/keys/read`, `${KV}/secrets/readMetadata/action`, `${KV}/secrets/getSecret/action`] },
  { id: "db79e9a7-68ee-4b58-9aeb-b90e7c24fcba", roleName: "Key Vault Certificate User", description: "Read entire certificate contents including secret and key portion.", dataActions: [`${KV}/certificates/read`, `${KV}/secrets/getSecret/action`, `${KV}/secrets/readMetadata/action`, `${KV}/keys/read`] },
  { id: "14b46e9e-c2b7-41b4-b07b-48a6ebf60603", roleName: "Key Vault Crypto Officer", description: "Perform any action on the keys of a key vault.", dataActions: [`${KV}/keys/*`, `${KV}/keyrotationpolicies/*`] },
  { id: "12338af0-0e69-4776-bea7-57ae8d297424", roleName: "Key Vault Crypto User", description: "Perform cryptographic operations using keys.", dataActions: ["read", "update/action", "backup/action", "encrypt/action", "decrypt/action", "wrap/action", "unwrap/action", "sign/action", "verify/action"].map((a) => `${KV}/keys/${a}`) },
  { id: "e147488a-f6f5-4113-8e2d-b22465e65bf6", roleName: "Key Vault Crypto Service Encryption User", description: "Read metadata of keys and perform wrap/unwrap operations.", dataActions: ["read", "wrap/action", "unwrap/action"].map((a) => `${KV}/keys/${a}`) },
  { id: "b86a8fe4-44ce-4948-aee5-eccb2c155cd7", roleName: "Key Vault Secrets Officer", description: "Perform any action on the secrets of a key vault.", dataActions: [`${KV}/secrets/*`] },
  { id: "4633458b-17de-408a-b874-0445c86b69e6", roleName: "Key Vault Secrets User", description: "Read secret contents.", dataActions: [`${KV}/secrets/getSecret/action`, `${KV}/secrets/readMetadata/action`] },
];

/** Access-policy permission → data action (the vocabulary of role-based access). */
const ACTIONS: Record<RequiredPermission["collection"], Record<string, string>> = {
  secrets: {
    get: "secrets/getSecret/action", list: "secrets/readMetadata/action", set: "secrets/setSecret/action",
    delete: "secrets/delete", backup: "secrets/backup/action", restore: "secrets/restore/action",
    recover: "secrets/recover/action", purge: "secrets/purge/action",
  },
  keys: {
    get: "keys/read", list: "keys/read", create: "keys/create/action", import: "keys/import/action",
    update: "keys/update/action", delete: "keys/delete", backup: "keys/backup/action", restore: "keys/restore/action",
    recover: "keys/recover/action", purge: "keys/purge/action", encrypt: "keys/encrypt/action", decrypt: "keys/decrypt/action",
    wrapkey: "keys/wrap/action", unwrapkey: "keys/unwrap/action", sign: "keys/sign/action", verify: "keys/verify/action",
    rotate: "keys/rotate/action", release: "keys/release/action",
    getrotationpolicy: "keyrotationpolicies/read", setrotationpolicy: "keyrotationpolicies/write",
  },
  certificates: {
    get: "certificates/read", list: "certificates/read", create: "certificates/create/action",
    import: "certificates/import/action", update: "certificates/update/action", delete: "certificates/delete",
    backup: "certificates/backup/action", restore: "certificates/restore/action", recover: "certificates/recover/action",
    purge: "certificates/purge/action", managecontacts: "certificatecontacts/write",
    getissuers: "certificatecas/read", listissuers: "certificatecas/read", setissuers: "certificatecas/write",
    deleteissuers: "certificatecas/delete", manageissuers: "certificatecas/write",
  },
  storage: {},
};

export function dataActionFor(need: RequiredPermission): string {
  return `${KV}/${ACTIONS[need.collection][need.permission] ?? `${need.collection}/${need.permission}/action`}`;
}

/** Azure's wildcard match: `*` stands for any run of characters, case-insensitively. */
function matches(pattern: string, action: string): boolean {
  const regex = new RegExp(`^${pattern.split("*").map((p) => p.replace(/[.+?^${}()|[\]\\/]/g, "\\$&")).join(".*")}$`, "i");
  return regex.test(action);
}

export function roleAllows(role: RoleDefinition, action: string): boolean {
  return role.dataActions.some((pattern) => matches(pattern, action));
}

/** A role by its id or by its name (what `az role assignment create --role` accepts). */
export function findRole(idOrName: string): RoleDefinition | undefined {
  const key = idOrName.split("/").pop()!.toLowerCase();
  return ROLE_DEFINITIONS.find((r) => r.id === key || r.roleName.toLowerCase() === idOrName.toLowerCase());
}

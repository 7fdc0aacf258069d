// Azure's built-in roles (the management roles Owner, Contributor, Reader, User Access Administrator and Key Vault
// Contributor; the Key Vault data roles), the data action each data-plane permission is, and how a role's permissions
// (built-in or custom) match an action or a data action.
import type { RequiredPermission } from "../http/permissions.js";

/** One entry of a role's permissions: management actions (ARM calls) and data actions (Key Vault calls), each minus its exclusions. */
export interface RolePermission {
  actions: string[];
  notActions: string[];
  dataActions: string[];
  notDataActions: string[];
}

export interface RoleDefinition {
  id: string;
  roleName: string;
  description: string;
  roleType: "BuiltInRole" | "CustomRole";
  permissions: RolePermission[];
  assignableScopes: string[];
}

const KV = "Microsoft.KeyVault/vaults";

const builtIn = (
  id: string,
  roleName: string,
  description: string,
  permission: Partial<RolePermission>,
): RoleDefinition => ({
  id,
  roleName,
  description,
  roleType: "BuiltInRole",
  permissions: [{ actions: [], notActions: [], dataActions: [], notDataActions: [], ...permission }],
  assignableScopes: ["/"],
});

/** What Azure's Key Vault data roles (but the plain "User" ones) may read of the management plane. */
const KEY_VAULT_READ_ACTIONS = [
  "Microsoft.Authorization/*/read",
  "Microsoft.Insights/alertRules/*",
  "Microsoft.Resources/deployments/*",
  "Microsoft.Resources/subscriptions/resourceGroups/read",
  "Microsoft.Support/*",
  "Microsoft.KeyVault/checkNameAvailability/read",
  "Microsoft.KeyVault/deletedVaults/read",
  "Microsoft.KeyVault/locations/*/read",
  "Microsoft.KeyVault/vaults/*/read",
  "Microsoft.KeyVault/operations/read",
];
const dataRole = (
  id: string,
  roleName: string,
  description: string,
  dataActions: string[],
  actions = KEY_VAULT_READ_ACTIONS,
) => builtIn(id, roleName, description, { actions, dataActions });

/** What Azure's descriptions of its Key Vault data roles end with. */
const RBAC = " Only works for key vaults that use the 'Azure role-based access control' permission model.";

/**
 * The built-in roles, with Azure's ids, names, descriptions, actions and data actions (wildcards as Azure writes them),
 * as Microsoft's list of built-in roles publishes them (learn.microsoft.com/azure/role-based-access-control/built-in-roles).
 */
export const ROLE_DEFINITIONS: RoleDefinition[] = [
  builtIn(
    "8e3af657-a8ff-443c-a75c-2fe8c4bcb635",
    "Owner",
    "Grants full access to manage all resources, including the ability to assign roles in Azure RBAC.",
    { actions: ["*"] },
  ),
  builtIn(
    "b24988ac-6180-42a0-ab88-20f7382dd24c",
    "Contributor",
    "Grants full access to manage all resources, but does not allow you to assign roles in Azure RBAC, manage assignments in Azure Blueprints, or share image galleries.",
    {
      actions: ["*"],
      notActions: [
        "Microsoft.Authorization/*/Delete",
        "Microsoft.Authorization/*/Write",
        "Microsoft.Authorization/elevateAccess/Action",
        "Microsoft.Blueprint/blueprintAssignments/write",
        "Microsoft.Blueprint/blueprintAssignments/delete",
        "Microsoft.Compute/galleries/share/action",
        "Microsoft.Purview/consents/write",
        "Microsoft.Purview/consents/delete",
        "Microsoft.Resources/deploymentStacks/manageDenySetting/action",
        "Microsoft.Subscription/cancel/action",
        "Microsoft.Subscription/enable/action",
      ],
    },
  ),
  builtIn(
    "acdd72a7-3385-48ef-bd42-f606fba81ae7",
    "Reader",
    "View all resources, but does not allow you to make any changes.",
    { actions: ["*/read"] },
  ),
  builtIn(
    "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9",
    "User Access Administrator",
    "Lets you manage user access to Azure resources.",
    { actions: ["*/read", "Microsoft.Authorization/*", "Microsoft.Support/*"] },
  ),
  builtIn(
    "f25e0fa2-a7c8-4377-a976-54943a77a395",
    "Key Vault Contributor",
    "Lets you manage key vaults, but not access to them.",
    {
      actions: [
        "Microsoft.Authorization/*/read",
        "Microsoft.Insights/alertRules/*",
        "Microsoft.KeyVault/*",
        "Microsoft.Resources/deployments/*",
        "Microsoft.Resources/subscriptions/resourceGroups/read",
        "Microsoft.Support/*",
      ],
      notActions: [
        "Microsoft.KeyVault/locations/deletedVaults/purge/action",
        "Microsoft.KeyVault/hsmPools/*",
        "Microsoft.KeyVault/managedHsms/*",
      ],
    },
  ),
  dataRole(
    "00482a5a-887f-4fb3-b363-3b7fe8e74483",
    "Key Vault Administrator",
    `Perform all data plane operations on a key vault and all objects in it, including certificates, keys, and secrets. Cannot manage key vault resources or manage role assignments.${RBAC}`,
    [`${KV}/*`],
  ),
  dataRole(
    "21090545-7ca7-4776-b22c-e363652d74d2",
    "Key Vault Reader",
    `Read metadata of key vaults and its certificates, keys, and secrets. Cannot read sensitive values such as secret contents or key material.${RBAC}`,
    [`${KV}/*/read`, `${KV}/secrets/readMetadata/action`],
  ),
  dataRole(
    "a4417e6f-fecd-4de8-b567-7b0420556985",
    "Key Vault Certificates Officer",
    `Perform any action on the certificates of a key vault, except manage permissions.${RBAC}`,
    [`${KV}/certificatecas/*`, `${KV}/certificates/*`, `${KV}/certificatecontacts/write`],
  ),
  dataRole(
    "db79e9a7-68ee-4b58-9aeb-b90e7c24fcba",
    "Key Vault Certificate User",
    `Read certificate contents.${RBAC}`,
    [
      `${KV}/certificates/read`,
      `${KV}/secrets/getSecret/action`,
      `${KV}/secrets/readMetadata/action`,
      `${KV}/keys/read`,
    ],
    [],
  ),
  dataRole(
    "14b46e9e-c2b7-41b4-b07b-48a6ebf60603",
    "Key Vault Crypto Officer",
    `Perform any action on the keys of a key vault, except manage permissions.${RBAC}`,
    [`${KV}/keys/*`, `${KV}/keyrotationpolicies/*`],
  ),
  dataRole(
    "12338af0-0e69-4776-bea7-57ae8d297424",
    "Key Vault Crypto User",
    `Perform cryptographic operations using keys.${RBAC}`,
    [
      "read",
      "update/action",
      "backup/action",
      "encrypt/action",
      "decrypt/action",
      "wrap/action",
      "unwrap/action",
      "sign/action",
      "verify/action",
    ].map((a) => `${KV}/keys/${a}`),
    [],
  ),
  dataRole(
    "e147488a-f6f5-4113-8e2d-b22465e65bf6",
    "Key Vault Crypto Service Encryption User",
    `Read metadata of keys and perform wrap/unwrap operations.${RBAC}`,
    ["read", "wrap/action", "unwrap/action"].map((a) => `${KV}/keys/${a}`),
    ["write", "read", "delete"].map((a) => `Microsoft.EventGrid/eventSubscriptions/${a}`),
  ),
  dataRole(
    "b86a8fe4-44ce-4948-aee5-eccb2c155cd7",
    "Key Vault Secrets Officer",
    `Perform any action on the secrets of a key vault, except manage permissions.${RBAC}`,
    [`${KV}/secrets/*`],
  ),
  dataRole(
    "4633458b-17de-408a-b874-0445c86b69e6",
    "Key Vault Secrets User",
    `Read secret contents.${RBAC}`,
    [`${KV}/secrets/getSecret/action`, `${KV}/secrets/readMetadata/action`],
    [],
  ),
];

/** Access-policy permission → data action (the vocabulary of role-based access). */
const ACTIONS: Record<RequiredPermission["collection"], Record<string, string>> = {
  secrets: {
    get: "secrets/getSecret/action",
    list: "secrets/readMetadata/action",
    set: "secrets/setSecret/action",
    delete: "secrets/delete",
    backup: "secrets/backup/action",
    restore: "secrets/restore/action",
    recover: "secrets/recover/action",
    purge: "secrets/purge/action",
  },
  keys: {
    get: "keys/read",
    list: "keys/read",
    create: "keys/create/action",
    import: "keys/import/action",
    update: "keys/update/action",
    delete: "keys/delete",
    backup: "keys/backup/action",
    restore: "keys/restore/action",
    recover: "keys/recover/action",
    purge: "keys/purge/action",
    encrypt: "keys/encrypt/action",
    decrypt: "keys/decrypt/action",
    wrapkey: "keys/wrap/action",
    unwrapkey: "keys/unwrap/action",
    sign: "keys/sign/action",
    verify: "keys/verify/action",
    rotate: "keys/rotate/action",
    release: "keys/release/action",
    getrotationpolicy: "keyrotationpolicies/read",
    setrotationpolicy: "keyrotationpolicies/write",
  },
  certificates: {
    get: "certificates/read",
    list: "certificates/read",
    create: "certificates/create/action",
    import: "certificates/import/action",
    update: "certificates/update/action",
    delete: "certificates/delete",
    backup: "certificates/backup/action",
    restore: "certificates/restore/action",
    recover: "certificates/recover/action",
    purge: "certificates/purge/action",
    managecontacts: "certificatecontacts/write",
    getissuers: "certificatecas/read",
    listissuers: "certificatecas/read",
    setissuers: "certificatecas/write",
    deleteissuers: "certificatecas/delete",
    manageissuers: "certificatecas/write",
  },
  storage: {},
};

export function dataActionFor(need: RequiredPermission): string {
  return `${KV}/${ACTIONS[need.collection][need.permission] ?? `${need.collection}/${need.permission}/action`}`;
}

/**
 * Azure's wildcard match: `*` stands for any run of characters, case-insensitively. A scan with one backtracking
 * point (the last `*`), at most pattern × action steps; a regular expression of `.*` runs backtracks exponentially
 * on a pattern like `a*a*a*…b`. A pattern with more literal characters than the action cannot match.
 */
function matches(pattern: string, action: string): boolean {
  const p = pattern.toLowerCase();
  const a = action.toLowerCase();
  if (p.length - p.split("*").length + 1 > a.length) return false;
  let pi = 0;
  let ai = 0;
  let star = -1; // the pattern index after the last `*` seen
  let resume = 0; // where in the action that `*`'s run ends so far
  while (ai < a.length) {
    if (pi < p.length && p[pi] === "*") {
      star = ++pi;
      resume = ai;
    } else if (pi < p.length && p[pi] === a[ai]) {
      pi++;
      ai++;
    } else if (star >= 0) {
      pi = star;
      ai = ++resume;
    } else {
      return false;
    }
  }
  while (pi < p.length && p[pi] === "*") pi++;
  return pi === p.length;
}

/** Each permission grants its data actions minus its own exclusions, as Azure computes a role's effective permissions. */
export function roleAllows(role: RoleDefinition, action: string): boolean {
  return role.permissions.some(
    (p) =>
      p.dataActions.some((pattern) => matches(pattern, action)) &&
      !p.notDataActions.some((pattern) => matches(pattern, action)),
  );
}

/** The same for a management action (an ARM call): the permission's actions minus its notActions. */
export function roleAllowsAction(role: RoleDefinition, action: string): boolean {
  return role.permissions.some(
    (p) =>
      p.actions.some((pattern) => matches(pattern, action)) &&
      !p.notActions.some((pattern) => matches(pattern, action)),
  );
}

/** Every data action a data-plane request can need: what a custom role's data actions are checked against. */
const KNOWN_DATA_ACTIONS = [
  ...new Set(Object.values(ACTIONS).flatMap((byPermission) => Object.values(byPermission))),
].map((a) => `${KV}/${a}`);

/** True when the data action, or wildcard, names at least one data action Kluis checks. */
export function isKnownDataAction(pattern: string): boolean {
  return KNOWN_DATA_ACTIONS.some((action) => matches(pattern, action));
}

/** A role by its id or by its name (what `az role assignment create --role` accepts), among `roles`. */
export function findRole<T extends Pick<RoleDefinition, "id" | "roleName">>(
  roles: readonly T[],
  idOrName: string,
): T | undefined {
  const key = idOrName.split("/").pop()!.toLowerCase();
  return roles.find((r) => r.id === key || r.roleName.toLowerCase() === idOrName.toLowerCase());
}

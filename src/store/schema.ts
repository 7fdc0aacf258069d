// Table shapes shared by every dialect. JSON columns are text so SQLite and PostgreSQL store them alike.
export interface Database {
  settings: { key: string; value: string };
  principals: {
    object_id: string;
    app_id: string;
    display_name: string;
    secret_hash: string;
    is_admin: number;
    created_at: number;
    /** Moves on with every credential reset: tokens issued under an older generation are refused. */
    credential_generation: number;
  };
  /** People who sign in with a password (identity/users.ts). */
  users: {
    object_id: string;
    /** The user principal name lower-cased: UPNs are case-insensitive. */
    upn_key: string;
    user_principal_name: string;
    display_name: string;
    mail_nickname: string;
    password_hash: string;
    account_enabled: number;
    is_admin: number;
    created_at: number;
    /** Moves on with every password change: tokens issued under an older generation are refused. */
    credential_generation: number;
  };
  /** ARM resource groups (Microsoft.Resources/resourceGroups) of the one subscription. */
  resource_groups: {
    /** The name lower-cased: ARM names are case-insensitive. */
    name_key: string;
    name: string;
    location: string;
    tags: string;
    created_at: number;
  };
  /** Role assignments (Microsoft.Authorization/roleAssignments): a row each, so concurrent writers never lose one. */
  role_assignments: {
    /** The assignment's name (a GUID), unique across scopes as in Azure. */
    name: string;
    scope: string;
    principal_id: string;
    role_definition_id: string;
    created_at: number;
  };
  /** Custom role definitions; built-in roles are code (authorization/roles.ts). */
  role_definitions: {
    id: string;
    /** The role's name lower-cased: unique, as Azure's role names are per tenant. */
    role_name_key: string;
    /** The definition as JSON. */
    definition: string;
  };
  vaults: {
    name: string;
    id: string;
    location: string;
    resource_group: string;
    properties: string;
    tags: string;
    created_at: number;
    deleted_at: number | null;
    scheduled_purge_at: number | null;
  };
  /** One row per named object (certificate, key or secret) in a vault, deleted or not. */
  object_names: {
    vault: string;
    kind: string;
    /** The name lower-cased: Key Vault names are case-insensitive. */
    name_key: string;
    /** The name as first written. */
    name: string;
    deleted_at: number | null;
    scheduled_purge_at: number | null;
    state: string;
    sealed_state: string | null;
  };
  /** One row per version of a named object. */
  object_versions: {
    vault: string;
    kind: string;
    name_key: string;
    name: string;
    version: string;
    seq: number;
    created_at: number;
    updated_at: number;
    attributes: string;
    tags: string;
    data: string;
    sealed: string | null;
  };
  /** The audit log: `entry` is the AuditEvent as JSON; vault, caller and operation are copied out of it for filtering. */
  audit_entries: {
    node_id: string;
    seq: number;
    time: number;
    vault: string | null;
    /** The caller's object id. */
    caller: string | null;
    operation_name: string;
    entry: string;
    prev_mac: string;
    mac: string;
  };
  /** Authorization codes already redeemed, each until its expiry: a code is good once. */
  authorization_codes: { id: string; expires_at: number };
}

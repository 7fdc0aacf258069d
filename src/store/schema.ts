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
    /** What the principal is: ServicePrincipal, User, or (named by the caller for a principal Kluis does not hold) Group, ForeignGroup, Device. */
    principal_type: string;
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
    /** The version's `exp` in ms (copied out of `attributes`), for the expiry sweep. */
    expires_at: number | null;
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
  /** Event subscriptions on a vault (events/subscriptions.ts); `id_key` is the resource id lower-cased. */
  event_subscriptions: {
    id_key: string;
    vault: string;
    name: string;
    properties: string;
    /** The HMAC signing key, sealed. */
    sealed_secret: string;
    created_at: number;
  };
  /** The delivery queue: one row per event and subscription (channel webhook) or per e-mail (channel mail). */
  event_deliveries: {
    id: string;
    channel: string;
    subscription: string | null;
    vault: string;
    event_type: string;
    payload: string;
    /** pending, then deleted once delivered, or dead (the dead-letter record). */
    state: string;
    attempts: number;
    next_attempt_at: number;
    expires_at: number;
    lease_owner: string | null;
    lease_until: number | null;
    last_error: string | null;
    created_at: number;
  };
  event_marks: { vault: string; kind: string; name_key: string; version: string; mark: string };
  /** Authorization codes already redeemed, each until its expiry: a code is good once. */
  authorization_codes: { id: string; expires_at: number };
}

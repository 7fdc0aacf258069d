// Key Vault REST bodies (and ARM role definitions) reshaped as az prints them (the SDK models as JSON): camelCase,
// ISO dates, nulls for absent fields, standard base64 for bytes, the object's name next to its id.
import type {
  CertificateBundle,
  CertificateItem,
  CertificateOperation,
  DeletedCertificateBundle,
  DeletedCertificateItem,
  IssuerBundle,
} from "../certificates/model.js";
import type {
  DeletedKeyBundle,
  DeletedKeyItem,
  JsonWebKey,
  KeyBundle,
  KeyItem,
  KeyRotationPolicy,
} from "../keys/model.js";
import type { WireAttributes } from "../objects/attributes.js";
import type { DeletedFields } from "../objects/soft-delete.js";
import type { DeletedSecretBundle, DeletedSecretItem, SecretBundle, SecretItem } from "../secrets/model.js";
import { toBase64 } from "./data-plane.js";

type Json = Record<string, unknown>;
/** What a deleted object's JSON may add to the live one. */
type MaybeDeleted = Partial<DeletedFields> & object;

const iso = (epoch: unknown) =>
  typeof epoch === "number" ? new Date(epoch * 1000).toISOString().replace(/\.000Z$/, "+00:00") : null;
const nameOf = (id: unknown) =>
  typeof id === "string" ? decodeURIComponent(new URL(id).pathname.split("/")[2] ?? "") : null;
const or = (v: unknown) => (v === undefined ? null : v);

export function attributesOut(a: (Partial<WireAttributes> & Json) | undefined, extra: string[] = []): Json {
  const out: Json = {
    created: iso(a?.created),
    enabled: or(a?.enabled),
    expires: iso(a?.exp),
    notBefore: iso(a?.nbf),
    recoverableDays: or(a?.recoverableDays),
    recoveryLevel: or(a?.recoveryLevel),
    updated: iso(a?.updated),
  };
  for (const k of extra) out[k] = or(a?.[k]);
  return sortKeys(out);
}

function sortKeys(o: Json): Json {
  return Object.fromEntries(Object.entries(o).sort(([a], [b]) => a.localeCompare(b)));
}

/** The deleted-object fields az adds to an object's own. */
function deletedOut(deleted: object): Json {
  const b: MaybeDeleted = deleted;
  return b.recoveryId === undefined
    ? {}
    : { deletedDate: iso(b.deletedDate), recoveryId: b.recoveryId, scheduledPurgeDate: iso(b.scheduledPurgeDate) };
}

// Secrets: `az keyvault secret show` → {attributes, contentType, id, kid, managed, name, tags, value}.
export function secretOut(b: SecretBundle | DeletedSecretBundle): Json {
  return sortKeys({
    attributes: attributesOut({ ...b.attributes }),
    contentType: or(b.contentType),
    id: b.id,
    kid: or(b.kid),
    managed: or(b.managed),
    name: nameOf(b.id),
    tags: or(b.tags),
    value: or(b.value),
    ...deletedOut(b),
  });
}

/** A list item: the properties without value or kid. */
export function secretItemOut(b: SecretItem | DeletedSecretItem): Json {
  const { kid: _kid, value: _value, ...rest } = secretOut(b);
  return rest;
}

// Keys: `az keyvault key show` → {attributes, key (JWK, camelCase keyOps), managed, name, releasePolicy, tags}.
const JWK_FIELDS = ["crv", "d", "dp", "dq", "e", "k", "keyOps", "kid", "kty", "n", "p", "q", "qi", "t", "x", "y"];

export function jwkOut(jwk: (JsonWebKey & Json) | undefined): Json {
  const out: Json = {};
  for (const f of JWK_FIELDS) {
    const v = f === "keyOps" ? jwk?.key_ops : jwk?.[f];
    out[f] = typeof v === "string" && !["kid", "kty", "crv"].includes(f) ? toBase64(v) : or(v);
  }
  return out;
}

/** A key as the keys API returns it; `release_policy` is Key Vault's, which Kluis does not send. */
type KeyJson = (KeyBundle | DeletedKeyBundle) & { release_policy?: unknown };

export function keyOut(b: KeyJson): Json {
  return sortKeys({
    attributes: attributesOut({ ...b.attributes }, ["exportable", "hsmPlatform"]),
    key: jwkOut({ ...b.key }),
    managed: or(b.managed),
    name: nameOf(b.key.kid),
    releasePolicy: or(b.release_policy),
    tags: or(b.tags),
    ...deletedOut(b),
  });
}

export function keyItemOut(b: KeyItem | DeletedKeyItem): Json {
  return sortKeys({
    attributes: attributesOut({ ...b.attributes }, ["exportable", "hsmPlatform"]),
    kid: b.kid,
    managed: or(b.managed),
    name: nameOf(b.kid),
    tags: or(b.tags),
    ...deletedOut(b),
  });
}

// Certificate policy: REST's snake_case ↔ az's names (what `get-default-policy` prints and `--policy` takes).
const POLICY_NAMES: [string, string][] = [
  ["key_props", "keyProperties"],
  ["kty", "keyType"],
  ["key_size", "keySize"],
  ["reuse_key", "reuseKey"],
  ["crv", "curve"],
  ["secret_props", "secretProperties"],
  ["x509_props", "x509CertificateProperties"],
  ["sans", "subjectAlternativeNames"],
  ["dns_names", "dnsNames"],
  ["key_usage", "keyUsage"],
  ["validity_months", "validityInMonths"],
  ["lifetime_actions", "lifetimeActions"],
  ["lifetime_percentage", "lifetimePercentage"],
  ["days_before_expiry", "daysBeforeExpiry"],
  ["action_type", "actionType"],
  ["issuer", "issuerParameters"],
  ["cty", "certificateType"],
  ["cert_transparency", "certificateTransparency"],
  ["cancellation_requested", "cancellationRequested"],
  ["status_details", "statusDetails"],
  ["request_id", "requestId"],
  ["account_id", "accountId"],
  ["pwd", "password"],
  ["org_details", "organizationDetails"],
  ["admin_details", "adminDetails"],
  ["first_name", "firstName"],
  ["last_name", "lastName"],
];
const TO_AZ = new Map(POLICY_NAMES);
const TO_REST = new Map(POLICY_NAMES.map(([rest, az]) => [az, rest]));

function rename(value: unknown, names: Map<string, string>): unknown {
  if (Array.isArray(value)) return value.map((v) => rename(v, names));
  if (!value || typeof value !== "object") return value;
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [names.get(k) ?? k, rename(v, names)]));
}

/** A policy (or operation, issuer) in az's names; its dates as ISO. */
export function policyOut(p: Json | undefined | null): Json | null {
  if (!p) return null;
  const out = rename(p, TO_AZ) as Json;
  const a = out.attributes as Json | undefined;
  if (a) out.attributes = sortKeys({ created: iso(a.created), enabled: or(a.enabled), updated: iso(a.updated) });
  return out;
}

/** A policy given in az's names or REST's (both are in circulation), in REST's. */
export const policyIn = (p: Json): Json => rename(p, TO_REST) as Json;

// Certificates: `az keyvault certificate show` → {attributes, cer, contentType, id, kid, name, policy, sid, tags, x509Thumbprint, x509ThumbprintHex}.
function thumbprints(x5t: unknown): Json {
  const bytes = typeof x5t === "string" ? Buffer.from(x5t, "base64url") : undefined;
  return {
    x509Thumbprint: bytes ? bytes.toString("base64") : null,
    x509ThumbprintHex: bytes ? bytes.toString("hex").toUpperCase() : null,
  };
}

export function certificateOut(b: CertificateBundle | DeletedCertificateBundle): Json {
  const full: Partial<CertificateBundle> = b;
  return sortKeys({
    attributes: attributesOut(full.attributes && { ...full.attributes }),
    cer: toBase64(full.cer) ?? null,
    contentType: or(b.policy.secret_props?.contentType),
    id: b.id,
    kid: or(full.kid),
    name: nameOf(b.id),
    policy: policyOut({ ...b.policy }),
    sid: or(full.sid),
    tags: or(full.tags),
    ...thumbprints(full.x5t),
    ...deletedOut(b),
  });
}

/** A certificate in a list; a deleted one that never had a version has only its id. */
export function certificateItemOut(b: CertificateItem | DeletedCertificateItem): Json {
  const item: Partial<CertificateItem> = b;
  return sortKeys({
    attributes: attributesOut(item.attributes && { ...item.attributes }),
    id: b.id,
    name: nameOf(b.id),
    tags: or(item.tags),
    ...thumbprints(item.x5t),
    ...deletedOut(b),
  });
}

/** A certificate operation (`pending show`, and what `certificate create` prints). */
export function operationOut(b: CertificateOperation): Json {
  const out = policyOut({ ...b })!;
  return sortKeys({
    cancellationRequested: or(out.cancellationRequested),
    csr: toBase64(b.csr) ?? null,
    error: or(out.error),
    id: out.id,
    issuerParameters: or(out.issuerParameters),
    name: nameOf(b.id),
    requestId: or(out.requestId),
    status: or(out.status),
    statusDetails: or(out.statusDetails),
    target: or(out.target),
  });
}

export function issuerOut(b: IssuerBundle): Json {
  const out = policyOut({ ...b })!;
  return sortKeys({
    attributes: or(out.attributes),
    credentials: or(out.credentials),
    id: out.id,
    name: decodeURIComponent(b.id.split("/").pop()!),
    organizationDetails: or(out.organizationDetails),
    provider: or(out.provider),
  });
}

/** A key's rotation policy as az prints it (the SDK model): {createdOn, expiresIn, id, lifetimeActions, updatedOn}. */
export function rotationPolicyOut(p: KeyRotationPolicy): Json {
  const attributes = p.attributes ?? {};
  const actions = p.lifetimeActions ?? [];
  return {
    createdOn: iso(attributes.created),
    expiresIn: attributes.expiryTime ?? null,
    id: p.id ?? null,
    lifetimeActions: actions.map((a) => ({
      action: a.action?.type ?? null,
      timeAfterCreate: a.trigger?.timeAfterCreate ?? null,
      timeBeforeExpiry: a.trigger?.timeBeforeExpiry ?? null,
    })),
    updatedOn: iso(attributes.updated),
  };
}

/** A rotation policy given in REST's form (as az documents it) or in az's printed form, in REST's. */
export function rotationPolicyIn(p: Json): Json {
  if (!("expiresIn" in p) && !(p.lifetimeActions as Json[] | undefined)?.some((a) => typeof a.action === "string"))
    return p;
  const actions = (p.lifetimeActions ?? []) as Json[];
  return {
    lifetimeActions: actions.map((a) => ({
      trigger: {
        ...(a.timeAfterCreate ? { timeAfterCreate: a.timeAfterCreate } : {}),
        ...(a.timeBeforeExpiry ? { timeBeforeExpiry: a.timeBeforeExpiry } : {}),
      },
      action: { type: a.action },
    })),
    attributes: p.expiresIn ? { expiryTime: p.expiresIn } : {},
  };
}

// Role definitions: `az role definition list` flattens ARM's properties → {assignableScopes, description, id, name,
// permissions, roleName, roleType, type}.
export function roleDefinitionOut(b: Json): Json {
  const p = (b.properties ?? {}) as Json;
  return sortKeys({
    assignableScopes: or(p.assignableScopes),
    description: or(p.description),
    id: b.id,
    name: b.name,
    permissions: or(p.permissions),
    roleName: or(p.roleName),
    roleType: or(p.type),
    type: b.type,
  });
}

/**
 * az's role definition file as ARM's PUT body. As az does, top-level names take any first-letter case ("Name",
 * "AssignableScopes") and the permission is either the top-level Actions/NotActions/DataActions/NotDataActions or a
 * "permissions" list.
 */
export function roleDefinitionIn(file: Json): Json {
  const d = Object.fromEntries(
    Object.entries(file).map(([k, v]) => [k.charAt(0).toLowerCase() + k.slice(1), v]),
  ) as Json;
  const permission = (p: Json) => ({
    actions: p.actions ?? [],
    notActions: p.notActions ?? [],
    dataActions: p.dataActions ?? [],
    notDataActions: p.notDataActions ?? [],
  });
  return {
    properties: {
      roleName: d.name,
      description: or(d.description),
      type: "CustomRole",
      permissions: Array.isArray(d.permissions) ? (d.permissions as Json[]).map(permission) : [permission(d)],
      assignableScopes: or(d.assignableScopes),
    },
  };
}

// How a certificate and the vault's issuers and contacts are stored, and the JSON shapes Key Vault returns for them.
import { createHash } from "node:crypto";
import { wireAttributes, toSeconds, type StoredAttributes, type WireAttributes } from "../objects/attributes.js";
import { CERTIFICATES, KEYS, SECRETS } from "../objects/collection.js";
import { deletedFields, type DeletedFields } from "../objects/soft-delete.js";
import { objectUrl } from "../objects/names.js";
import type { VaultScope } from "../objects/scope.js";
import type { NameRecord, VersionRecord } from "../store/repositories/objects.js";
import type { PolicyRecord } from "./policy.js";

export interface PendingOperation {
  requestId: string;
  status: "inProgress" | "completed" | "failed" | "cancelled";
  statusDetails: string;
  csr: string;
  cancellationRequested: boolean;
  issuer: PolicyRecord["issuer"];
  error?: { code: string; message: string };
  /** The version the operation creates; Key Vault names it when the request starts. */
  version: string;
  /** Set once the version exists. */
  target?: string;
  /** Attributes and tags the create asked for, applied to the version when it is issued. */
  attributes: StoredAttributes;
  tags: Record<string, string>;
  /** When the request was made (ms); absent in operations stored before Kluis recorded it. */
  requestedAt?: number;
}

/** State of a certificate name: its one policy and its latest operation. */
export interface CertificateState {
  policy: PolicyRecord;
  policyCreatedAt: number;
  policyUpdatedAt: number;
  pending?: PendingOperation;
}

export interface CertificateVersionData {
  cer: string;
  x5t: string;
}

export type CertificateName = NameRecord<CertificateState>;
export type CertificateVersion = VersionRecord<StoredAttributes, CertificateVersionData>;

/** A certificate as GET answers it: its issued version, or, before it has one, its pending operation. */
export type CertificateView =
  { record: CertificateName; version: CertificateVersion } | { record: CertificateName; pending: PendingOperation };

/** A deleted certificate with its newest version (none when it was deleted while its first version was pending). */
export interface DeletedCertificate {
  record: CertificateName;
  latest?: CertificateVersion;
}

/** Issuers and contacts are vault settings of the certificates API, stored as names of their own kinds. */
export const ISSUER_KIND = "certificate-issuer";
export const CONTACTS_KIND = "certificate-contacts";

/** An issuer; its account password is the name's sealed bytes, never returned. */
export interface IssuerState {
  provider: string;
  accountId?: string;
  orgDetails?: OrganizationDetails;
  enabled: boolean;
  createdAt: number;
  updatedAt: number;
}

export interface OrganizationDetails {
  id?: string;
  admin_details?: { first_name?: string; last_name?: string; email?: string; phone?: string }[];
}

export type IssuerRecord = NameRecord<IssuerState>;

export interface Contact {
  email?: string;
  name?: string;
  phone?: string;
}

export const COLLECTION = CERTIFICATES.collection;

// -- wire JSON ------------------------------------------------------------------------------------------

/** A certificate's policy as Key Vault returns it: the stored policy with its id and times. */
export interface CertificatePolicy extends Omit<PolicyRecord, "attributes"> {
  id: string;
  attributes: { enabled: boolean; created: number; updated: number };
}

export interface CertificateItem {
  id: string;
  x5t?: string;
  attributes: WireAttributes;
  tags: Record<string, string>;
}

/** CertificateBundle: the version's id, its key and secret ids, the DER (`cer`, absent while pending) and the policy. */
export interface CertificateBundle extends CertificateItem {
  kid: string;
  sid: string;
  cer?: string;
  policy: CertificatePolicy;
}

export type DeletedCertificateBundle = (CertificateBundle | { id: string; policy: CertificatePolicy }) & DeletedFields;
/** A deleted certificate in a list: its newest version's item, or only its id when it never had a version. */
export type DeletedCertificateItem = (CertificateItem | { id: string }) & DeletedFields;

/** The pending operation of a certificate (CertificateOperation). */
export interface CertificateOperation {
  id: string;
  issuer: PolicyRecord["issuer"];
  csr: string;
  cancellation_requested: boolean;
  status: PendingOperation["status"];
  status_details: string;
  error?: { code: string; message: string };
  target?: string;
  request_id: string;
}

/** IssuerBundle; the credentials show the account id only. */
export interface IssuerBundle {
  id: string;
  provider: string;
  credentials?: { account_id: string };
  org_details?: OrganizationDetails;
  attributes: { enabled: boolean; created: number; updated: number };
}

/** CertificateIssuerItem, as in list results. */
export interface IssuerItem {
  id: string;
  provider: string;
}

/** Contacts: the vault's one list of certificate contacts. */
export interface Contacts {
  id: string;
  contacts: Contact[];
}

/** SHA-1 thumbprint, base64url, as Key Vault's `x5t`. */
export const thumbprint = (der: Buffer) => createHash("sha1").update(der).digest("base64url");

export function policyJson(scope: VaultScope, name: string, state: CertificateState): CertificatePolicy {
  return {
    id: `${objectUrl(scope.vaultUrl, COLLECTION, name)}/policy`,
    ...state.policy,
    attributes: {
      ...state.policy.attributes,
      created: toSeconds(state.policyCreatedAt),
      updated: toSeconds(state.policyUpdatedAt),
    },
  };
}

/** CertificateBundle: the version's id, its key and secret ids, the DER, attributes, tags and the policy. */
function versionBundle(scope: VaultScope, record: CertificateName, v: CertificateVersion): CertificateBundle {
  return {
    id: objectUrl(scope.vaultUrl, COLLECTION, v.name, v.version),
    kid: objectUrl(scope.vaultUrl, KEYS.collection, v.name, v.version),
    sid: objectUrl(scope.vaultUrl, SECRETS.collection, v.name, v.version),
    x5t: v.data.x5t,
    cer: v.data.cer,
    attributes: wireAttributes(v.attributes, v, scope.vault),
    tags: v.tags,
    policy: policyJson(scope, v.name, record.state),
  };
}

/** A pending certificate's attributes: disabled, as of its policy's last change. */
function pendingAttributes(scope: VaultScope, record: CertificateName, op: PendingOperation): WireAttributes {
  const times = { createdAt: record.state.policyUpdatedAt, updatedAt: record.state.policyUpdatedAt };
  return wireAttributes({ ...op.attributes, enabled: false }, times, scope.vault);
}

/**
 * A certificate that so far has only its pending operation: Key Vault already answers for it, disabled and
 * without `cer` (the JavaScript SDK's operation poller reads it).
 */
function pendingBundle(scope: VaultScope, record: CertificateName, op: PendingOperation): CertificateBundle {
  return {
    id: objectUrl(scope.vaultUrl, COLLECTION, record.name, op.version),
    kid: objectUrl(scope.vaultUrl, KEYS.collection, record.name, op.version),
    sid: objectUrl(scope.vaultUrl, SECRETS.collection, record.name, op.version),
    attributes: pendingAttributes(scope, record, op),
    tags: op.tags,
    policy: policyJson(scope, record.name, record.state),
  };
}

export const certificateBundle = (scope: VaultScope, view: CertificateView): CertificateBundle =>
  "version" in view ? versionBundle(scope, view.record, view.version) : pendingBundle(scope, view.record, view.pending);

/** CertificateItem, as in list results. */
export function certificateItem(scope: VaultScope, v: CertificateVersion, withVersion = false): CertificateItem {
  return {
    id: objectUrl(scope.vaultUrl, COLLECTION, v.name, withVersion ? v.version : undefined),
    x5t: v.data.x5t,
    attributes: wireAttributes(v.attributes, v, scope.vault),
    tags: v.tags,
  };
}

/** A certificate in GetCertificates: its newest version, or (with includePending) its pending operation. */
export function certificateListItem(scope: VaultScope, view: CertificateView): CertificateItem {
  if ("version" in view) return certificateItem(scope, view.version);
  const { record, pending } = view;
  return {
    id: objectUrl(scope.vaultUrl, COLLECTION, record.name),
    attributes: pendingAttributes(scope, record, pending),
    tags: pending.tags,
  };
}

const deletedCertificateFields = (scope: VaultScope, record: CertificateName) =>
  deletedFields(record, objectUrl(scope.vaultUrl, CERTIFICATES.deletedCollection, record.name));

/** A deleted certificate: its newest version's bundle, or only its id and policy when it never had a version. */
export function deletedCertificateBundle(
  scope: VaultScope,
  { record, latest }: DeletedCertificate,
): DeletedCertificateBundle {
  const body = latest
    ? versionBundle(scope, record, latest)
    : { id: objectUrl(scope.vaultUrl, COLLECTION, record.name), policy: policyJson(scope, record.name, record.state) };
  return { ...body, ...deletedCertificateFields(scope, record) };
}

/** DeletedCertificateItem: the newest version's item under its versioned id (or the bare id), with the deleted fields. */
export function deletedCertificateItem(
  scope: VaultScope,
  { record, latest }: DeletedCertificate,
): DeletedCertificateItem {
  const item = latest
    ? certificateItem(scope, latest, true)
    : { id: objectUrl(scope.vaultUrl, COLLECTION, record.name) };
  return { ...item, ...deletedCertificateFields(scope, record) };
}

export function operationJson(scope: VaultScope, name: string, op: PendingOperation): CertificateOperation {
  return {
    id: `${objectUrl(scope.vaultUrl, COLLECTION, name)}/pending`,
    issuer: op.issuer,
    csr: op.csr,
    cancellation_requested: op.cancellationRequested,
    status: op.status,
    status_details: op.statusDetails,
    ...(op.error ? { error: op.error } : {}),
    ...(op.target ? { target: objectUrl(scope.vaultUrl, COLLECTION, name) } : {}),
    request_id: op.requestId,
  };
}

// -- issuers and contacts --------------------------------------------------------------------------------

export const ISSUERS_PATH = `/${COLLECTION}/issuers`;
export const CONTACTS_PATH = `/${COLLECTION}/contacts`;

const issuerUrl = (scope: VaultScope, name: string) => `${scope.vaultUrl}${ISSUERS_PATH}/${name}`;

export function issuerBundle(scope: VaultScope, record: IssuerRecord): IssuerBundle {
  const s = record.state;
  return {
    id: issuerUrl(scope, record.name),
    provider: s.provider,
    ...(s.accountId !== undefined ? { credentials: { account_id: s.accountId } } : {}),
    ...(s.orgDetails ? { org_details: s.orgDetails } : {}),
    attributes: { enabled: s.enabled, created: toSeconds(s.createdAt), updated: toSeconds(s.updatedAt) },
  };
}

export const issuerItem = (scope: VaultScope, record: IssuerRecord): IssuerItem => ({
  id: issuerUrl(scope, record.name),
  provider: record.state.provider,
});

export const contactsJson = (scope: VaultScope, contacts: Contact[]): Contacts => ({
  id: `${scope.vaultUrl}${CONTACTS_PATH}`,
  contacts,
});

// How a certificate is stored, and the JSON shapes Key Vault returns for it.
import { createHash } from "node:crypto";
import { wireAttributes, toSeconds, type StoredAttributes, type WireAttributes } from "../objects/attributes.js";
import { CERTIFICATES, KEYS, SECRETS } from "../objects/collection.js";
import type { DeletedFields } from "../objects/soft-delete.js";
import { objectUrl } from "../objects/names.js";
import type { VaultScope } from "../objects/scope.js";
import type { NameRecord, VersionRecord } from "../store/store.js";
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
export function certificateBundle(scope: VaultScope, record: CertificateName, v: CertificateVersion): CertificateBundle {
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

/**
 * A certificate that so far has only its pending operation: Key Vault already answers for it, disabled and
 * without `cer` (the JavaScript SDK's operation poller reads it).
 */
export function pendingCertificateBundle(scope: VaultScope, record: CertificateName, op: PendingOperation): CertificateBundle {
  const times = { createdAt: record.state.policyUpdatedAt, updatedAt: record.state.policyUpdatedAt };
  return {
    id: objectUrl(scope.vaultUrl, COLLECTION, record.name, op.version),
    kid: objectUrl(scope.vaultUrl, KEYS.collection, record.name, op.version),
    sid: objectUrl(scope.vaultUrl, SECRETS.collection, record.name, op.version),
    attributes: wireAttributes({ ...op.attributes, enabled: false }, times, scope.vault),
    tags: op.tags,
    policy: policyJson(scope, record.name, record.state),
  };
}

/** CertificateItem, as in list results. */
export function certificateItem(scope: VaultScope, v: CertificateVersion, withVersion = false): CertificateItem {
  return {
    id: objectUrl(scope.vaultUrl, COLLECTION, v.name, withVersion ? v.version : undefined),
    x5t: v.data.x5t,
    attributes: wireAttributes(v.attributes, v, scope.vault),
    tags: v.tags,
  };
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

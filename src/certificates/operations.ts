// The certificate operations of the Key Vault data plane, named after the REST operations they implement.
import { randomUUID, X509Certificate, type KeyObject } from "node:crypto";
import { generateKeyPair, privateKeyFromDer, privateKeyToDer, publicJwk } from "../crypto/keys.js";
import { buildPfx } from "../crypto/pkcs12.js";
import { conflict, notFound } from "../http/errors.js";
import { readAttributes, readTags, type StoredAttributes } from "../objects/attributes.js";
import { checkObjectName, newVersionId, objectUrl } from "../objects/names.js";
import { pageResponse, type PageRequest } from "../objects/paging.js";
import type { VaultScope } from "../objects/scope.js";
import { assertNotDeleted, deletedFields, purgeNames, recoverNames, softDeleteNames } from "../objects/soft-delete.js";
import type { ObjectKind, Store } from "../store/store.js";
import type { Vault } from "../vaults/model.js";
import {
  certificateBundle,
  certificateItem,
  COLLECTION,
  operationJson,
  policyJson,
  thumbprint,
  type CertificateName,
  type CertificateState,
  type CertificateVersion,
  type PendingOperation,
} from "./model.js";
import { keyOpsFor, readPolicy, type CertificatePolicy } from "./policy.js";
import { createCsr, issueSelfSigned } from "./x509.js";

/** A certificate owns a key and a secret of the same name; they are deleted, recovered and purged together. */
const LINKED_KINDS: ObjectKind[] = ["certificate", "key", "secret"];

const certificateNotFound = (name: string) =>
  notFound("CertificateNotFound", `A certificate with (name/id) ${name} was not found in this key vault. If you recently deleted this certificate you may be able to recover it using the correct recovery command. For help resolving this issue, please see https://go.microsoft.com/fwlink/?linkid=2125182`);
const deletedCertificateNotFound = (name: string) => notFound("CertificateNotFound", `Deleted Certificate not found: ${name}`);
const pendingNotFound = (name: string) => notFound("PendingCertificateNotFound", `Pending certificate not found: ${name}`);

async function liveName(scope: VaultScope, name: string): Promise<CertificateName> {
  const record = await scope.store.getName<CertificateState>(scope.vault.name, "certificate", checkObjectName(name, "certificate"));
  if (!record || record.deletedAt !== null) throw certificateNotFound(name);
  return record;
}

async function deletedName(scope: VaultScope, name: string): Promise<CertificateName> {
  const record = await scope.store.getName<CertificateState>(scope.vault.name, "certificate", checkObjectName(name, "certificate"));
  if (!record || record.deletedAt === null) throw deletedCertificateNotFound(name);
  return record;
}

// -- create and the pending operation ---------------------------------------------------------

export async function createCertificate(scope: VaultScope, name: string, body: Record<string, unknown>) {
  checkObjectName(name, "certificate");
  const { store, vault } = scope;
  const existing = await store.getName<CertificateState>(vault.name, "certificate", name);
  assertNotDeleted(existing, "certificate", name);
  const policy = readPolicy(body.policy, existing?.state.policy);
  const attributes = readAttributes(body.attributes, { enabled: true });
  const tags = readTags(body.tags);

  const key = await generateKeyPair({ kty: policy.key_props.kty, keySize: policy.key_props.key_size, crv: policy.key_props.crv });
  const csr = await createCsr(policy, key);
  const op: PendingOperation = {
    requestId: randomUUID().replaceAll("-", ""),
    status: "inProgress",
    statusDetails: "Pending certificate created. Certificate request is in progress. This may take some time based on the issuer provider. Please check again later.",
    csr: csr.toString("base64"),
    cancellationRequested: false,
    issuer: policy.issuer,
    attributes,
    tags,
  };
  await store.transaction(async (tx) => {
    const current = await tx.getName<CertificateState>(vault.name, "certificate", name);
    assertNotDeleted(current, "certificate", name);
    if (current?.state.pending?.status === "inProgress") {
      throw conflict(`There is a pending operation for certificate '${name}'; wait for it to finish, or cancel or delete it first.`);
    }
    const now = Date.now();
    await tx.putName<CertificateState>({
      vault: vault.name,
      kind: "certificate",
      name,
      deletedAt: null,
      scheduledPurgeAt: null,
      state: {
        policy,
        policyCreatedAt: current?.state.policyCreatedAt ?? now,
        policyUpdatedAt: now,
        pending: op,
      },
      sealedState: privateKeyToDer(key),
    });
  });
  if (isSelfIssued(op)) void completeSelfIssued(store, vault, name);
  return operationJson(scope, name, op);
}

const isSelfIssued = (op: PendingOperation) => op.issuer.name.toLowerCase() === "self";

const inFlight = new Map<string, Promise<void>>();

/**
 * Issues a pending self-signed certificate. Runs right after create; GET pending also starts it when none is
 * running, so an operation interrupted by a restart still completes.
 */
export function completeSelfIssued(store: Store, vault: Vault, name: string): Promise<void> {
  const key = `${vault.name}/${name}`;
  let job = inFlight.get(key);
  if (!job) {
    job = issuePending(store, vault, name).finally(() => inFlight.delete(key));
    inFlight.set(key, job);
  }
  return job;
}

async function issuePending(store: Store, vault: Vault, name: string): Promise<void> {
  const record = await store.getName<CertificateState>(vault.name, "certificate", name);
  const op = record?.state.pending;
  if (!record || record.deletedAt !== null || op?.status !== "inProgress" || !record.sealedState) return;
  const key = privateKeyFromDer(record.sealedState);
  let cer: Buffer;
  try {
    cer = await issueSelfSigned(record.state.policy, key);
  } catch (err) {
    await finishOperation(store, vault, name, op.requestId, {
      status: "failed",
      statusDetails: "The certificate could not be issued.",
      error: { code: "CertificateIssuanceFailed", message: (err as Error).message },
    });
    return;
  }
  await store.transaction(async (tx) => {
    const current = await tx.getName<CertificateState>(vault.name, "certificate", name);
    // Another node, or a cancel, may have finished the operation meanwhile.
    if (current?.state.pending?.requestId !== op.requestId || current.state.pending.status !== "inProgress") return;
    const version = await writeCertificateVersion(tx, vault, name, current.state.policy, key, [cer], op.attributes, op.tags);
    await tx.putName<CertificateState>({
      ...current,
      state: { ...current.state, pending: { ...op, status: "completed", statusDetails: "", target: version } },
      sealedState: null,
    });
  });
}

async function finishOperation(store: Store, vault: Vault, name: string, requestId: string, change: Partial<PendingOperation>) {
  await store.transaction(async (tx) => {
    const current = await tx.getName<CertificateState>(vault.name, "certificate", name);
    if (current?.state.pending?.requestId !== requestId) return;
    await tx.putName<CertificateState>({ ...current, state: { ...current.state, pending: { ...current.state.pending, ...change } }, sealedState: null });
  });
}

/**
 * Stores an issued certificate as one version of the certificate, its key and its secret, all with the same
 * version id (as Key Vault does). `chain` is leaf first.
 */
export async function writeCertificateVersion(
  tx: Store,
  vault: Vault,
  name: string,
  policy: CertificatePolicy,
  key: KeyObject,
  chain: Buffer[],
  attributes: StoredAttributes,
  tags: Record<string, string>,
): Promise<string> {
  const version = newVersionId();
  const now = Date.now();
  const leaf = chain[0]!;
  const x = new X509Certificate(leaf);
  const validity = { nbf: Math.floor(Date.parse(x.validFrom) / 1000), exp: Math.floor(Date.parse(x.validTo) / 1000) };
  const common = { vault: vault.name, name, version, createdAt: now, updatedAt: now, tags };
  const linkedAttributes = { ...attributes, ...validity };

  for (const kind of ["key", "secret"] as const) {
    const existing = await tx.getName(vault.name, kind, name);
    if (!existing) await tx.putName({ vault: vault.name, kind, name, deletedAt: null, scheduledPurgeAt: null, state: { managed: true }, sealedState: null });
  }
  const pkcs8 = privateKeyToDer(key);
  await tx.putVersion({
    ...common,
    kind: "certificate",
    attributes: linkedAttributes,
    data: { cer: leaf.toString("base64"), x5t: thumbprint(leaf) },
    sealed: null,
  });
  await tx.putVersion({
    ...common,
    kind: "key",
    attributes: linkedAttributes,
    data: {
      kty: policy.key_props.kty,
      key_ops: keyOpsFor(policy),
      ...publicJwk(key),
      managed: true,
      exportable: policy.key_props.exportable,
    },
    sealed: pkcs8,
  });
  await tx.putVersion({
    ...common,
    kind: "secret",
    attributes: linkedAttributes,
    data: { contentType: policy.secret_props.contentType, kid: objectUrl("", "keys", name, version), managed: true },
    sealed: secretValue(policy, pkcs8, chain),
  });
  return version;
}

/** The certificate's secret: the PFX (base64) or the PEM of key and chain, as the policy's content type says. */
function secretValue(policy: CertificatePolicy, pkcs8: Buffer, chain: Buffer[]): Buffer {
  if (policy.secret_props.contentType === "application/x-pem-file") {
    const pem = (label: string, der: Buffer) => `-----BEGIN ${label}-----\n${der.toString("base64").replace(/.{1,64}/g, "$&\n")}-----END ${label}-----\n`;
    return Buffer.from(pem("PRIVATE KEY", pkcs8) + chain.map((c) => pem("CERTIFICATE", c)).join(""), "utf8");
  }
  return Buffer.from(buildPfx(pkcs8, chain).toString("base64"), "utf8");
}

export async function getCertificateOperation(scope: VaultScope, name: string) {
  const record = await liveName(scope, name).catch(() => {
    throw pendingNotFound(name);
  });
  const op = record.state.pending;
  if (!op) throw pendingNotFound(name);
  if (op.status === "inProgress" && isSelfIssued(op)) void completeSelfIssued(scope.store, scope.vault, name);
  return operationJson(scope, name, op);
}

// -- read ---------------------------------------------------------------------------------------

export async function getCertificate(scope: VaultScope, name: string, version?: string) {
  const record = await liveName(scope, name);
  const v = await scope.store.getVersion<StoredAttributes, CertificateVersion["data"]>(scope.vault.name, "certificate", name, version || undefined);
  if (!v) throw certificateNotFound(version ? `${name}/${version}` : name);
  return certificateBundle(scope, record, v);
}

export async function getCertificatePolicy(scope: VaultScope, name: string) {
  const record = await liveName(scope, name);
  return policyJson(scope, name, record.state);
}

export async function getCertificates(scope: VaultScope, page: PageRequest, includePending: boolean) {
  const names = await scope.store.listNames<CertificateState>(scope.vault.name, "certificate", { deleted: false, ...page });
  const items = [];
  for (const record of names.items) {
    const latest = await scope.store.getVersion<StoredAttributes, CertificateVersion["data"]>(scope.vault.name, "certificate", record.name);
    if (latest) items.push(certificateItem(scope, latest));
    else if (includePending) items.push({ id: objectUrl(scope.vaultUrl, COLLECTION, record.name), attributes: { enabled: false } });
  }
  return pageResponse(scope, `/${COLLECTION}`, page, { items, next: names.next }, (i) => i);
}

export async function getCertificateVersions(scope: VaultScope, name: string, page: PageRequest) {
  await liveName(scope, name);
  const after = page.after === undefined ? undefined : Number(page.after);
  const versions = await scope.store.listVersions<StoredAttributes, CertificateVersion["data"]>(scope.vault.name, "certificate", name, {
    limit: page.limit,
    after: Number.isFinite(after) ? after : undefined,
  });
  return pageResponse(scope, `/${COLLECTION}/${name}/versions`, page, versions, (v) => certificateItem(scope, v, true));
}

// -- soft delete lifecycle ---------------------------------------------------------------------

async function deletedCertificateBundle(scope: VaultScope, record: CertificateName) {
  const latest = await scope.store.getVersion<StoredAttributes, CertificateVersion["data"]>(scope.vault.name, "certificate", record.name);
  const recoveryId = objectUrl(scope.vaultUrl, "deletedcertificates", record.name);
  const body = latest ? certificateBundle(scope, record, latest) : { id: objectUrl(scope.vaultUrl, COLLECTION, record.name), policy: policyJson(scope, record.name, record.state) };
  return { ...body, ...deletedFields(record, recoveryId) };
}

export async function deleteCertificate(scope: VaultScope, name: string) {
  await liveName(scope, name);
  await scope.store.transaction((tx) => softDeleteNames(tx, scope.vault, LINKED_KINDS, name));
  return deletedCertificateBundle(scope, await deletedName(scope, name));
}

export async function getDeletedCertificate(scope: VaultScope, name: string) {
  return deletedCertificateBundle(scope, await deletedName(scope, name));
}

export async function getDeletedCertificates(scope: VaultScope, page: PageRequest) {
  const names = await scope.store.listNames<CertificateState>(scope.vault.name, "certificate", { deleted: true, ...page });
  const items = [];
  for (const record of names.items) {
    const full = await deletedCertificateBundle(scope, record);
    const { policy: _policy, cer: _cer, kid: _kid, sid: _sid, ...item } = full as Record<string, unknown>;
    items.push(item);
  }
  return pageResponse(scope, "/deletedcertificates", page, { items, next: names.next }, (i) => i);
}

export async function recoverDeletedCertificate(scope: VaultScope, name: string) {
  await deletedName(scope, name);
  await scope.store.transaction((tx) => recoverNames(tx, scope.vault, LINKED_KINDS, name));
  return getCertificate(scope, name);
}

export async function purgeDeletedCertificate(scope: VaultScope, name: string) {
  await deletedName(scope, name);
  await scope.store.transaction((tx) => purgeNames(tx, scope.vault, LINKED_KINDS, name));
}

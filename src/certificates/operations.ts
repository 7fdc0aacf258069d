// The certificate operations of the Key Vault data plane, named after the REST operations they implement. Issuing a
// version (the pending operation, self-signed issue, renewal) is issuance.ts.
import { certificateMatchesKey, readMergedCertificates, UnreadableCertificateError } from "../crypto/certificate-files.js";
import { privateKeyFromDer, privateKeyToDer } from "../crypto/keys.js";
import { badParameter, conflict, KeyVaultError, notFound } from "../http/errors.js";
import { checkObjectName } from "../http/object-names.js";
import { applyAttributes, readAttributes, readTags } from "../objects/attributes.js";
import { collectBackup, openBackup, restoreBackup, sealBackup, type NamesBackup } from "../objects/backup.js";
import { CERTIFICATE_WITH_LINKED, CERTIFICATES, KEYS, SECRETS } from "../objects/collection.js";
import { objectUrl } from "../objects/names.js";
import { pageResponse, versionPage, type PageRequest } from "../objects/paging.js";
import type { VaultScope } from "../objects/scope.js";
import { assertNotDeleted, deletedFields, purgeNames, recoverNames, softDeleteNames } from "../objects/soft-delete.js";
import type { StoredAttributes } from "../objects/attributes.js";
import {
  completeInBackground,
  completeSelfIssued,
  finishOperation,
  isPartnerIssuer,
  isSelfIssued,
  keyToReuse,
  partnerFailure,
  putCertificateName,
  requestVersion,
  statusAt,
  writeCertificateVersion,
} from "./issuance.js";
import { issuerExists } from "./issuers.js";
import {
  certificateBundle,
  certificateItem,
  operationJson,
  pendingCertificateBundle,
  policyJson,
  type CertificateName,
  type CertificateState,
  type CertificateVersionData,
} from "./model.js";
import { readPolicy } from "./policy.js";
import type { ImportCertificateInput, MergeCertificateInput } from "./requests.js";
import { certificateNotFound, certificateVersion, deletedCertificateName, liveCertificateName } from "./records.js";

const pendingNotFound = (name: string) => notFound("PendingCertificateNotFound", `Pending certificate not found: ${name}`);
/** A certificate that is not there has no pending operation either; any other failure (the database away) stays what it is. */
const notFoundAsPending = (name: string) => (err: unknown): never => {
  throw err instanceof KeyVaultError && err.status === 404 ? pendingNotFound(name) : err;
};

// -- create and the pending operation ---------------------------------------------------------

export async function createCertificate(scope: VaultScope, name: string, body: Record<string, unknown>) {
  checkObjectName(name, CERTIFICATES.type);
  const { store, vault } = scope;
  const existing = await store.getName<CertificateState>(vault.name, CERTIFICATES.type, name);
  assertNotDeleted(existing, CERTIFICATES.type, name);
  const policy = readPolicy(body.policy, existing?.state.policy);
  const attributes = readAttributes(body.attributes, { enabled: true });
  const tags = readTags(body.tags);

  if (isPartnerIssuer(policy) && !(await issuerExists(scope, policy.issuer.name))) {
    throw badParameter(`policy.issuer.name: the issuer '${policy.issuer.name}' is not configured in this vault; use Self, Unknown, or set the issuer first.`);
  }

  const { op, key } = await requestVersion(policy, attributes, tags, await keyToReuse(store, vault, name, policy));
  await store.transaction(async (tx) => {
    const current = await tx.getName<CertificateState>(vault.name, CERTIFICATES.type, name);
    assertNotDeleted(current, CERTIFICATES.type, name);
    if (current?.state.pending && statusAt(current.state.pending, Date.now()) === "inProgress") {
      throw conflict(`There is a pending operation for certificate '${name}'; wait for it to finish, or cancel or delete it first.`);
    }
    await putCertificateName(tx, vault, name, current, { policy, pending: op }, privateKeyToDer(key));
  });
  if (isSelfIssued(op)) completeInBackground(scope, name);
  return operationJson(scope, name, op);
}

/**
 * How long GET pending waits for a self-signed issue under way. The create answers inProgress (the Python SDK's
 * poller returns nothing otherwise) and an SDK polls right after it, then sleeps seconds (Python 5 s, JavaScript 2 s):
 * waiting here, and answering as soon as the issue ends, lets that first poll find the certificate complete.
 */
const PENDING_WAIT_MS = 1000;

/** Resolves when `job` settles (either way) or after `ms`, whichever comes first; never rejects. */
function settledWithin(job: Promise<unknown>, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    const done = () => {
      clearTimeout(timer);
      resolve();
    };
    job.then(done, done);
  });
}

export async function getCertificateOperation(scope: VaultScope, name: string) {
  let op = (await pendingOf(scope, name)).state.pending!;
  if (op.status === "inProgress" && isSelfIssued(op)) {
    await settledWithin(completeSelfIssued(scope, name), PENDING_WAIT_MS);
    op = (await pendingOf(scope, name)).state.pending!; // the state as it is now, completed or not
  }
  if (op.status !== statusAt(op, Date.now())) {
    await finishOperation(scope.store, scope.vault, name, op.requestId, partnerFailure(op));
    op = (await pendingOf(scope, name)).state.pending!;
  }
  return operationJson(scope, name, op);
}

export async function updateCertificateOperation(scope: VaultScope, name: string, cancellationRequested: boolean) {
  const record = await pendingOf(scope, name);
  const op = record.state.pending!;
  if (cancellationRequested && statusAt(op, Date.now()) === "inProgress") {
    await finishOperation(scope.store, scope.vault, name, op.requestId, {
      cancellationRequested: true,
      status: "cancelled",
      statusDetails: "The certificate request was cancelled.",
    });
  }
  return getCertificateOperation(scope, name);
}

/** Deletes the operation; a certificate that never got a version goes with it. */
export async function deleteCertificateOperation(scope: VaultScope, name: string) {
  const record = await pendingOf(scope, name);
  const body = operationJson(scope, name, record.state.pending!);
  await scope.store.transaction(async (tx) => {
    const hasVersion = await tx.getVersion(scope.vault.name, CERTIFICATES.type, name);
    if (hasVersion) await tx.putName<CertificateState>({ ...record, state: { ...record.state, pending: undefined }, sealedState: null });
    else await tx.purgeName(scope.vault.name, CERTIFICATES.type, name);
  });
  return body;
}

async function pendingOf(scope: VaultScope, name: string): Promise<CertificateName> {
  const record = await liveCertificateName(scope, name).catch(notFoundAsPending(name));
  if (!record.state.pending) throw pendingNotFound(name);
  return record;
}

/** Completes an `Unknown`-issuer request with the chain a CA signed; the leaf must carry the pending key. */
export async function mergeCertificate(scope: VaultScope, name: string, input: MergeCertificateInput) {
  const record = await pendingOf(scope, name);
  const op = record.state.pending!;
  const status = statusAt(op, Date.now());
  if (status !== "inProgress" || !record.sealedState) {
    throw new KeyVaultError(403, "Forbidden", `The pending operation of certificate '${name}' is ${status}; nothing is waiting for a merge.`);
  }
  let chain: Buffer[];
  try {
    chain = input.x5c.flatMap(readMergedCertificates);
  } catch (err) {
    if (err instanceof UnreadableCertificateError) throw badParameter(err.message);
    throw err;
  }
  const key = privateKeyFromDer(record.sealedState);
  if (!chain[0] || !certificateMatchesKey(chain[0], key)) {
    throw badParameter("The first certificate in x5c does not carry the public key of the pending certificate request.");
  }
  const attributes = applyAttributes(op.attributes, input.attributes);
  const tags = input.tags ?? op.tags;
  await scope.store.transaction(async (tx) => {
    const version = await writeCertificateVersion(tx, scope.vault, record.name, record.state.policy, key, chain, attributes, tags, op.version);
    await tx.putName<CertificateState>({
      ...record,
      state: { ...record.state, pending: { ...op, status: "completed", statusDetails: "", target: version } },
      sealedState: null,
    });
  });
  return getCertificate(scope, name);
}

/** Imports a certificate with its key as a new version (the content read by requests.ts). */
export async function importCertificate(scope: VaultScope, name: string, input: ImportCertificateInput) {
  checkObjectName(name, CERTIFICATES.type);
  const { store, vault } = scope;
  const { key, chain, policy, attributes, tags } = input;
  await store.transaction(async (tx) => {
    const current = await tx.getName<CertificateState>(vault.name, CERTIFICATES.type, name);
    assertNotDeleted(current, CERTIFICATES.type, name);
    await putCertificateName(tx, vault, name, current, { policy, pending: current?.state.pending }, current?.sealedState ?? null);
    await writeCertificateVersion(tx, vault, current?.name ?? name, policy, key, chain, attributes, tags);
  });
  return getCertificate(scope, name);
}

// -- read and update ----------------------------------------------------------------------------

export async function getCertificate(scope: VaultScope, name: string, version?: string) {
  const record = await liveCertificateName(scope, name);
  const v = await certificateVersion(scope.store, scope.vault, name, version);
  if (v) return certificateBundle(scope, record, v);
  const pending = record.state.pending;
  if (pending && (!version || version === pending.version)) return pendingCertificateBundle(scope, record, pending);
  throw certificateNotFound(name, version);
}

export async function getCertificatePolicy(scope: VaultScope, name: string) {
  const record = await liveCertificateName(scope, name);
  return policyJson(scope, name, record.state);
}

/** Changes the one policy of the certificate; fields not given keep their values. Applies to future versions. */
export async function updateCertificatePolicy(scope: VaultScope, name: string, body: Record<string, unknown>) {
  return scope.store.transaction(async (tx) => {
    const record = await liveCertificateName({ ...scope, store: tx }, name);
    const state = { ...record.state, policy: readPolicy(body, record.state.policy), policyUpdatedAt: Date.now() };
    await tx.putName<CertificateState>({ ...record, state });
    return policyJson(scope, name, state);
  });
}

/** Updates a version's attributes and tags (and, with `policy`, the policy). The key and secret follow `enabled`. */
export async function updateCertificate(scope: VaultScope, name: string, version: string | undefined, body: Record<string, unknown>) {
  await scope.store.transaction(async (tx) => {
    const record = await liveCertificateName({ ...scope, store: tx }, name);
    const v = await certificateVersion(tx, scope.vault, name, version);
    if (!v) throw certificateNotFound(name, version);
    const attributes = readAttributes(body.attributes, v.attributes);
    const tags = readTags(body.tags, v.tags);
    const now = Date.now();
    await tx.putVersion({ ...v, attributes, tags, updatedAt: now });
    for (const kind of [KEYS.type, SECRETS.type]) {
      const linked = await tx.getVersion<StoredAttributes, Record<string, unknown>>(scope.vault.name, kind, name, v.version);
      if (linked) await tx.putVersion({ ...linked, attributes: { ...linked.attributes, enabled: attributes.enabled }, updatedAt: now });
    }
    if (body.policy !== undefined) {
      await tx.putName<CertificateState>({ ...record, state: { ...record.state, policy: readPolicy(body.policy, record.state.policy), policyUpdatedAt: now } });
    }
    version = v.version;
  });
  return getCertificate(scope, name, version);
}

export async function getCertificates(scope: VaultScope, page: PageRequest, includePending: boolean) {
  const names = await scope.store.listNames<CertificateState>(scope.vault.name, CERTIFICATES.type, { deleted: false, ...page });
  const items = [];
  for (const record of names.items) {
    const latest = await certificateVersion(scope.store, scope.vault, record.name);
    if (latest) items.push(certificateItem(scope, latest));
    else if (includePending && record.state.pending) {
      const { id, attributes, tags } = pendingCertificateBundle(scope, record, record.state.pending);
      items.push({ id: id.slice(0, id.lastIndexOf("/")), attributes, tags });
    }
  }
  return pageResponse(scope, `/${CERTIFICATES.collection}`, page, { items, next: names.next }, (i) => i);
}

export async function getCertificateVersions(scope: VaultScope, name: string, page: PageRequest) {
  await liveCertificateName(scope, name);
  const versions = await scope.store.listVersions<StoredAttributes, CertificateVersionData>(scope.vault.name, CERTIFICATES.type, name, versionPage(page));
  return pageResponse(scope, `/${CERTIFICATES.collection}/${name}/versions`, page, versions, (v) => certificateItem(scope, v, true));
}

// -- soft delete lifecycle ---------------------------------------------------------------------

async function deletedCertificateBundle(scope: VaultScope, record: CertificateName) {
  const latest = await certificateVersion(scope.store, scope.vault, record.name);
  const recoveryId = objectUrl(scope.vaultUrl, CERTIFICATES.deletedCollection, record.name);
  const body = latest ? certificateBundle(scope, record, latest) : { id: objectUrl(scope.vaultUrl, CERTIFICATES.collection, record.name), policy: policyJson(scope, record.name, record.state) };
  return { ...body, ...deletedFields(record, recoveryId) };
}

export async function deleteCertificate(scope: VaultScope, name: string) {
  await liveCertificateName(scope, name);
  await scope.store.transaction((tx) => softDeleteNames(tx, scope.vault, CERTIFICATE_WITH_LINKED, name));
  return deletedCertificateBundle(scope, await deletedCertificateName(scope, name));
}

export async function getDeletedCertificate(scope: VaultScope, name: string) {
  return deletedCertificateBundle(scope, await deletedCertificateName(scope, name));
}

export async function getDeletedCertificates(scope: VaultScope, page: PageRequest) {
  const names = await scope.store.listNames<CertificateState>(scope.vault.name, CERTIFICATES.type, { deleted: true, ...page });
  const items = [];
  for (const record of names.items) {
    const full = await deletedCertificateBundle(scope, record);
    const { policy: _policy, cer: _cer, kid: _kid, sid: _sid, ...item } = full as Record<string, unknown>;
    items.push(item);
  }
  return pageResponse(scope, `/${CERTIFICATES.deletedCollection}`, page, { items, next: names.next }, (i) => i);
}

export async function recoverDeletedCertificate(scope: VaultScope, name: string) {
  await deletedCertificateName(scope, name);
  await scope.store.transaction((tx) => recoverNames(tx, scope.vault, CERTIFICATE_WITH_LINKED, name));
  return getCertificate(scope, name);
}

export async function purgeDeletedCertificate(scope: VaultScope, name: string) {
  await deletedCertificateName(scope, name);
  await scope.store.transaction((tx) => purgeNames(tx, scope.vault, CERTIFICATE_WITH_LINKED, name));
}

// -- backup and restore -------------------------------------------------------------------------

/** The certificate with every version of itself, its key and its secret, sealed into one opaque blob. */
export async function backupCertificate(scope: VaultScope, name: string) {
  await liveCertificateName(scope, name);
  const backup = await collectBackup(scope.store, scope.vault.name, CERTIFICATE_WITH_LINKED, name);
  // A pending request's key is not part of a backup, as in Key Vault: only issued versions travel.
  for (const o of backup.objects) if (o.kind === CERTIFICATES.type) o.state = { ...(o.state as CertificateState), pending: undefined };
  return { value: sealBackup(scope.store, CERTIFICATES.type, backup) };
}

export async function restoreCertificate(scope: VaultScope, body: Record<string, unknown>) {
  const backup = openBackup<NamesBackup>(scope.store, CERTIFICATES.type, body.value);
  await scope.store.transaction((tx) => restoreBackup(tx, scope.vault, backup, CERTIFICATES));
  return getCertificate(scope, backup.name);
}

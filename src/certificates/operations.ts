// The certificate operations of the Key Vault data plane, named after the REST operations they implement: typed input
// in (requests.ts), records out (model.ts makes the JSON). Issuing a version (the pending operation, self-signed
// issue, renewal) is issuance.ts; issuers and contacts are issuers.ts.
import {
  certificateMatchesKey,
  readMergedCertificates,
  UnreadableCertificateError,
} from "../crypto/certificate-files.js";
import type { Chain } from "../crypto/pkcs12.js";
import { privateKeyFromDer, privateKeyToDer } from "../crypto/keys.js";
import { badParameter, conflict, KeyVaultError, notFound } from "../http/errors.js";
import { applyAttributes, type StoredAttributes } from "../objects/attributes.js";
import { collectBackup, openBackup, restoreBackup, sealBackup, type NamesBackup } from "../objects/backup.js";
import { CERTIFICATE_WITH_LINKED, CERTIFICATES, KEYS, SECRETS } from "../objects/collection.js";
import { checkObjectName } from "../http/object-names.js";
import { versionPage, type PageRequest } from "../objects/paging.js";
import type { ObjectScope } from "../objects/scope.js";
import { assertNotDeleted, purgeNames, recoverNames, softDeleteNames } from "../objects/soft-delete.js";
import type { Page } from "../store/repositories/objects.js";
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
import type {
  CertificateName,
  CertificateState,
  CertificateVersion,
  CertificateVersionData,
  CertificateView,
  DeletedCertificate,
  PendingOperation,
} from "./model.js";
import type {
  CreateCertificateInput,
  ImportCertificateInput,
  MergeCertificateInput,
  PolicyInput,
  UpdateCertificateInput,
} from "./requests.js";
import { certificateNotFound, certificateVersion, deletedCertificateName, liveCertificateName } from "./records.js";

const pendingNotFound = (name: string) =>
  notFound("PendingCertificateNotFound", `Pending certificate not found: ${name}`);
/** A certificate that is not there has no pending operation either; any other failure (the database away) stays what it is. */
const notFoundAsPending =
  (name: string) =>
  (err: unknown): never => {
    throw err instanceof KeyVaultError && err.status === 404 ? pendingNotFound(name) : err;
  };

// -- create and the pending operation ---------------------------------------------------------

/** Starts the issue of a new version; returns its pending operation. */
export async function createCertificate(
  scope: ObjectScope,
  name: string,
  input: CreateCertificateInput,
): Promise<PendingOperation> {
  checkObjectName(name, CERTIFICATES.type);
  const { store, vault } = scope;
  const existing = await store.objects.getName<CertificateState>(vault.name, CERTIFICATES.type, name);
  assertNotDeleted(existing, CERTIFICATES.type, name);
  const policy = input.policy(existing?.state.policy);
  const { attributes, tags } = input;

  if (isPartnerIssuer(policy) && !(await issuerExists(scope, policy.issuer.name))) {
    throw badParameter(
      `policy.issuer.name: the issuer '${policy.issuer.name}' is not configured in this vault; use Self, Unknown, or set the issuer first.`,
    );
  }

  const { op, key } = await requestVersion(policy, attributes, tags, await keyToReuse(store, vault, name, policy));
  await store.transaction(async (tx) => {
    const current = await tx.objects.getName<CertificateState>(vault.name, CERTIFICATES.type, name);
    assertNotDeleted(current, CERTIFICATES.type, name);
    if (current?.state.pending && statusAt(current.state.pending, Date.now()) === "inProgress") {
      throw conflict(
        `There is a pending operation for certificate '${name}'; wait for it to finish, or cancel or delete it first.`,
      );
    }
    await putCertificateName(tx, vault, name, current, { policy, pending: op }, privateKeyToDer(key));
  });
  if (isSelfIssued(op)) completeInBackground(scope, name);
  return op;
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

export async function getCertificateOperation(scope: ObjectScope, name: string): Promise<PendingOperation> {
  let op = (await pendingOf(scope, name)).state.pending!;
  if (op.status === "inProgress" && isSelfIssued(op)) {
    await settledWithin(completeSelfIssued(scope, name), PENDING_WAIT_MS);
    op = (await pendingOf(scope, name)).state.pending!; // the state as it is now, completed or not
  }
  if (op.status !== statusAt(op, Date.now())) {
    await finishOperation(scope.store, scope.vault, name, op.requestId, partnerFailure(op));
    op = (await pendingOf(scope, name)).state.pending!;
  }
  return op;
}

export async function updateCertificateOperation(
  scope: ObjectScope,
  name: string,
  cancellationRequested: boolean,
): Promise<PendingOperation> {
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
export async function deleteCertificateOperation(scope: ObjectScope, name: string): Promise<PendingOperation> {
  const record = await pendingOf(scope, name);
  await scope.store.transaction(async (tx) => {
    const hasVersion = await tx.objects.getVersion(scope.vault.name, CERTIFICATES.type, name);
    if (hasVersion)
      await tx.objects.putName<CertificateState>({
        ...record,
        state: { ...record.state, pending: undefined },
        sealedState: null,
      });
    else await tx.objects.purgeName(scope.vault.name, CERTIFICATES.type, name);
  });
  return record.state.pending!;
}

async function pendingOf(scope: ObjectScope, name: string): Promise<CertificateName> {
  const record = await liveCertificateName(scope, name).catch(notFoundAsPending(name));
  if (!record.state.pending) throw pendingNotFound(name);
  return record;
}

/** Completes an `Unknown`-issuer request with the chain a CA signed; the leaf must carry the pending key. */
export async function mergeCertificate(
  scope: ObjectScope,
  name: string,
  input: MergeCertificateInput,
): Promise<CertificateView> {
  const record = await pendingOf(scope, name);
  const op = record.state.pending!;
  const status = statusAt(op, Date.now());
  if (status !== "inProgress" || !record.sealedState) {
    throw new KeyVaultError(
      403,
      "Forbidden",
      `The pending operation of certificate '${name}' is ${status}; nothing is waiting for a merge.`,
    );
  }
  let certificates: Buffer[];
  try {
    certificates = input.x5c.flatMap(readMergedCertificates);
  } catch (err) {
    if (err instanceof UnreadableCertificateError) throw badParameter(err.message);
    throw err;
  }
  const key = privateKeyFromDer(record.sealedState);
  const [leaf, ...issuers] = certificates;
  if (!leaf || !certificateMatchesKey(leaf, key)) {
    throw badParameter(
      "The first certificate in x5c does not carry the public key of the pending certificate request.",
    );
  }
  const chain: Chain = [leaf, ...issuers];
  const attributes = applyAttributes(op.attributes, input.attributes);
  const tags = input.tags ?? op.tags;
  await scope.store.transaction(async (tx) => {
    const version = await writeCertificateVersion(
      tx,
      scope.vault,
      record.name,
      record.state.policy,
      key,
      chain,
      attributes,
      tags,
      op.version,
    );
    await tx.objects.putName<CertificateState>({
      ...record,
      state: { ...record.state, pending: { ...op, status: "completed", statusDetails: "", target: version } },
      sealedState: null,
    });
  });
  return getCertificate(scope, name);
}

/** Imports a certificate with its key as a new version (the content read by requests.ts). */
export async function importCertificate(
  scope: ObjectScope,
  name: string,
  input: ImportCertificateInput,
): Promise<CertificateView> {
  checkObjectName(name, CERTIFICATES.type);
  const { store, vault } = scope;
  const { key, chain, policy, attributes, tags } = input;
  await store.transaction(async (tx) => {
    const current = await tx.objects.getName<CertificateState>(vault.name, CERTIFICATES.type, name);
    assertNotDeleted(current, CERTIFICATES.type, name);
    await putCertificateName(
      tx,
      vault,
      name,
      current,
      { policy, pending: current?.state.pending },
      current?.sealedState ?? null,
    );
    await writeCertificateVersion(tx, vault, current?.name ?? name, policy, key, chain, attributes, tags);
  });
  return getCertificate(scope, name);
}

// -- read and update ----------------------------------------------------------------------------

/** A version (the newest when `version` is empty), or the pending operation of a version not issued yet. */
export async function getCertificate(scope: ObjectScope, name: string, version?: string): Promise<CertificateView> {
  const record = await liveCertificateName(scope, name);
  const v = await certificateVersion(scope.store, scope.vault, name, version);
  if (v) return { record, version: v };
  const pending = record.state.pending;
  if (pending && (!version || version === pending.version)) return { record, pending };
  throw certificateNotFound(name, version);
}

/** The certificate's state, whose policy model.ts shows. */
export async function getCertificatePolicy(scope: ObjectScope, name: string): Promise<CertificateState> {
  return (await liveCertificateName(scope, name)).state;
}

/** Changes the one policy of the certificate; fields not given keep their values. Applies to future versions. */
export async function updateCertificatePolicy(
  scope: ObjectScope,
  name: string,
  policy: PolicyInput,
): Promise<CertificateState> {
  return scope.store.transaction(async (tx) => {
    const record = await liveCertificateName({ ...scope, store: tx }, name);
    const state = { ...record.state, policy: policy(record.state.policy), policyUpdatedAt: Date.now() };
    await tx.objects.putName<CertificateState>({ ...record, state });
    return state;
  });
}

/** Updates a version's attributes and tags (and, with `policy`, the policy). The key and secret follow `enabled`. */
export async function updateCertificate(
  scope: ObjectScope,
  name: string,
  version: string | undefined,
  input: UpdateCertificateInput,
): Promise<CertificateView> {
  await scope.store.transaction(async (tx) => {
    const record = await liveCertificateName({ ...scope, store: tx }, name);
    const v = await certificateVersion(tx, scope.vault, name, version);
    if (!v) throw certificateNotFound(name, version);
    const attributes = applyAttributes(v.attributes, input.attributes);
    const tags = input.tags ?? v.tags;
    const now = Date.now();
    await tx.objects.putVersion({ ...v, attributes, tags, updatedAt: now });
    for (const kind of [KEYS.type, SECRETS.type]) {
      const linked = await tx.objects.getVersion<StoredAttributes, Record<string, unknown>>(
        scope.vault.name,
        kind,
        name,
        v.version,
      );
      if (linked)
        await tx.objects.putVersion({
          ...linked,
          attributes: { ...linked.attributes, enabled: attributes.enabled },
          updatedAt: now,
        });
    }
    if (input.policy) {
      await tx.objects.putName<CertificateState>({
        ...record,
        state: { ...record.state, policy: input.policy(record.state.policy), policyUpdatedAt: now },
      });
    }
    version = v.version;
  });
  return getCertificate(scope, name, version);
}

/** The newest version of each certificate; with `includePending`, certificates without one show their pending operation. */
export async function getCertificates(
  scope: ObjectScope,
  page: PageRequest,
  includePending: boolean,
): Promise<Page<CertificateView>> {
  const names = await scope.store.objects.listNames<CertificateState>(scope.vault.name, CERTIFICATES.type, {
    deleted: false,
    ...page,
  });
  const items: CertificateView[] = [];
  for (const record of names.items) {
    const latest = await certificateVersion(scope.store, scope.vault, record.name);
    if (latest) items.push({ record, version: latest });
    else if (includePending && record.state.pending) items.push({ record, pending: record.state.pending });
  }
  return { items, next: names.next };
}

export async function getCertificateVersions(
  scope: ObjectScope,
  name: string,
  page: PageRequest,
): Promise<Page<CertificateVersion>> {
  await liveCertificateName(scope, name);
  return scope.store.objects.listVersions<StoredAttributes, CertificateVersionData>(
    scope.vault.name,
    CERTIFICATES.type,
    name,
    versionPage(page),
  );
}

// -- soft delete lifecycle ---------------------------------------------------------------------

async function deletedCertificate(scope: ObjectScope, record: CertificateName): Promise<DeletedCertificate> {
  const latest = await certificateVersion(scope.store, scope.vault, record.name);
  return { record, ...(latest ? { latest } : {}) };
}

export async function deleteCertificate(scope: ObjectScope, name: string): Promise<DeletedCertificate> {
  await liveCertificateName(scope, name);
  await scope.store.transaction((tx) => softDeleteNames(tx, scope.vault, CERTIFICATE_WITH_LINKED, name));
  return deletedCertificate(scope, await deletedCertificateName(scope, name));
}

export async function getDeletedCertificate(scope: ObjectScope, name: string): Promise<DeletedCertificate> {
  return deletedCertificate(scope, await deletedCertificateName(scope, name));
}

export async function getDeletedCertificates(scope: ObjectScope, page: PageRequest): Promise<Page<DeletedCertificate>> {
  const names = await scope.store.objects.listNames<CertificateState>(scope.vault.name, CERTIFICATES.type, {
    deleted: true,
    ...page,
  });
  const items: DeletedCertificate[] = [];
  for (const record of names.items) items.push(await deletedCertificate(scope, record));
  return { items, next: names.next };
}

export async function recoverDeletedCertificate(scope: ObjectScope, name: string): Promise<CertificateView> {
  await deletedCertificateName(scope, name);
  await scope.store.transaction((tx) => recoverNames(tx, scope.vault, CERTIFICATE_WITH_LINKED, name));
  return getCertificate(scope, name);
}

export async function purgeDeletedCertificate(scope: ObjectScope, name: string): Promise<void> {
  await deletedCertificateName(scope, name);
  await scope.store.transaction((tx) => purgeNames(tx, scope.vault, CERTIFICATE_WITH_LINKED, name));
}

// -- backup and restore -------------------------------------------------------------------------

/** The certificate with every version of itself, its key and its secret, sealed into one opaque blob (base64url). */
export async function backupCertificate(scope: ObjectScope, name: string): Promise<string> {
  await liveCertificateName(scope, name);
  const backup = await collectBackup(scope.store, scope.vault.name, CERTIFICATE_WITH_LINKED, name);
  // A pending request's key is not part of a backup, as in Key Vault: only issued versions travel.
  for (const o of backup.objects)
    if (o.kind === CERTIFICATES.type) o.state = { ...(o.state as CertificateState), pending: undefined };
  return sealBackup(scope.store, CERTIFICATES.type, backup);
}

export async function restoreCertificate(scope: ObjectScope, blob: unknown): Promise<CertificateView> {
  const backup = openBackup<NamesBackup>(scope.store, CERTIFICATES.type, blob);
  await scope.store.transaction((tx) => restoreBackup(tx, scope.vault, backup, CERTIFICATES));
  return getCertificate(scope, backup.name);
}

// The certificate operations of the Key Vault data plane, named after the REST operations they implement.
import { randomUUID, X509Certificate, type KeyObject } from "node:crypto";
import { keyMatchesSpec, privateKeyFromDer, privateKeyToDer, publicJwk } from "../crypto/keys.js";
import { generateKeyPair } from "../crypto/key-pool.js";
import {
  certificateMatchesKey,
  leafFirst,
  readImportedContent,
  readMergedCertificates,
  UnreadableCertificateError,
  writePem,
} from "../crypto/certificate-files.js";
import { buildPfx } from "../crypto/pkcs12.js";
import { badParameter, conflict, KeyVaultError, notFound } from "../http/errors.js";
import { readAttributes, readTags, toSeconds, type StoredAttributes } from "../objects/attributes.js";
import { checkImportedKey, MAX_UNIX_TIME } from "../objects/limits.js";
import { checkObjectName, newVersionId, objectUrl } from "../objects/names.js";
import { pageResponse, versionPage, type PageRequest } from "../objects/paging.js";
import type { VaultScope } from "../objects/scope.js";
import { assertNotDeleted, deletedFields, nameInState, purgeNames, recoverNames, softDeleteNames } from "../objects/soft-delete.js";
import { collectBackup, openBackup, restoreBackup, sealBackup, type NamesBackup } from "../objects/backup.js";
import type { ObjectKind, Store } from "../store/store.js";
import type { Vault } from "../vaults/model.js";
import {
  certificateBundle,
  certificateItem,
  COLLECTION,
  operationJson,
  pendingCertificateBundle,
  policyJson,
  thumbprint,
  type CertificateName,
  type CertificateState,
  type CertificateVersion,
  type PendingOperation,
} from "./model.js";
import { keyOpsFor, readPolicy, type CertificatePolicy } from "./policy.js";
import { issuerExists } from "./issuers.js";
import { createCsr, issueSelfSigned, policyFromCertificate } from "./x509.js";

/** A certificate owns a key and a secret of the same name; they are deleted, recovered and purged together. */
const LINKED_KINDS: ObjectKind[] = ["certificate", "key", "secret"];

const certificateNotFound = (name: string) =>
  notFound("CertificateNotFound", `A certificate with (name/id) ${name} was not found in this key vault. If you recently deleted this certificate you may be able to recover it using the correct recovery command. For help resolving this issue, please see https://go.microsoft.com/fwlink/?linkid=2125182`);
const deletedCertificateNotFound = (name: string) => notFound("CertificateNotFound", `Deleted Certificate not found: ${name}`);
const pendingNotFound = (name: string) => notFound("PendingCertificateNotFound", `Pending certificate not found: ${name}`);
/** A certificate that is not there has no pending operation either; any other failure (the database away) stays what it is. */
const notFoundAsPending = (name: string) => (err: unknown): never => {
  throw err instanceof KeyVaultError && err.status === 404 ? pendingNotFound(name) : err;
};

const liveName = (scope: VaultScope, name: string) =>
  nameInState<CertificateState>(scope.store, scope.vault.name, "certificate", name, false, () => certificateNotFound(name));
const deletedName = (scope: VaultScope, name: string) =>
  nameInState<CertificateState>(scope.store, scope.vault.name, "certificate", name, true, () => deletedCertificateNotFound(name));

// -- create and the pending operation ---------------------------------------------------------

export async function createCertificate(scope: VaultScope, name: string, body: Record<string, unknown>) {
  checkObjectName(name, "certificate");
  const { store, vault } = scope;
  const existing = await store.getName<CertificateState>(vault.name, "certificate", name);
  assertNotDeleted(existing, "certificate", name);
  const policy = readPolicy(body.policy, existing?.state.policy);
  const attributes = readAttributes(body.attributes, { enabled: true });
  const tags = readTags(body.tags);

  if (isPartnerIssuer(policy) && !(await issuerExists(scope, policy.issuer.name))) {
    throw badParameter(`policy.issuer.name: the issuer '${policy.issuer.name}' is not configured in this vault; use Self, Unknown, or set the issuer first.`);
  }

  const { op, key } = await requestVersion(policy, attributes, tags, await keyToReuse(store, vault, name, policy));
  await store.transaction(async (tx) => {
    const current = await tx.getName<CertificateState>(vault.name, "certificate", name);
    assertNotDeleted(current, "certificate", name);
    if (current?.state.pending && statusAt(current.state.pending, Date.now()) === "inProgress") {
      throw conflict(`There is a pending operation for certificate '${name}'; wait for it to finish, or cancel or delete it first.`);
    }
    await putCertificateName(tx, vault, name, current, { policy, pending: op }, privateKeyToDer(key));
  });
  if (isSelfIssued(op)) completeInBackground(store, vault, name);
  return operationJson(scope, name, op);
}

const isPartnerIssuer = ({ issuer }: { issuer: CertificatePolicy["issuer"] }) => !["self", "unknown"].includes(issuer.name.toLowerCase());

const keySpecOf = (policy: CertificatePolicy) => ({ kty: policy.key_props.kty, keySize: policy.key_props.key_size, crv: policy.key_props.crv });

/** With `reuse_key`, a new version keeps the newest version's key pair, as long as it is what the policy asks for. */
async function keyToReuse(store: Store, vault: Vault, name: string, policy: CertificatePolicy): Promise<KeyObject | undefined> {
  if (!policy.key_props.reuse_key) return undefined;
  const linked = await store.getName<{ managed?: boolean }>(vault.name, "key", name);
  const newest = linked?.state.managed ? await store.getVersion(vault.name, "key", name) : undefined;
  if (!newest?.sealed) return undefined;
  const key = privateKeyFromDer(newest.sealed);
  return keyMatchesSpec(key, keySpecOf(policy)) ? key : undefined;
}

/** A new version's request: its key (fresh unless one is reused), its CSR and the pending operation that will issue it. */
async function requestVersion(
  policy: CertificatePolicy,
  attributes: StoredAttributes,
  tags: Record<string, string>,
  reused?: KeyObject,
): Promise<{ op: PendingOperation; key: KeyObject }> {
  const key = reused ?? (await generateKeyPair(keySpecOf(policy)));
  const csr = await createCsr(policy, key);
  const op: PendingOperation = {
    requestId: randomUUID().replaceAll("-", ""),
    status: "inProgress",
    statusDetails: "Pending certificate created. Certificate request is in progress. This may take some time based on the issuer provider. Please check again later.",
    csr: csr.toString("base64"),
    cancellationRequested: false,
    issuer: policy.issuer,
    version: newVersionId(),
    attributes,
    tags,
    requestedAt: Date.now(),
  };
  return { op, key };
}

/**
 * Kluis reaches no public CA, so a partner issuer's request ends as one whose provider is unreachable. As in Key
 * Vault, the create answers inProgress and the failure shows in the pending operation later: this long after the
 * request, long enough for an SDK's first poll (made right after the create) to still see inProgress.
 */
const PARTNER_ISSUER_ANSWER_MS = 3000;

const partnerFailure = (op: PendingOperation): Partial<PendingOperation> => ({
  status: "failed",
  statusDetails: "The issuer provider could not be reached.",
  error: { code: "IssuerProviderUnreachable", message: `Kluis cannot reach the provider of issuer '${op.issuer.name}'. Use issuer Self, or Unknown and merge a certificate signed by your CA.` },
});

/** The operation's status at `now`: a partner issuer's request counts as failed once its answer is due, written or not. */
function statusAt(op: PendingOperation, now: number): PendingOperation["status"] {
  const partnerAnswerDue = op.status === "inProgress" && isPartnerIssuer(op) && now >= (op.requestedAt ?? 0) + PARTNER_ISSUER_ANSWER_MS;
  return partnerAnswerDue ? "failed" : op.status;
}

/**
 * AutoRenew: a new version under the certificate's current policy, with the newest version's tags, requested as a create
 * without a body would be and, for issuer Self, issued as of `now`. `stillDue` runs first inside the write, because on
 * a shared database another node may have renewed meanwhile; returns whether a renewal was requested.
 */
export async function renewCertificate(
  store: Store,
  vault: Vault,
  record: CertificateName,
  latest: CertificateVersion,
  now: number,
  stillDue: (tx: Store) => Promise<boolean>,
): Promise<boolean> {
  const { policy } = record.state;
  const { op, key } = await requestVersion(policy, { enabled: true }, latest.tags, await keyToReuse(store, vault, record.name, policy));
  const requested = await store.transaction(async (tx) => {
    if (!(await stillDue(tx))) return false;
    const current = await tx.getName<CertificateState>(vault.name, "certificate", record.name);
    // The key was made for the policy read before; a policy changed since then waits for the next sweep.
    if (!current || current.state.policyUpdatedAt !== record.state.policyUpdatedAt) return false;
    await tx.putName<CertificateState>({ ...current, state: { ...current.state, pending: op }, sealedState: privateKeyToDer(key) });
    return true;
  });
  if (requested && isSelfIssued(op)) await completeSelfIssued(store, vault, record.name, now);
  return requested;
}

/** Writes the certificate's name: its policy (keeping when the policy was first made), its operation, the pending key. */
async function putCertificateName(
  tx: Store,
  vault: Vault,
  name: string,
  current: CertificateName | undefined,
  { policy, pending }: Pick<CertificateState, "policy" | "pending">,
  sealedState: Buffer | null,
): Promise<void> {
  const now = Date.now();
  await tx.putName<CertificateState>({
    vault: vault.name,
    kind: "certificate",
    name: current?.name ?? name, // names are case-insensitive; the first spelling stays
    deletedAt: null,
    scheduledPurgeAt: null,
    state: { policy, policyCreatedAt: current?.state.policyCreatedAt ?? now, policyUpdatedAt: now, pending },
    sealedState,
  });
}

export const isSelfIssued = (op: PendingOperation) => op.issuer.name.toLowerCase() === "self";

const inFlight = new Map<string, Promise<void>>();

/**
 * completeSelfIssued without waiting for it. An issue that fails (the database away) leaves the operation inProgress:
 * the next GET of the operation, or the renewal sweep, starts it again.
 */
function completeInBackground(store: Store, vault: Vault, name: string): void {
  completeSelfIssued(store, vault, name).catch(() => {});
}

/**
 * Issues a pending self-signed certificate, valid from `now`. Runs right after create; GET pending (and the renewal
 * sweep, for the certificates it renews) also starts it when none is running, so an operation interrupted by a
 * restart still completes.
 */
export function completeSelfIssued(store: Store, vault: Vault, name: string, now = Date.now()): Promise<void> {
  const key = `${vault.name}/${name.toLowerCase()}`;
  let job = inFlight.get(key);
  if (!job) {
    job = issuePending(store, vault, name, now).finally(() => inFlight.delete(key));
    inFlight.set(key, job);
  }
  return job;
}

async function issuePending(store: Store, vault: Vault, name: string, now: number): Promise<void> {
  const record = await store.getName<CertificateState>(vault.name, "certificate", name);
  const op = record?.state.pending;
  if (!record || record.deletedAt !== null || op?.status !== "inProgress" || !record.sealedState) return;
  const key = privateKeyFromDer(record.sealedState);
  let cer: Buffer;
  try {
    cer = await issueSelfSigned(record.state.policy, key, new Date(now));
  } catch (err) {
    await finishOperation(store, vault, name, op.requestId, {
      status: "failed",
      statusDetails: "The certificate could not be issued.",
      error: { code: "CertificateIssuanceFailed", message: (err as Error).message },
    });
    return;
  }
  await store.transaction(async (tx) => {
    // Another node, or a cancel, may have finished the operation meanwhile; the lock makes this read see it.
    await tx.lockName(vault.name, "certificate", name);
    const current = await tx.getName<CertificateState>(vault.name, "certificate", name);
    if (current?.state.pending?.requestId !== op.requestId || current.state.pending.status !== "inProgress") return;
    const version = await writeCertificateVersion(tx, vault, current.name, current.state.policy, key, [cer], op.attributes, op.tags, op.version);
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
    // Only an operation still in progress ends, once: a cancel and a failure may race.
    if (current?.state.pending?.requestId !== requestId || current.state.pending.status !== "inProgress") return;
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
  version = newVersionId(),
): Promise<string> {
  const now = Date.now();
  const leaf = chain[0]!;
  const x = new X509Certificate(leaf);
  // An imported certificate may say 1950 (X.509's UTCTime starts there); dates stay within what every SDK reads.
  const unixTime = (date: string) => Math.min(Math.max(toSeconds(Date.parse(date)), 0), MAX_UNIX_TIME);
  const validity = { nbf: unixTime(x.validFrom), exp: unixTime(x.validTo) };
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

/**
 * The certificate's secret: the PFX (base64) or the PEM of key and chain, as the policy's content type says.
 * A non-exportable key stays out of it: the secret then carries the certificates only.
 */
function secretValue(policy: CertificatePolicy, pkcs8: Buffer, chain: Buffer[]): Buffer {
  const key = policy.key_props.exportable ? pkcs8 : undefined;
  if (policy.secret_props.contentType === "application/x-pem-file") {
    return Buffer.from(writePem({ privateKey: key, certificates: chain }), "utf8");
  }
  return Buffer.from(buildPfx(key, chain).toString("base64"), "utf8");
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
    await settledWithin(completeSelfIssued(scope.store, scope.vault, name), PENDING_WAIT_MS);
    op = (await pendingOf(scope, name)).state.pending!; // the state as it is now, completed or not
  }
  if (op.status !== statusAt(op, Date.now())) {
    await finishOperation(scope.store, scope.vault, name, op.requestId, partnerFailure(op));
    op = (await pendingOf(scope, name)).state.pending!;
  }
  return operationJson(scope, name, op);
}

export async function updateCertificateOperation(scope: VaultScope, name: string, body: Record<string, unknown>) {
  if (typeof body.cancellation_requested !== "boolean") throw badParameter("cancellation_requested must be a boolean.");
  const record = await pendingOf(scope, name);
  const op = record.state.pending!;
  if (body.cancellation_requested && statusAt(op, Date.now()) === "inProgress") {
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
    const hasVersion = await tx.getVersion(scope.vault.name, "certificate", name);
    if (hasVersion) await tx.putName<CertificateState>({ ...record, state: { ...record.state, pending: undefined }, sealedState: null });
    else await tx.purgeName(scope.vault.name, "certificate", name);
  });
  return body;
}

async function pendingOf(scope: VaultScope, name: string): Promise<CertificateName> {
  const record = await liveName(scope, name).catch(notFoundAsPending(name));
  if (!record.state.pending) throw pendingNotFound(name);
  return record;
}

/** Completes an `Unknown`-issuer request with the chain a CA signed; the leaf must carry the pending key. */
export async function mergeCertificate(scope: VaultScope, name: string, body: Record<string, unknown>) {
  const x5c = body.x5c;
  if (!Array.isArray(x5c) || x5c.length === 0 || x5c.some((c) => typeof c !== "string")) {
    throw badParameter("x5c must be a non-empty array of base64 certificates.");
  }
  const record = await pendingOf(scope, name);
  const op = record.state.pending!;
  const status = statusAt(op, Date.now());
  if (status !== "inProgress" || !record.sealedState) {
    throw new KeyVaultError(403, "Forbidden", `The pending operation of certificate '${name}' is ${status}; nothing is waiting for a merge.`);
  }
  let chain: Buffer[];
  try {
    chain = (x5c as string[]).flatMap(readMergedCertificates);
  } catch (err) {
    if (err instanceof UnreadableCertificateError) throw badParameter(err.message);
    throw err;
  }
  const key = privateKeyFromDer(record.sealedState);
  if (!certificateMatchesKey(chain[0]!, key)) {
    throw badParameter("The first certificate in x5c does not carry the public key of the pending certificate request.");
  }
  const attributes = readAttributes(body.attributes, op.attributes);
  const tags = readTags(body.tags, op.tags);
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

/** Imports a PFX (base64, optional password) or PEM (key and certificates in any order; as text or base64) as a new version. */
export async function importCertificate(scope: VaultScope, name: string, body: Record<string, unknown>) {
  checkObjectName(name, "certificate");
  const { store, vault } = scope;
  if (typeof body.value !== "string" || body.value === "") throw badParameter("value must hold the certificate content (base64 PFX, PEM text or base64 PEM).");
  if (body.pwd !== undefined && body.pwd !== null && typeof body.pwd !== "string") throw badParameter("pwd must be a string.");
  const existing = await store.getName<CertificateState>(vault.name, "certificate", name);
  assertNotDeleted(existing, "certificate", name);

  let material: ReturnType<typeof readImportedContent>;
  let chain: Buffer[];
  try {
    material = readImportedContent(body.value, (body.pwd as string | undefined) ?? undefined);
    if (!material.privateKey) throw new UnreadableCertificateError("The content holds no private key; Key Vault imports a certificate together with its private key.");
    chain = body.preserveCertOrder === true ? material.certificates : leafFirst(material);
  } catch (err) {
    if (err instanceof UnreadableCertificateError) throw badParameter(err.message);
    throw badParameter("The certificate content could not be read.");
  }
  const key = privateKeyFromDer(material.privateKey);
  checkImportedKey(key, "value");
  if (!certificateMatchesKey(chain[0]!, key) && !chain.some((c) => certificateMatchesKey(c, key))) {
    throw badParameter("The private key does not match the certificate.");
  }
  const contentType = material.format === "pem" ? "application/x-pem-file" : "application/x-pkcs12";
  const derived = policyFromCertificate(chain[0]!, key, contentType);
  const policy = body.policy === undefined ? derived : readPolicy({ ...(body.policy as object), key_props: { ...derived.key_props, ...((body.policy as { key_props?: object }).key_props ?? {}) } }, derived);
  const attributes = readAttributes(body.attributes, { enabled: true });
  const tags = readTags(body.tags);
  await store.transaction(async (tx) => {
    const current = await tx.getName<CertificateState>(vault.name, "certificate", name);
    assertNotDeleted(current, "certificate", name);
    await putCertificateName(tx, vault, name, current, { policy, pending: current?.state.pending }, current?.sealedState ?? null);
    await writeCertificateVersion(tx, vault, current?.name ?? name, policy, key, chain, attributes, tags);
  });
  return getCertificate(scope, name);
}

// -- read and update ----------------------------------------------------------------------------

export async function getCertificate(scope: VaultScope, name: string, version?: string) {
  const record = await liveName(scope, name);
  const v = await scope.store.getVersion<StoredAttributes, CertificateVersion["data"]>(scope.vault.name, "certificate", name, version || undefined);
  if (v) return certificateBundle(scope, record, v);
  const pending = record.state.pending;
  if (pending && (!version || version === pending.version)) return pendingCertificateBundle(scope, record);
  throw certificateNotFound(version ? `${name}/${version}` : name);
}

export async function getCertificatePolicy(scope: VaultScope, name: string) {
  const record = await liveName(scope, name);
  return policyJson(scope, name, record.state);
}

/** Changes the one policy of the certificate; fields not given keep their values. Applies to future versions. */
export async function updateCertificatePolicy(scope: VaultScope, name: string, body: Record<string, unknown>) {
  return scope.store.transaction(async (tx) => {
    const record = await liveName({ ...scope, store: tx }, name);
    const state = { ...record.state, policy: readPolicy(body, record.state.policy), policyUpdatedAt: Date.now() };
    await tx.putName<CertificateState>({ ...record, state });
    return policyJson(scope, name, state);
  });
}

/** Updates a version's attributes and tags (and, with `policy`, the policy). The key and secret follow `enabled`. */
export async function updateCertificate(scope: VaultScope, name: string, version: string | undefined, body: Record<string, unknown>) {
  await scope.store.transaction(async (tx) => {
    const record = await liveName({ ...scope, store: tx }, name);
    const v = await tx.getVersion<StoredAttributes, CertificateVersion["data"]>(scope.vault.name, "certificate", name, version || undefined);
    if (!v) throw certificateNotFound(version ? `${name}/${version}` : name);
    const attributes = readAttributes(body.attributes, v.attributes);
    const tags = readTags(body.tags, v.tags);
    const now = Date.now();
    await tx.putVersion({ ...v, attributes, tags, updatedAt: now });
    for (const kind of ["key", "secret"] as const) {
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
  const names = await scope.store.listNames<CertificateState>(scope.vault.name, "certificate", { deleted: false, ...page });
  const items = [];
  for (const record of names.items) {
    const latest = await scope.store.getVersion<StoredAttributes, CertificateVersion["data"]>(scope.vault.name, "certificate", record.name);
    if (latest) items.push(certificateItem(scope, latest));
    else if (includePending && record.state.pending) {
      const { id, attributes, tags } = pendingCertificateBundle(scope, record);
      items.push({ id: id.slice(0, id.lastIndexOf("/")), attributes, tags });
    }
  }
  return pageResponse(scope, `/${COLLECTION}`, page, { items, next: names.next }, (i) => i);
}

export async function getCertificateVersions(scope: VaultScope, name: string, page: PageRequest) {
  await liveName(scope, name);
  const versions = await scope.store.listVersions<StoredAttributes, CertificateVersion["data"]>(scope.vault.name, "certificate", name, versionPage(page));
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

// -- backup and restore -------------------------------------------------------------------------

/** The certificate with every version of itself, its key and its secret, sealed into one opaque blob. */
export async function backupCertificate(scope: VaultScope, name: string) {
  await liveName(scope, name);
  const backup = await collectBackup(scope.store, scope.vault.name, LINKED_KINDS, name);
  // A pending request's key is not part of a backup, as in Key Vault: only issued versions travel.
  for (const o of backup.objects) if (o.kind === "certificate") o.state = { ...(o.state as CertificateState), pending: undefined };
  return { value: sealBackup(scope.store, "certificate", backup) };
}

export async function restoreCertificate(scope: VaultScope, body: Record<string, unknown>) {
  const backup = openBackup<NamesBackup>(scope.store, "certificate", body.value);
  await scope.store.transaction((tx) => restoreBackup(tx, scope.vault, backup, "Certificate"));
  return getCertificate(scope, backup.name);
}

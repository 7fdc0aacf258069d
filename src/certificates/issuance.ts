// The issuance of a certificate version: the request (its key and CSR), the pending operation's state machine, a
// self-signed issue run in the background (and resumed after a restart), AutoRenew's renewal, and the one write of an
// issued version as certificate, key and secret versions of one id.
import { randomUUID, X509Certificate, type KeyObject } from "node:crypto";
import { generateKeyPair } from "../crypto/key-pool.js";
import { keyMatchesSpec, privateKeyFromDer, privateKeyToDer } from "../crypto/keys.js";
import { writePem } from "../crypto/certificate-files.js";
import { buildPfx, type Chain } from "../crypto/pkcs12.js";
import { toSeconds, type StoredAttributes } from "../objects/attributes.js";
import { CERTIFICATES, isManaged, KEYS, type ManagedState } from "../objects/collection.js";
import { MAX_UNIX_TIME } from "../objects/limits.js";
import { newVersionId, objectPath } from "../objects/names.js";
import type { ObjectScope } from "../objects/scope.js";
import { liveName } from "../objects/soft-delete.js";
import { newestKeyVersion, putManagedKeyVersion } from "../keys/versions.js";
import { putManagedSecretVersion } from "../secrets/versions.js";
import type { Store } from "../store/store.js";
import type { Vault } from "../vaults/model.js";
import { thumbprint, type CertificateName, type CertificateState, type PendingOperation } from "./model.js";
import { newestCertificateVersion } from "./records.js";
import { keyOpsFor, type PolicyRecord } from "./policy.js";
import { createCsr, issueSelfSigned } from "./x509.js";

export const isPartnerIssuer = ({ issuer }: { issuer: PolicyRecord["issuer"] }) =>
  !["self", "unknown"].includes(issuer.name.toLowerCase());

const keySpecOf = (policy: PolicyRecord) => ({
  kty: policy.key_props.kty,
  keySize: policy.key_props.key_size,
  crv: policy.key_props.crv,
});

/** With `reuse_key`, a new version keeps the newest version's key pair, as long as it is what the policy asks for. */
export async function keyToReuse(
  store: Store,
  vault: Vault,
  name: string,
  policy: PolicyRecord,
): Promise<KeyObject | undefined> {
  if (!policy.key_props.reuse_key) return undefined;
  const linked = await store.objects.getName<ManagedState>(vault.name, KEYS.type, name);
  const newest = isManaged(linked) ? await newestKeyVersion(store, vault, name) : undefined;
  if (!newest?.sealed) return undefined;
  const key = privateKeyFromDer(newest.sealed);
  return keyMatchesSpec(key, keySpecOf(policy)) ? key : undefined;
}

/** A new version's request: its key (fresh unless one is reused), its CSR and the pending operation that will issue it. */
export async function requestVersion(
  policy: PolicyRecord,
  attributes: StoredAttributes,
  tags: Record<string, string>,
  reused?: KeyObject,
): Promise<{ op: PendingOperation; key: KeyObject }> {
  const key = reused ?? (await generateKeyPair(keySpecOf(policy)));
  const csr = await createCsr(policy, key);
  const op: PendingOperation = {
    requestId: randomUUID().replaceAll("-", ""),
    status: "inProgress",
    statusDetails:
      "Pending certificate created. Certificate request is in progress. This may take some time based on the issuer provider. Please check again later.",
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

export const partnerFailure = (op: PendingOperation): Partial<PendingOperation> => ({
  status: "failed",
  statusDetails: "The issuer provider could not be reached.",
  error: {
    code: "IssuerProviderUnreachable",
    message: `Kluis cannot reach the provider of issuer '${op.issuer.name}'. Use issuer Self, or Unknown and merge a certificate signed by your CA.`,
  },
});

/** The operation's status at `now`: a partner issuer's request counts as failed once its answer is due, written or not. */
export function statusAt(op: PendingOperation, now: number): PendingOperation["status"] {
  const partnerAnswerDue =
    op.status === "inProgress" && isPartnerIssuer(op) && now >= (op.requestedAt ?? 0) + PARTNER_ISSUER_ANSWER_MS;
  return partnerAnswerDue ? "failed" : op.status;
}

/**
 * AutoRenew: a new version under the certificate's current policy, with the newest version's tags, requested as a create
 * without a body would be and, for issuer Self, issued as of `now`. `stillDue` runs first inside the write, because on
 * a shared database another node may have renewed meanwhile; returns whether a renewal was requested.
 */
export async function renewCertificate(
  scope: ObjectScope,
  name: string,
  now: number,
  stillDue: (tx: Store) => Promise<boolean>,
): Promise<boolean> {
  const { store, vault } = scope;
  const record = await liveName<CertificateState>(store, vault.name, CERTIFICATES, name);
  const latest = await newestCertificateVersion(store, vault, name);
  if (!latest) return false;
  const { policy } = record.state;
  const { op, key } = await requestVersion(
    policy,
    { enabled: true },
    latest.tags,
    await keyToReuse(store, vault, name, policy),
  );
  const requested = await store.transaction(async (tx) => {
    if (!(await stillDue(tx))) return false;
    const current = await tx.objects.getName<CertificateState>(vault.name, CERTIFICATES.type, name);
    // The key was made for the policy read before; a policy changed since then waits for the next sweep.
    if (!current || current.state.policyUpdatedAt !== record.state.policyUpdatedAt) return false;
    await tx.objects.putName<CertificateState>({
      ...current,
      state: { ...current.state, pending: op },
      sealedState: privateKeyToDer(key),
    });
    return true;
  });
  if (requested && isSelfIssued(op)) await completeSelfIssued(scope, name, now);
  return requested;
}

/** Writes the certificate's name: its policy (keeping when the policy was first made), its operation, the pending key. */
export async function putCertificateName(
  tx: Store,
  vault: Vault,
  name: string,
  current: CertificateName | undefined,
  { policy, pending }: Pick<CertificateState, "policy" | "pending">,
  sealedState: Buffer | null,
): Promise<void> {
  const now = Date.now();
  await tx.objects.putName<CertificateState>({
    vault: vault.name,
    kind: CERTIFICATES.type,
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
export function completeInBackground(scope: ObjectScope, name: string): void {
  completeSelfIssued(scope, name).catch(() => {});
}

/**
 * Issues a pending self-signed certificate, valid from `now`. Runs right after create; GET pending (and the renewal
 * sweep, for the certificates it renews) also starts it when none is running, so an operation interrupted by a
 * restart still completes.
 */
export function completeSelfIssued({ store, vault }: ObjectScope, name: string, now = Date.now()): Promise<void> {
  const key = `${vault.name}/${name.toLowerCase()}`;
  let job = inFlight.get(key);
  if (!job) {
    job = issuePending(store, vault, name, now).finally(() => inFlight.delete(key));
    inFlight.set(key, job);
  }
  return job;
}

async function issuePending(store: Store, vault: Vault, name: string, now: number): Promise<void> {
  const record = await store.objects.getName<CertificateState>(vault.name, CERTIFICATES.type, name);
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
      error: { code: "CertificateIssuanceFailed", message: err instanceof Error ? err.message : String(err) },
    });
    return;
  }
  await store.transaction(async (tx) => {
    // Another node, or a cancel, may have finished the operation meanwhile; the lock makes this read see it.
    await tx.objects.lockName(vault.name, CERTIFICATES.type, name);
    const current = await tx.objects.getName<CertificateState>(vault.name, CERTIFICATES.type, name);
    if (current?.state.pending?.requestId !== op.requestId || current.state.pending.status !== "inProgress") return;
    const version = await writeCertificateVersion(
      tx,
      vault,
      current.name,
      current.state.policy,
      key,
      [cer],
      op.attributes,
      op.tags,
      op.version,
    );
    await tx.objects.putName<CertificateState>({
      ...current,
      state: { ...current.state, pending: { ...op, status: "completed", statusDetails: "", target: version } },
      sealedState: null,
    });
  });
}

export async function finishOperation(
  store: Store,
  vault: Vault,
  name: string,
  requestId: string,
  change: Partial<PendingOperation>,
) {
  await store.transaction(async (tx) => {
    const current = await tx.objects.getName<CertificateState>(vault.name, CERTIFICATES.type, name);
    // Only an operation still in progress ends, once: a cancel and a failure may race.
    if (current?.state.pending?.requestId !== requestId || current.state.pending.status !== "inProgress") return;
    await tx.objects.putName<CertificateState>({
      ...current,
      state: { ...current.state, pending: { ...current.state.pending, ...change } },
      sealedState: null,
    });
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
  policy: PolicyRecord,
  key: KeyObject,
  chain: Chain,
  attributes: StoredAttributes,
  tags: Record<string, string>,
  version = newVersionId(),
): Promise<string> {
  const now = Date.now();
  const [leaf] = chain;
  const x = new X509Certificate(leaf);
  // An imported certificate may say 1950 (X.509's UTCTime starts there); dates stay within what every SDK reads.
  const unixTime = (date: string) => Math.min(Math.max(toSeconds(Date.parse(date)), 0), MAX_UNIX_TIME);
  const validity = { nbf: unixTime(x.validFrom), exp: unixTime(x.validTo) };
  const linkedAttributes = { ...attributes, ...validity };
  const times = { createdAt: now, updatedAt: now };
  await tx.objects.putVersion({
    vault: vault.name,
    kind: CERTIFICATES.type,
    name,
    version,
    ...times,
    tags,
    attributes: linkedAttributes,
    data: { cer: leaf.toString("base64"), x5t: thumbprint(leaf) },
    sealed: null,
  });
  const material = { kind: "asymmetric" as const, key };
  const { kty, exportable } = policy.key_props;
  await putManagedKeyVersion(tx, vault, name, {
    version,
    createdAt: now,
    kty,
    keyOps: keyOpsFor(policy),
    material,
    attributes: linkedAttributes,
    tags,
    exportable,
  });
  const value = secretValue(policy, privateKeyToDer(key), chain);
  const kid = objectPath(KEYS.collection, name, version);
  await putManagedSecretVersion(tx, vault, name, {
    version,
    createdAt: now,
    kid,
    value,
    contentType: policy.secret_props.contentType,
    attributes: linkedAttributes,
    tags,
  });
  return version;
}

/**
 * The certificate's secret: the PFX (base64) or the PEM of key and chain, as the policy's content type says.
 * A non-exportable key stays out of it: the secret then carries the certificates only.
 */
function secretValue(policy: PolicyRecord, pkcs8: Buffer, chain: Chain): Buffer {
  const key = policy.key_props.exportable ? pkcs8 : undefined;
  if (policy.secret_props.contentType === "application/x-pem-file") {
    return Buffer.from(writePem({ privateKey: key, certificates: chain }), "utf8");
  }
  return Buffer.from(buildPfx(key, chain).toString("base64"), "utf8");
}

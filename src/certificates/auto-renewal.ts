// Certificate lifetime actions carried out, as Key Vault does: AutoRenew makes a new version once its trigger is
// reached for the newest one. Only issuer Self can issue here: for Unknown or a partner issuer Kluis cannot reach a
// CA, so nothing is requested. EmailContacts would mail the vault's contacts; Kluis has no mail server and records nothing.
import { CERTIFICATES } from "../objects/collection.js";
import { sweepLiveNames } from "../objects/sweep.js";
import type { Store } from "../store/store.js";
import type { Vault } from "../vaults/model.js";
import { completeSelfIssued, isSelfIssued, renewCertificate } from "./issuance.js";
import type { CertificateName, CertificateState, CertificateVersion } from "./model.js";
import { newestCertificateVersion } from "./records.js";

const DAY_SECONDS = 24 * 60 * 60;

/** Whether, at `now` (ms), an AutoRenew action of the policy has reached its trigger for `latest`, the newest version. */
function renewalDue(record: CertificateName, latest: CertificateVersion, now: number): boolean {
  // Deleted certificates and disabled newest versions are left alone: their owner took the certificate out of use.
  if (record.deletedAt !== null || !latest.attributes.enabled || record.state.pending?.status === "inProgress")
    return false;
  const { policy } = record.state;
  const { nbf, exp } = latest.attributes;
  if (policy.issuer.name.toLowerCase() !== "self" || nbf === undefined || exp === undefined) return false;
  return policy.lifetime_actions.some(({ trigger, action }) => {
    if (action.action_type !== "AutoRenew") return false;
    const at =
      trigger.lifetime_percentage !== undefined
        ? nbf + ((exp - nbf) * trigger.lifetime_percentage) / 100
        : exp - trigger.days_before_expiry! * DAY_SECONDS;
    return now >= at * 1000;
  });
}

async function renewIfDue(store: Store, vault: Vault, record: CertificateName, now: number): Promise<boolean> {
  const op = record.state.pending;
  const scope = { store, vault };
  // A renewal cut short by a restart is finished here: nobody polls the operation of an automatic renewal.
  if (op?.status === "inProgress" && isSelfIssued(op)) await completeSelfIssued(scope, record.name, now);
  const latest = await newestCertificateVersion(store, vault, record.name);
  if (!latest || !renewalDue(record, latest, now)) return false;
  return renewCertificate(scope, record.name, now, async (tx) => {
    // Another node's renewal, committed first, moves the newest version (or is still pending): the trigger then no longer holds.
    await tx.objects.lockName(vault.name, CERTIFICATES.type, record.name);
    const current = await tx.objects.getName<CertificateState>(vault.name, CERTIFICATES.type, record.name);
    const newest = await newestCertificateVersion(tx, vault, record.name);
    return current !== undefined && newest !== undefined && renewalDue(current, newest, now);
  });
}

/** Renews, across all vaults, every self-issued certificate whose AutoRenew action is due at `now`; returns how many it renewed. */
export function renewDueCertificates(store: Store, now = Date.now()): Promise<number> {
  // `"AutoRenew"` is in the stored state only of certificates whose policy has an AutoRenew action.
  return sweepLiveNames<CertificateState>(store, CERTIFICATES.type, '"AutoRenew"', (vault, record) =>
    renewIfDue(store, vault, record, now),
  );
}

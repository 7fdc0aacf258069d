// The EmailContacts lifetime action carried out: once its trigger (lifetime_percentage or days_before_expiry) is
// reached for a certificate's newest version, each of the vault's certificate contacts gets one e-mail, once per
// version (the version is marked in the transaction that queues the mails, so nodes sweeping together send it once).
import { queueMail } from "../events/publish.js";
import { CERTIFICATES } from "../objects/collection.js";
import { sweepLiveNames } from "../objects/sweep.js";
import type { Store } from "../store/store.js";
import type { Vault } from "../vaults/model.js";
import { CONTACTS_KIND, type CertificateName, type CertificateState, type Contact } from "./model.js";
import { lifetimeTriggerAt } from "./policy.js";
import { newestCertificateVersion } from "./records.js";

const MARK = "EmailContacts";

async function mailIfDue(store: Store, vault: Vault, record: CertificateName, now: number): Promise<boolean> {
  const latest = await newestCertificateVersion(store, vault, record.name);
  const { nbf, exp } = latest?.attributes ?? {};
  if (!latest || nbf === undefined || exp === undefined) return false;
  const due = record.state.policy.lifetime_actions.some(
    ({ trigger, action }) =>
      action.action_type === "EmailContacts" && now >= lifetimeTriggerAt(trigger, nbf, exp) * 1000,
  );
  if (!due) return false;
  return store.transaction(async (tx) => {
    const version = { vault: vault.name, kind: CERTIFICATES.type, name: record.name, version: latest.version };
    if (!(await tx.events.mark(version, MARK))) return false;
    const contacts = await tx.objects.getName<{ contacts: Contact[] }>(vault.name, CONTACTS_KIND, "contacts");
    const addresses = (contacts?.state.contacts ?? []).flatMap((c) => (c.email ? [c.email] : []));
    const expires = new Date(exp * 1000).toISOString();
    const days = Math.max(0, Math.ceil((exp * 1000 - now) / 86_400_000));
    await queueMail(
      tx,
      vault.name,
      MARK,
      addresses.map((to) => ({
        to,
        subject: `Certificate ${record.name} in vault ${vault.name} expires on ${expires.slice(0, 10)}`,
        text:
          `The certificate ${record.name} (version ${latest.version}) in the Key Vault ${vault.name} expires on ` +
          `${expires}, in ${days} day(s).\n\nYou receive this because you are a certificate contact of the vault ` +
          `and the certificate's policy has an EmailContacts lifetime action.\n`,
      })),
    );
    return addresses.length > 0;
  });
}

/** Queues, across all vaults, the e-mails of every EmailContacts action due at `now`; returns how many certificates. */
export function mailDueContacts(store: Store, now: number): Promise<number> {
  // `"EmailContacts"` is in the stored state only of certificates whose policy has such an action.
  return sweepLiveNames<CertificateState>(store, CERTIFICATES.type, `"${MARK}"`, (vault, record) =>
    mailIfDue(store, vault, record, now),
  );
}

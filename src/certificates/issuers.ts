// Certificate issuers and contacts: vault-wide settings of the certificates API, typed input in (requests.ts),
// records out (model.ts makes the JSON). An issuer's password is sealed at rest and never returned.
import { badParameter, notFound } from "../http/errors.js";
import type { PageRequest } from "../objects/paging.js";
import type { ObjectScope } from "../objects/scope.js";
import type { NameRecord, Page } from "../store/repositories/objects.js";
import { CONTACTS_KIND, ISSUER_KIND, type Contact, type IssuerRecord, type IssuerState } from "./model.js";
import { checkIssuerName, type IssuerInput } from "./requests.js";

const issuerNotFound = (name: string) => notFound("CertificateIssuerNotFound", `Issuer not found: ${name}`);

async function issuerRecord(scope: ObjectScope, name: string): Promise<IssuerRecord> {
  const record = await scope.store.objects.getName<IssuerState>(scope.vault.name, ISSUER_KIND, checkIssuerName(name));
  if (!record) throw issuerNotFound(name);
  return record;
}

/** True when the vault has an issuer of that name (create refers to issuers by name). */
export async function issuerExists(scope: ObjectScope, name: string): Promise<boolean> {
  return (await scope.store.objects.getName(scope.vault.name, ISSUER_KIND, name)) !== undefined;
}

/** PUT replaces the issuer; PATCH (`merge`) keeps what the body leaves out. */
export async function setCertificateIssuer(
  scope: ObjectScope,
  name: string,
  input: IssuerInput,
  merge = false,
): Promise<IssuerRecord> {
  checkIssuerName(name);
  return scope.store.transaction(async (tx) => {
    const existing = await tx.objects.getName<IssuerState>(scope.vault.name, ISSUER_KIND, name);
    if (merge && !existing) throw issuerNotFound(name);
    const base = merge ? existing : undefined;
    const provider = input.provider ?? base?.state.provider;
    if (provider === undefined) throw badParameter("provider is required.");
    const now = Date.now();
    const record: IssuerRecord = {
      vault: scope.vault.name,
      kind: ISSUER_KIND,
      name: existing?.name ?? name, // issuer names are case-insensitive; the first spelling stays
      deletedAt: null,
      scheduledPurgeAt: null,
      state: {
        provider,
        accountId: input.accountId ?? base?.state.accountId,
        orgDetails: input.orgDetails ?? base?.state.orgDetails,
        enabled: input.enabled ?? base?.state.enabled ?? true,
        createdAt: existing?.state.createdAt ?? now,
        updatedAt: now,
      },
      sealedState: input.password !== undefined ? Buffer.from(input.password, "utf8") : (base?.sealedState ?? null),
    };
    await tx.objects.putName(record);
    return record;
  });
}

export const getCertificateIssuer = (scope: ObjectScope, name: string): Promise<IssuerRecord> =>
  issuerRecord(scope, name);

export async function deleteCertificateIssuer(scope: ObjectScope, name: string): Promise<IssuerRecord> {
  const record = await issuerRecord(scope, name);
  await scope.store.objects.purgeName(scope.vault.name, ISSUER_KIND, name);
  return record;
}

export function getCertificateIssuers(scope: ObjectScope, page: PageRequest): Promise<Page<IssuerRecord>> {
  return scope.store.objects.listNames<IssuerState>(scope.vault.name, ISSUER_KIND, { deleted: false, ...page });
}

// -- contacts -----------------------------------------------------------------------------------

/** The vault's one contacts record. */
const CONTACTS = "contacts";

async function contactsRecord(scope: ObjectScope): Promise<NameRecord<{ contacts: Contact[] }>> {
  const record = await scope.store.objects.getName<{ contacts: Contact[] }>(scope.vault.name, CONTACTS_KIND, CONTACTS);
  if (!record) throw notFound("ContactsNotFound", "Contacts not found");
  return record;
}

export async function setCertificateContacts(scope: ObjectScope, contacts: Contact[]): Promise<Contact[]> {
  await scope.store.objects.putName({
    vault: scope.vault.name,
    kind: CONTACTS_KIND,
    name: CONTACTS,
    deletedAt: null,
    scheduledPurgeAt: null,
    state: { contacts },
    sealedState: null,
  });
  return contacts;
}

export const getCertificateContacts = async (scope: ObjectScope): Promise<Contact[]> =>
  (await contactsRecord(scope)).state.contacts;

export async function deleteCertificateContacts(scope: ObjectScope): Promise<Contact[]> {
  const record = await contactsRecord(scope);
  await scope.store.objects.purgeName(scope.vault.name, CONTACTS_KIND, CONTACTS);
  return record.state.contacts;
}

// Certificate issuers and contacts: vault-wide settings of the certificates API. An issuer's password is sealed
// at rest and never returned.
import { badParameter, notFound } from "../http/errors.js";
import { toSeconds } from "../objects/attributes.js";
import { pageResponse, type PageRequest } from "../objects/paging.js";
import type { VaultScope } from "../objects/scope.js";
import type { NameRecord } from "../store/store.js";

const ISSUER_NAME = /^[0-9a-zA-Z-]{1,127}$/;

interface IssuerState {
  provider: string;
  accountId?: string;
  orgDetails?: { id?: string; admin_details?: { first_name?: string; last_name?: string; email?: string; phone?: string }[] };
  enabled: boolean;
  createdAt: number;
  updatedAt: number;
}

interface Contact {
  email?: string;
  name?: string;
  phone?: string;
}

const issuerUrl = (scope: VaultScope, name: string) => `${scope.vaultUrl}/certificates/issuers/${name}`;
const issuerNotFound = (name: string) => notFound("CertificateIssuerNotFound", `Issuer not found: ${name}`);

function checkIssuerName(name: string): string {
  if (!ISSUER_NAME.test(name)) throw badParameter(`The issuer name '${name}' is invalid. Names must match ^[0-9a-zA-Z-]{1,127}$.`);
  return name;
}

function issuerBundle(scope: VaultScope, record: NameRecord<IssuerState>) {
  const s = record.state;
  return {
    id: issuerUrl(scope, record.name),
    provider: s.provider,
    ...(s.accountId !== undefined ? { credentials: { account_id: s.accountId } } : {}),
    ...(s.orgDetails ? { org_details: s.orgDetails } : {}),
    attributes: { enabled: s.enabled, created: toSeconds(s.createdAt), updated: toSeconds(s.updatedAt) },
  };
}

async function issuerRecord(scope: VaultScope, name: string): Promise<NameRecord<IssuerState>> {
  const record = await scope.store.getName<IssuerState>(scope.vault.name, "certificate-issuer", checkIssuerName(name));
  if (!record) throw issuerNotFound(name);
  return record;
}

/** True when the vault has an issuer of that name (create refers to issuers by name). */
export async function issuerExists(scope: VaultScope, name: string): Promise<boolean> {
  return (await scope.store.getName(scope.vault.name, "certificate-issuer", name)) !== undefined;
}

/** PUT replaces the issuer; PATCH (`merge`) keeps what the body leaves out. */
export async function setCertificateIssuer(scope: VaultScope, name: string, body: Record<string, unknown>, merge = false) {
  checkIssuerName(name);
  return scope.store.transaction(async (tx) => {
    const existing = await tx.getName<IssuerState>(scope.vault.name, "certificate-issuer", name);
    if (merge && !existing) throw issuerNotFound(name);
    const base = merge ? existing : undefined;
    const provider = body.provider ?? base?.state.provider;
    if (typeof provider !== "string" || provider === "") throw badParameter("provider is required.");
    const credentials = (body.credentials ?? {}) as { account_id?: unknown; pwd?: unknown };
    const attributes = (body.attributes ?? {}) as { enabled?: unknown };
    if (attributes.enabled !== undefined && typeof attributes.enabled !== "boolean") throw badParameter("attributes.enabled must be a boolean.");
    const now = Date.now();
    const record: NameRecord<IssuerState> = {
      vault: scope.vault.name,
      kind: "certificate-issuer",
      name: existing?.name ?? name, // issuer names are case-insensitive; the first spelling stays
      deletedAt: null,
      scheduledPurgeAt: null,
      state: {
        provider,
        accountId: typeof credentials.account_id === "string" ? credentials.account_id : base?.state.accountId,
        orgDetails: (body.org_details as IssuerState["orgDetails"]) ?? base?.state.orgDetails,
        enabled: (attributes.enabled as boolean | undefined) ?? base?.state.enabled ?? true,
        createdAt: existing?.state.createdAt ?? now,
        updatedAt: now,
      },
      sealedState: typeof credentials.pwd === "string" ? Buffer.from(credentials.pwd, "utf8") : (base?.sealedState ?? null),
    };
    await tx.putName(record);
    return issuerBundle(scope, record);
  });
}

export async function getCertificateIssuer(scope: VaultScope, name: string) {
  return issuerBundle(scope, await issuerRecord(scope, name));
}

export async function deleteCertificateIssuer(scope: VaultScope, name: string) {
  const record = await issuerRecord(scope, name);
  await scope.store.purgeName(scope.vault.name, "certificate-issuer", name);
  return issuerBundle(scope, record);
}

export async function getCertificateIssuers(scope: VaultScope, page: PageRequest) {
  const names = await scope.store.listNames<IssuerState>(scope.vault.name, "certificate-issuer", { deleted: false, ...page });
  return pageResponse(scope, "/certificates/issuers", page, names, (r) => ({ id: issuerUrl(scope, r.name), provider: r.state.provider }));
}

// -- contacts -----------------------------------------------------------------------------------

const CONTACTS = "contacts";

function contactsJson(scope: VaultScope, contacts: Contact[]) {
  return { id: `${scope.vaultUrl}/certificates/contacts`, contacts };
}

async function contactsRecord(scope: VaultScope): Promise<NameRecord<{ contacts: Contact[] }>> {
  const record = await scope.store.getName<{ contacts: Contact[] }>(scope.vault.name, "certificate-contacts", CONTACTS);
  if (!record) throw notFound("ContactsNotFound", "Contacts not found");
  return record;
}

export async function setCertificateContacts(scope: VaultScope, body: Record<string, unknown>) {
  const contacts = body.contacts;
  if (!Array.isArray(contacts)) throw badParameter("contacts must be an array.");
  const clean: Contact[] = contacts.map((c, i) => {
    if (!c || typeof c !== "object") throw badParameter(`contacts[${i}] must be an object.`);
    const { email, name, phone } = c as Record<string, unknown>;
    if (email !== undefined && (typeof email !== "string" || !/^[^@\s]+@[^@\s]+$/.test(email))) throw badParameter(`contacts[${i}].email is not an email address.`);
    if ((name !== undefined && typeof name !== "string") || (phone !== undefined && typeof phone !== "string")) throw badParameter(`contacts[${i}] name and phone must be strings.`);
    return { ...(email ? { email } : {}), ...(name ? { name } : {}), ...(phone ? { phone } : {}) } as Contact;
  });
  await scope.store.putName({ vault: scope.vault.name, kind: "certificate-contacts", name: CONTACTS, deletedAt: null, scheduledPurgeAt: null, state: { contacts: clean }, sealedState: null });
  return contactsJson(scope, clean);
}

export async function getCertificateContacts(scope: VaultScope) {
  return contactsJson(scope, (await contactsRecord(scope)).state.contacts);
}

export async function deleteCertificateContacts(scope: VaultScope) {
  const record = await contactsRecord(scope);
  await scope.store.purgeName(scope.vault.name, "certificate-contacts", CONTACTS);
  return contactsJson(scope, record.state.contacts);
}

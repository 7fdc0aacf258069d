// Request bodies of the certificates API (and of its issuers and contacts) read into typed input, with Key Vault's
// 400s. A policy is read against the certificate's current one (policy.ts): the input holds the reading, the operation
// applies it to what it finds stored.
import type { KeyObject } from "node:crypto";
import {
  certificateMatchesKey,
  leafFirst,
  readImportedContent,
  UnreadableCertificateError,
} from "../crypto/certificate-files.js";
import { privateKeyFromDer } from "../crypto/keys.js";
import type { Chain } from "../crypto/pkcs12.js";
import { loadX509, type X509Module } from "../crypto/x509.js";
import { badParameter } from "../http/errors.js";
import {
  readAttributes,
  readAttributesPatch,
  readTags,
  readTagsPatch,
  type AttributesPatch,
  type StoredAttributes,
} from "../objects/attributes.js";
import { checkImportedKey } from "../objects/limits.js";
import type { Contact, OrganizationDetails } from "./model.js";
import { readPolicy, type PolicyRecord } from "./policy.js";
import { policyFromCertificate } from "./x509.js";

type Body = Record<string, unknown>;

/** A policy as a request gives it: fields left out keep the current policy's values (or Key Vault's defaults). */
export type PolicyInput = (current: PolicyRecord | undefined) => PolicyRecord;

export interface CreateCertificateInput {
  policy: PolicyInput;
  attributes: StoredAttributes;
  tags: Record<string, string>;
}

export interface UpdateCertificateInput {
  attributes: AttributesPatch;
  /** Absent: the version keeps its tags. */
  tags?: Record<string, string>;
  /** Absent: the policy stays as it is. */
  policy?: PolicyInput;
}

/** SetCertificateIssuer (PUT) and UpdateCertificateIssuer (PATCH): what the body gives; absent fields are undefined. */
export interface IssuerInput {
  provider?: string;
  accountId?: string;
  /** The account password at the provider: sealed, never returned. */
  password?: string;
  orgDetails?: OrganizationDetails;
  enabled?: boolean;
}

export interface ImportCertificateInput {
  key: KeyObject;
  /** Leaf first, unless the request asked to keep its order. */
  chain: Chain;
  policy: PolicyRecord;
  attributes: StoredAttributes;
  tags: Record<string, string>;
}

export interface MergeCertificateInput {
  x5c: string[];
  attributes: AttributesPatch;
  tags?: Record<string, string>;
}

const isObject = (value: unknown): value is Body =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/** A policy in a body (absent: nothing given), read when the operation has the current one. */
const readPolicyInput =
  (x509: X509Module, input: unknown): PolicyInput =>
  (current) =>
    readPolicy(x509, input, current);

export async function readCreateCertificate(body: Body): Promise<CreateCertificateInput> {
  const attributes = readAttributes(body.attributes, { enabled: true });
  const tags = readTags(body.tags);
  return { policy: readPolicyInput(await loadX509(), body.policy), attributes, tags };
}

export async function readUpdateCertificate(body: Body): Promise<UpdateCertificateInput> {
  const attributes = readAttributesPatch(body.attributes);
  const tags = readTagsPatch(body.tags);
  return {
    attributes,
    ...(tags !== undefined ? { tags } : {}),
    ...(body.policy !== undefined ? { policy: readPolicyInput(await loadX509(), body.policy) } : {}),
  };
}

/** UpdateCertificatePolicy: the body is the policy. */
export const readUpdatePolicy = async (body: Body): Promise<PolicyInput> => readPolicyInput(await loadX509(), body);

/** A PFX (base64, optional password) or PEM (key and certificates in any order; as text or base64) with its key. */
export async function readImportCertificate(body: Body): Promise<ImportCertificateInput> {
  const { value, pwd } = body;
  if (typeof value !== "string" || value === "")
    throw badParameter("value must hold the certificate content (base64 PFX, PEM text or base64 PEM).");
  if (pwd !== undefined && pwd !== null && typeof pwd !== "string") throw badParameter("pwd must be a string.");
  let material: ReturnType<typeof readImportedContent>;
  let certificates: Buffer[];
  let pkcs8: Buffer;
  try {
    material = readImportedContent(value, pwd ?? undefined);
    if (!material.privateKey)
      throw new UnreadableCertificateError(
        "The content holds no private key; Key Vault imports a certificate together with its private key.",
      );
    pkcs8 = material.privateKey;
    certificates = body.preserveCertOrder === true ? material.certificates : leafFirst(material);
  } catch (err) {
    if (err instanceof UnreadableCertificateError) throw badParameter(err.message);
    throw badParameter("The certificate content could not be read.");
  }
  const key = privateKeyFromDer(pkcs8);
  checkImportedKey(key, "value");
  const [leaf, ...issuers] = certificates;
  if (!leaf || (!certificateMatchesKey(leaf, key) && !issuers.some((c) => certificateMatchesKey(c, key)))) {
    throw badParameter("The private key does not match the certificate.");
  }
  const contentType = material.format === "pem" ? "application/x-pem-file" : "application/x-pkcs12";
  const x509 = await loadX509();
  const derived = policyFromCertificate(x509, leaf, key, contentType);
  // The key's own properties (type, size, curve) are the certificate's; a given policy may change the others.
  const given = body.policy;
  const policy =
    given === undefined
      ? derived
      : readPolicy(
          x509,
          {
            ...(isObject(given) ? given : {}),
            key_props: {
              ...derived.key_props,
              ...(isObject(given) && isObject(given.key_props) ? given.key_props : {}),
            },
          },
          derived,
        );
  const attributes = readAttributes(body.attributes, { enabled: true });
  const tags = readTags(body.tags);
  return { key, chain: [leaf, ...issuers], policy, attributes, tags };
}

export function readMergeCertificate(body: Body): MergeCertificateInput {
  const x5c = body.x5c;
  if (!Array.isArray(x5c) || x5c.length === 0 || x5c.some((c) => typeof c !== "string")) {
    throw badParameter("x5c must be a non-empty array of base64 certificates.");
  }
  const attributes = readAttributesPatch(body.attributes);
  const tags = readTagsPatch(body.tags);
  return { x5c: x5c.map(String), attributes, ...(tags !== undefined ? { tags } : {}) };
}

/** UpdateCertificateOperation's one field. */
export function readCancellation(body: Body): boolean {
  if (typeof body.cancellation_requested !== "boolean") throw badParameter("cancellation_requested must be a boolean.");
  return body.cancellation_requested;
}

// -- issuers and contacts ------------------------------------------------------------------------------

const ISSUER_NAME = /^[0-9a-zA-Z-]{1,127}$/;

export function checkIssuerName(name: string): string {
  if (!ISSUER_NAME.test(name))
    throw badParameter(`The issuer name '${name}' is invalid. Names must match ^[0-9a-zA-Z-]{1,127}$.`);
  return name;
}

const stringOrUndefined = (value: unknown) => (typeof value === "string" ? value : undefined);

export function readIssuer(body: Body): IssuerInput {
  const { provider, org_details } = body;
  if (provider !== undefined && provider !== null && (typeof provider !== "string" || provider === ""))
    throw badParameter("provider is required.");
  const credentials = isObject(body.credentials) ? body.credentials : {};
  const attributes = isObject(body.attributes) ? body.attributes : {};
  if (attributes.enabled !== undefined && typeof attributes.enabled !== "boolean")
    throw badParameter("attributes.enabled must be a boolean.");
  if (org_details !== undefined && org_details !== null && !isObject(org_details))
    throw badParameter("org_details must be an object.");
  return {
    provider: stringOrUndefined(provider),
    accountId: stringOrUndefined(credentials.account_id),
    password: stringOrUndefined(credentials.pwd),
    // Kept as given: Kluis reaches no provider, so nothing reads the organization's details.
    orgDetails: isObject(org_details) ? (org_details as OrganizationDetails) : undefined,
    enabled: typeof attributes.enabled === "boolean" ? attributes.enabled : undefined,
  };
}

const EMAIL = /^[^@\s]+@[^@\s]+$/;

/** SetCertificateContacts: the list, each contact's email an address and its name and phone strings. */
export function readContacts(body: Body): Contact[] {
  const contacts = body.contacts;
  if (!Array.isArray(contacts)) throw badParameter("contacts must be an array.");
  return contacts.map((c: unknown, i) => {
    if (!c || typeof c !== "object") throw badParameter(`contacts[${i}] must be an object.`);
    const { email, name, phone }: Body = Object.fromEntries(Object.entries(c));
    if (email !== undefined && (typeof email !== "string" || !EMAIL.test(email)))
      throw badParameter(`contacts[${i}].email is not an email address.`);
    if ((name !== undefined && typeof name !== "string") || (phone !== undefined && typeof phone !== "string"))
      throw badParameter(`contacts[${i}] name and phone must be strings.`);
    return { ...(email ? { email } : {}), ...(name ? { name } : {}), ...(phone ? { phone } : {}) };
  });
}

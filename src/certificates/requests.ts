// Request bodies of the certificates API read into typed input, with Key Vault's 400s. Policies are read against
// the certificate's current one (policy.ts), so the operations read those.
import type { KeyObject } from "node:crypto";
import { certificateMatchesKey, leafFirst, readImportedContent, UnreadableCertificateError } from "../crypto/certificate-files.js";
import { privateKeyFromDer } from "../crypto/keys.js";
import { badParameter } from "../http/errors.js";
import { readAttributes, readAttributesPatch, readTags, readTagsPatch, type AttributesPatch, type StoredAttributes } from "../objects/attributes.js";
import { checkImportedKey } from "../objects/limits.js";
import { readPolicy, type PolicyRecord } from "./policy.js";
import { policyFromCertificate } from "./x509.js";

type Body = Record<string, unknown>;

export interface ImportCertificateInput {
  key: KeyObject;
  /** Leaf first, unless the request asked to keep its order. */
  chain: Buffer[];
  policy: PolicyRecord;
  attributes: StoredAttributes;
  tags: Record<string, string>;
}

export interface MergeCertificateInput {
  x5c: string[];
  attributes: AttributesPatch;
  tags?: Record<string, string>;
}

const isObject = (value: unknown): value is Body => typeof value === "object" && value !== null && !Array.isArray(value);

/** A PFX (base64, optional password) or PEM (key and certificates in any order; as text or base64) with its key. */
export function readImportCertificate(body: Body): ImportCertificateInput {
  const { value, pwd } = body;
  if (typeof value !== "string" || value === "") throw badParameter("value must hold the certificate content (base64 PFX, PEM text or base64 PEM).");
  if (pwd !== undefined && pwd !== null && typeof pwd !== "string") throw badParameter("pwd must be a string.");
  let material: ReturnType<typeof readImportedContent>;
  let chain: Buffer[];
  let pkcs8: Buffer;
  try {
    material = readImportedContent(value, pwd ?? undefined);
    if (!material.privateKey) throw new UnreadableCertificateError("The content holds no private key; Key Vault imports a certificate together with its private key.");
    pkcs8 = material.privateKey;
    chain = body.preserveCertOrder === true ? material.certificates : leafFirst(material);
  } catch (err) {
    if (err instanceof UnreadableCertificateError) throw badParameter(err.message);
    throw badParameter("The certificate content could not be read.");
  }
  const key = privateKeyFromDer(pkcs8);
  checkImportedKey(key, "value");
  const [leaf] = chain;
  if (!leaf || (!certificateMatchesKey(leaf, key) && !chain.some((c) => certificateMatchesKey(c, key)))) {
    throw badParameter("The private key does not match the certificate.");
  }
  const contentType = material.format === "pem" ? "application/x-pem-file" : "application/x-pkcs12";
  const derived = policyFromCertificate(leaf, key, contentType);
  // The key's own properties (type, size, curve) are the certificate's; a given policy may change the others.
  const given = body.policy;
  const policy =
    given === undefined ? derived : readPolicy({ ...(isObject(given) ? given : {}), key_props: { ...derived.key_props, ...(isObject(given) && isObject(given.key_props) ? given.key_props : {}) } }, derived);
  const attributes = readAttributes(body.attributes, { enabled: true });
  const tags = readTags(body.tags);
  return { key, chain, policy, attributes, tags };
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

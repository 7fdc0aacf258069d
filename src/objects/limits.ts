// Azure Key Vault's bounds on what a certificate, key or secret carries, in one place: every path that writes one
// (create, import, update, merge, restore) checks them here, and a value out of bounds is Key Vault's 400
// ("BadParameter: Property has invalid value") naming the property.
import type { KeyObject } from "node:crypto";
import { CURVES, curveNameOf } from "../crypto/keys.js";
import { isJsonObject } from "../http/body.js";
import { badParameter } from "../http/errors.js";

export const invalidProperty = (property: string, why: string) =>
  badParameter(`Property has invalid value: ${property} ${why}.`);

// Tags. Sources: learn.microsoft.com/azure/key-vault/secrets/about-secrets "Secret tags" (up to 15 tags, 512-character
// names) and keys/about-keys-details "Key tags" (15 tags, 256-character values); where they disagree, the name bound
// is the secrets page's and the value bound the keys page's, which is also what Azure Resource Manager allows a tag.
export const MAX_TAGS = 15;
export const MAX_TAG_NAME_LENGTH = 512;
export const MAX_TAG_VALUE_LENGTH = 256;

/** A secret's contentType. Source: learn.microsoft.com/azure/key-vault/secrets/about-secrets ("maximum length ... 255"). */
export const MAX_CONTENT_TYPE_LENGTH = 255;

/**
 * Dates (nbf, exp, created, updated) are IntDate, seconds since the epoch. 9999-12-31T23:59:59Z is the latest
 * instant every SDK's date type holds (Python's datetime, .NET's DateTimeOffset, Java's formatter); before the epoch,
 * Python's datetime.fromtimestamp fails on Windows.
 */
export const MAX_UNIX_TIME = 253_402_300_799;

/** Rotation-policy durations (ISO 8601, e.g. P90D): at most 1000 years, so that they add up to finite dates. */
export const MAX_DURATION_SECONDS = 1000 * 365 * 24 * 3600;

/**
 * A certificate policy's subject and lists. Azure documents no bound; these keep the X.500 and X.509 work of one
 * request small (a 1 MB subject of 200,000 RDNs, or 50,000 SANs, took @peculiar/x509 over a minute). 100 names is
 * what Let's Encrypt allows a certificate; DNS names stop at 253 characters, e-mail addresses at 254.
 */
export const MAX_SUBJECT_LENGTH = 1024;
export const MAX_POLICY_LIST_LENGTH = 100;
export const MAX_POLICY_LIST_ENTRY_LENGTH = 255;

/** RSA keys Key Vault makes and takes (about-keys-details: "RSA 2K, 3K, 4K"), always with the exponent 65537. */
export const RSA_SIZES = [2048, 3072, 4096] as const;
const isRsaSize = (bits: unknown): bits is (typeof RSA_SIZES)[number] => RSA_SIZES.some((size) => size === bits);
export const RSA_PUBLIC_EXPONENT = 65537;

/** Tags as a request gives them: an object of at most 15 string values, names and values within their lengths. */
export function checkTags(input: unknown, property = "tags"): Record<string, string> {
  if (!isJsonObject(input)) throw invalidProperty(property, "must be an object of strings");
  const entries = Object.entries(input);
  if (entries.length > MAX_TAGS)
    throw invalidProperty(property, `has ${entries.length} tags; an object has at most ${MAX_TAGS}`);
  const tags: [string, string][] = []; // own properties, "__proto__" too (fromEntries defines, never assigns)
  for (const [name, value] of entries) {
    if (name.length > MAX_TAG_NAME_LENGTH)
      throw invalidProperty(property, `has a tag name longer than ${MAX_TAG_NAME_LENGTH} characters`);
    if (typeof value !== "string") throw invalidProperty(`${property}.${name}`, "must be a string");
    if (value.length > MAX_TAG_VALUE_LENGTH)
      throw invalidProperty(`${property}.${name}`, `is longer than ${MAX_TAG_VALUE_LENGTH} characters`);
    tags.push([name, value]);
  }
  return Object.fromEntries(tags);
}

export function checkContentType(input: unknown, property = "contentType"): string {
  if (typeof input !== "string") throw invalidProperty(property, "must be a string");
  if (input.length > MAX_CONTENT_TYPE_LENGTH)
    throw invalidProperty(property, `is longer than ${MAX_CONTENT_TYPE_LENGTH} characters`);
  return input;
}

/** An IntDate: whole seconds from 1970-01-01 to 9999-12-31T23:59:59Z. */
export function checkUnixTime(input: unknown, property: string): number {
  if (typeof input !== "number" || !Number.isInteger(input) || input < 0 || input > MAX_UNIX_TIME) {
    throw invalidProperty(
      property,
      `must be whole seconds since 1970-01-01, at most ${MAX_UNIX_TIME} (9999-12-31T23:59:59Z)`,
    );
  }
  return input;
}

export function checkSubject(input: string, property: string): string {
  if (input.length > MAX_SUBJECT_LENGTH)
    throw invalidProperty(property, `is longer than ${MAX_SUBJECT_LENGTH} characters`);
  return input;
}

/** A policy's list (SANs of one kind, EKUs, key usages): at most 100 entries, each at most `maxLength` characters. */
export function checkPolicyList(list: string[], property: string, maxLength = MAX_POLICY_LIST_ENTRY_LENGTH): string[] {
  if (list.length > MAX_POLICY_LIST_LENGTH)
    throw invalidProperty(property, `has ${list.length} entries; at most ${MAX_POLICY_LIST_LENGTH}`);
  if (list.some((entry) => entry.length > maxLength))
    throw invalidProperty(property, `has an entry longer than ${maxLength} characters`);
  return list;
}

/** The key size of an RSA key to create (a key's or a certificate policy's `key_size`). */
export function checkRsaSize(input: unknown, property: string): number {
  if (!isRsaSize(input)) throw invalidProperty(property, `must be one of ${RSA_SIZES.join(", ")}`);
  return input;
}

/** A key pair a client brings (an imported JWK, PFX or PEM): RSA of Key Vault's sizes with exponent 65537, or EC on its curves. */
export function checkImportedKey(key: KeyObject, property: string): void {
  const { modulusLength, publicExponent } = key.asymmetricKeyDetails ?? {};
  if (key.asymmetricKeyType === "rsa") {
    if (!isRsaSize(modulusLength)) {
      throw invalidProperty(
        property,
        `is an RSA key of ${modulusLength} bits; Key Vault takes ${RSA_SIZES.join(", ")}`,
      );
    }
    if (publicExponent !== BigInt(RSA_PUBLIC_EXPONENT))
      throw invalidProperty(property, `must have the RSA public exponent ${RSA_PUBLIC_EXPONENT}`);
  } else if (key.asymmetricKeyType !== "ec" || !curveNameOf(key)) {
    throw invalidProperty(property, `must be an RSA key or an EC key on ${Object.keys(CURVES).join(", ")}`);
  }
}

/**
 * A version as a restore brings it back. Backups are sealed by this server, but one sealed before these bounds
 * existed may hold what they now refuse; it is refused as a whole rather than written.
 */
export function checkRestoredVersion(v: {
  tags: unknown;
  attributes: unknown;
  data: unknown;
  createdAt: number;
  updatedAt: number;
}): void {
  checkTags(v.tags);
  const { nbf, exp } = isJsonObject(v.attributes) ? v.attributes : {};
  if (nbf !== undefined) checkUnixTime(nbf, "attributes.nbf");
  if (exp !== undefined) checkUnixTime(exp, "attributes.exp");
  checkUnixTime(Math.floor(v.createdAt / 1000), "attributes.created");
  checkUnixTime(Math.floor(v.updatedAt / 1000), "attributes.updated");
  const { contentType, n, e } = isJsonObject(v.data) ? v.data : {};
  if (contentType !== undefined) checkContentType(contentType);
  if (n !== undefined) {
    const bits = Buffer.from(String(n), "base64url").length * 8;
    if (!isRsaSize(bits) || e !== "AQAB")
      throw invalidProperty("key", `is an RSA key of ${bits} bits or an exponent other than ${RSA_PUBLIC_EXPONENT}`);
  }
}

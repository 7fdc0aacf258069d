// Object attributes as Key Vault sends them: stored parts (enabled, nbf, exp) plus derived ones.
import { badParameter } from "../http/errors.js";
import { recoveryLevel, type Vault } from "../vaults/model.js";
import { checkTags, checkUnixTime } from "./limits.js";

/** What is stored per version; times are Unix seconds as on the wire. */
export interface StoredAttributes {
  enabled: boolean;
  nbf?: number;
  exp?: number;
}

export const toSeconds = (ms: number) => Math.floor(ms / 1000);

export function wireAttributes(
  attrs: StoredAttributes,
  version: { createdAt: number; updatedAt: number },
  vault: Vault,
) {
  return {
    enabled: attrs.enabled,
    ...(attrs.nbf !== undefined ? { nbf: attrs.nbf } : {}),
    ...(attrs.exp !== undefined ? { exp: attrs.exp } : {}),
    created: toSeconds(version.createdAt),
    updated: toSeconds(version.updatedAt),
    recoveryLevel: recoveryLevel(vault),
    recoverableDays: vault.properties.softDeleteRetentionInDays,
  };
}

/** Reads `attributes` from a request body over `base`; unknown read-only fields are ignored, bad types are a 400. */
export function readAttributes(input: unknown, base: StoredAttributes): StoredAttributes {
  if (input === undefined || input === null) return base;
  if (typeof input !== "object" || Array.isArray(input)) throw badParameter("attributes must be an object.");
  const a = input as Record<string, unknown>;
  const out: StoredAttributes = { ...base };
  if (a.enabled !== undefined) {
    if (typeof a.enabled !== "boolean") throw badParameter("attributes.enabled must be a boolean.");
    out.enabled = a.enabled;
  }
  for (const field of ["nbf", "exp"] as const) {
    const v = a[field];
    if (v === undefined) continue;
    if (v === null) delete out[field];
    else out[field] = checkUnixTime(v, `attributes.${field}`);
  }
  return out;
}

export function readTags(input: unknown, base: Record<string, string> = {}): Record<string, string> {
  if (input === undefined) return base;
  if (input === null) return {};
  return checkTags(input);
}

// Object attributes as Key Vault sends them: stored parts (enabled, nbf, exp) plus derived ones.
import { isJsonObject } from "../http/body.js";
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

/** Attributes as Key Vault returns them: the stored ones and the times and recovery settings it derives. */
export interface WireAttributes {
  enabled: boolean;
  nbf?: number;
  exp?: number;
  created: number;
  updated: number;
  recoveryLevel: string;
  recoverableDays: number;
}

export function wireAttributes(
  attrs: StoredAttributes,
  version: { createdAt: number; updatedAt: number },
  vault: Vault,
): WireAttributes {
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

/** A change to attributes as a request gives it: `null` removes a date, an absent field keeps it. */
export interface AttributesPatch {
  enabled?: boolean;
  nbf?: number | null;
  exp?: number | null;
}

/** Reads `attributes` from a request body; unknown read-only fields are ignored, bad types are a 400. */
export function readAttributesPatch(input: unknown): AttributesPatch {
  if (input === undefined || input === null) return {};
  if (!isJsonObject(input)) throw badParameter("attributes must be an object.");
  const a = input;
  const patch: AttributesPatch = {};
  if (a.enabled !== undefined) {
    if (typeof a.enabled !== "boolean") throw badParameter("attributes.enabled must be a boolean.");
    patch.enabled = a.enabled;
  }
  for (const field of ["nbf", "exp"] as const) {
    const v = a[field];
    if (v === undefined) continue;
    patch[field] = v === null ? null : checkUnixTime(v, `attributes.${field}`);
  }
  return patch;
}

export function applyAttributes(base: StoredAttributes, patch: AttributesPatch): StoredAttributes {
  const out: StoredAttributes = { ...base };
  if (patch.enabled !== undefined) out.enabled = patch.enabled;
  for (const field of ["nbf", "exp"] as const) {
    const v = patch[field];
    if (v === null) delete out[field];
    else if (v !== undefined) out[field] = v;
  }
  return out;
}

/** Reads `attributes` from a request body over `base`. */
export const readAttributes = (input: unknown, base: StoredAttributes): StoredAttributes =>
  applyAttributes(base, readAttributesPatch(input));

/** Tags as a request gives them: absent keeps the version's (undefined), null clears them. */
export function readTagsPatch(input: unknown): Record<string, string> | undefined {
  if (input === undefined) return undefined;
  if (input === null) return {};
  return checkTags(input);
}

export const readTags = (input: unknown, base: Record<string, string> = {}): Record<string, string> =>
  readTagsPatch(input) ?? base;

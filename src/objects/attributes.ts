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

/**
 * WireAttributes as a JSON schema, for the precompiled serializers of the routes that answer with them (Fastify's
 * response schemas: several times quicker than JSON.stringify). Properties in the order wireAttributes writes them,
 * which is the order they are sent in; numbers as `number` (any integer or not, as JSON.stringify writes it).
 */
export const WIRE_ATTRIBUTES_SCHEMA = {
  type: "object",
  properties: {
    enabled: { type: "boolean" },
    nbf: { type: "number" },
    exp: { type: "number" },
    created: { type: "number" },
    updated: { type: "number" },
    recoveryLevel: { type: "string" },
    recoverableDays: { type: "number" },
  },
} as const;

/** A tags object as sent: names to string values. */
export const TAGS_SCHEMA = { type: "object", additionalProperties: { type: "string" } } as const;

export function wireAttributes(
  attrs: StoredAttributes,
  version: { createdAt: number; updatedAt: number },
  vault: Vault,
): WireAttributes {
  // Built in place (on every answer): the optional dates without temporary objects, in Key Vault's order.
  const wire = { enabled: attrs.enabled } as WireAttributes;
  if (attrs.nbf !== undefined) wire.nbf = attrs.nbf;
  if (attrs.exp !== undefined) wire.exp = attrs.exp;
  wire.created = toSeconds(version.createdAt);
  wire.updated = toSeconds(version.updatedAt);
  wire.recoveryLevel = recoveryLevel(vault);
  wire.recoverableDays = vault.properties.softDeleteRetentionInDays;
  return wire;
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

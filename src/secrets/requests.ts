// Request bodies and query parameters of the secrets API read into typed input, with Key Vault's 400s.
import { badParameter } from "../http/errors.js";
import {
  readAttributes,
  readAttributesPatch,
  readTags,
  readTagsPatch,
  type AttributesPatch,
  type StoredAttributes,
} from "../objects/attributes.js";
import { checkContentType } from "../objects/limits.js";
import { MAX_VALUE_LENGTH } from "./model.js";

type Body = Record<string, unknown>;

export interface SetSecretInput {
  value: string;
  contentType?: string;
  attributes: StoredAttributes;
  tags: Record<string, string>;
}

export interface UpdateSecretInput {
  attributes: AttributesPatch;
  /** Absent: the version keeps its tags. */
  tags?: Record<string, string>;
  /** Absent (no key): the version keeps its content type; present but undefined: it loses it. */
  contentType?: { value: string | undefined };
}

export const PFX = "application/x-pkcs12";
export const PEM = "application/x-pem-file";
export type OutContentType = typeof PFX | typeof PEM;

function readValue(input: unknown): string {
  if (typeof input !== "string") throw badParameter("The secret 'value' is required and must be a string.");
  if (input.length > MAX_VALUE_LENGTH)
    throw badParameter(`Secret is beyond the maximum permitted length of ${MAX_VALUE_LENGTH} characters.`);
  return input;
}

function readContentType(input: unknown): string | undefined {
  if (input === undefined || input === null) return undefined;
  return checkContentType(input);
}

export function readSetSecret(body: Body): SetSecretInput {
  const value = readValue(body.value);
  const contentType = readContentType(body.contentType);
  const attributes = readAttributes(body.attributes, { enabled: true });
  const tags = readTags(body.tags);
  return { value, ...(contentType !== undefined ? { contentType } : {}), attributes, tags };
}

export function readUpdateSecret(body: Body): UpdateSecretInput {
  const attributes = readAttributesPatch(body.attributes);
  const tags = readTagsPatch(body.tags);
  return {
    attributes,
    ...(tags !== undefined ? { tags } : {}),
    ...(body.contentType !== undefined ? { contentType: { value: readContentType(body.contentType) } } : {}),
  };
}

/** GetSecret's `outContentType` query parameter: absent, or one of Key Vault's two formats. */
export function readOutContentType(query: Record<string, unknown>): OutContentType | undefined {
  const input = query.outContentType;
  if (input === undefined) return undefined;
  if (input !== PFX && input !== PEM) throw badParameter(`The value of outContentType must be ${PFX} or ${PEM}.`);
  return input;
}

// Readers of the server's JSON answers: what a command takes from an answer is checked, not cast, so an answer of
// another shape (another server, a proxy's page) ends in a CliError that says what was missing, never in `undefined`
// printed or a TypeError.
import { isJsonObject } from "../http/body.js";
import { CliError } from "./errors.js";

export type JsonObject = Record<string, unknown>;

const lacking = (what: string) => new CliError(`The server's answer has no ${what}.`);

/** The answer as a JSON object. */
export function objectIn(answer: unknown): JsonObject {
  if (!isJsonObject(answer)) throw lacking("JSON object");
  return answer;
}

/** A string field of an answer. */
export function stringIn(answer: unknown, field: string): string {
  const value = objectIn(answer)[field];
  if (typeof value !== "string") throw lacking(`'${field}' string`);
  return value;
}

/** A string field of an answer that may be left out (or null). */
export function optionalStringIn(answer: unknown, field: string): string | undefined {
  const value = objectIn(answer)[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "string") throw lacking(`'${field}' string`);
  return value;
}

/** A list answer's `value` (ARM's, Key Vault's and Graph's lists), each item a JSON object. */
export function listIn(answer: unknown): JsonObject[] {
  const value = objectIn(answer).value;
  if (!Array.isArray(value) || !value.every(isJsonObject)) throw lacking("'value' list of objects");
  return value;
}

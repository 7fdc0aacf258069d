// Request bodies: the JSON object a Key Vault operation expects, or a 400 in Key Vault's shape.
import type { FastifyRequest } from "fastify";
import type { RequiredPermission } from "./permissions.js";
import { badParameter } from "./errors.js";
import { reserveBodyMemory } from "./large-bodies.js";

declare module "fastify" {
  interface FastifyContextConfig {
    /** The body is a backup to restore: parsed by parseBackupBody (see server/app.ts). */
    backupBody?: boolean;
  }
}

/** Whether a parsed JSON value is an object (not null, not an array): its fields are then readable by name. */
export const isJsonObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/** Whether a parsed JSON value is a whole number (`Number.isInteger`, as a type guard). */
export const isWholeNumber = (value: unknown): value is number => Number.isInteger(value);

/** The JSON object body; an absent body reads as an empty object. */
export function jsonBody(req: FastifyRequest): Record<string, unknown> {
  const body = req.body;
  if (body === undefined || body === null) return {};
  if (!isJsonObject(body)) throw badParameter("The request body must be a JSON object.");
  return body;
}

/**
 * Restore requests carry a whole backup: up to 500 versions (Key Vault's backup limit) of a 25 KB secret, base64
 * inside an encrypted blob that is base64url again, is about 70 MB at worst. Other requests keep the server's 4 MB.
 */
export const RESTORE_BODY_LIMIT = 96 * 1024 * 1024;

/** A restore route's options: its permission, and a body up to RESTORE_BODY_LIMIT read within the server's budget. */
export const restoreRoute = (route: { config: { permission: RequiredPermission } }) => ({
  config: { ...route.config, backupBody: true },
  bodyLimit: RESTORE_BODY_LIMIT,
  preParsing: reserveBodyMemory,
});

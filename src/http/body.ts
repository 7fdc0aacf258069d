// Request bodies: the JSON object a Key Vault operation expects, or a 400 in Key Vault's shape.
import type { FastifyRequest } from "fastify";
import { badParameter } from "./errors.js";

/** The JSON object body; an absent body reads as an empty object. */
export function jsonBody(req: FastifyRequest): Record<string, unknown> {
  const body = req.body;
  if (body === undefined || body === null) return {};
  if (typeof body !== "object" || Array.isArray(body)) throw badParameter("The request body must be a JSON object.");
  return body as Record<string, unknown>;
}

// What the token endpoint (token-endpoint.ts) and the device authorization endpoint (device-code-endpoint.ts) share:
// reading a request's form, and the refusals both answer in Entra's words.
import type { FastifyReply } from "fastify";
import type { Store } from "../store/store.js";
import { aadError } from "./errors.js";
import { unknownPublicClient } from "./requests.js";
import type { Refusal } from "./sign-in-throttle.js";

export const DEVICE_CODE_GRANT = "urn:ietf:params:oauth:grant-type:device_code";

/** The parameters of a token request: its string fields only (a JSON body may hold anything else). */
export function formFields(body: unknown): Record<string, string | undefined> {
  if (body === null || typeof body !== "object") return {};
  return Object.fromEntries(Object.entries(body).filter(([, v]) => typeof v === "string"));
}

export const unknownResource = (reply: FastifyReply, form: Record<string, string | undefined>) =>
  aadError(
    reply,
    400,
    "invalid_resource",
    500011,
    `The resource principal named ${form.scope ?? form.resource ?? "(none)"} was not found in the tenant.`,
  );

export const missingClientId = (reply: FastifyReply) =>
  aadError(
    reply,
    400,
    "invalid_request",
    900144,
    "The request body must contain the following parameter: 'client_id'.",
  );

/** AADSTS700016: no application has this client id (`shownId` as the answer names it). */
export const unknownClient = (reply: FastifyReply, shownId: string) =>
  aadError(
    reply,
    400,
    "unauthorized_client",
    700016,
    `Application with identifier '${shownId}' was not found in the directory.`,
  );

/** A confidential client that sent no secret (nor assertion). */
export const missingClientSecret = (reply: FastifyReply) =>
  aadError(
    reply,
    401,
    "invalid_client",
    7000218,
    "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
  );

/** The client of a user flow: any public client, never one of Kluis's applications. Undefined: it may. */
export async function refusedPublicClient(store: Store, reply: FastifyReply, clientId: string | undefined) {
  if (!clientId) return missingClientId(reply);
  const unknown = await unknownPublicClient(store, clientId);
  if (unknown === "unknown") return unknownClient(reply, clientId.slice(0, 64));
  if (unknown === "confidential") return missingClientSecret(reply);
  return undefined;
}

/** Entra answers a throttled sign-in with 429 and Retry-After. */
export function throttled(reply: FastifyReply, refusal: Refusal, who: string) {
  reply.header("retry-after", String(refusal.retryAfterSeconds));
  return refusal.reason === "address-locked"
    ? aadError(
        reply,
        429,
        "temporarily_unavailable",
        50053,
        `Too many sign-ins with a wrong password or client secret came from this address; retry after ${refusal.retryAfterSeconds} seconds.`,
      )
    : aadError(
        reply,
        429,
        "temporarily_unavailable",
        50196,
        `Too many sign-ins for ${who} or from this address are being checked at once; retry after ${refusal.retryAfterSeconds} seconds.`,
      );
}

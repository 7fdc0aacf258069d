// Reads and verifies the bearer token of a request; which audience is expected depends on the API called.
import type { FastifyRequest } from "fastify";
import { errors } from "jose";
import { InvalidTokenError, type Caller, type TokenService } from "./tokens.js";
import { errorCode } from "../http/errors.js";

/** The origin the client reached the server at (lowercased): a registered cloud's Graph and ARM resource. */
export const originOf = (req: FastifyRequest) => `https://${req.host.toLowerCase()}`;

export type AuthResult = { caller: Caller } | { missing: true } | { invalid: string };

export async function authenticate(
  req: FastifyRequest,
  tokens: TokenService,
  audience: string | readonly string[],
): Promise<AuthResult> {
  const header = req.headers.authorization;
  if (!header) return { missing: true };
  const match = /^Bearer\s+(\S+)$/i.exec(header);
  if (!match) return { invalid: "The authorization header is not a Bearer token." };
  try {
    return { caller: await tokens.verify(match[1]!, audience) };
  } catch (err) {
    // A bad token is a 401; anything else (the store failing to say whether the principal stands) is a server error.
    if (!(err instanceof errors.JOSEError || err instanceof InvalidTokenError)) throw err;
    return { invalid: tokenProblem(err) };
  }
}

function tokenProblem(err: unknown): string {
  switch (errorCode(err)) {
    case "ERR_JWT_EXPIRED":
      return "AKV10022: Invalid token: the token is expired.";
    case "ERR_JWT_CLAIM_VALIDATION_FAILED": {
      const { claim = "a claim", reason } = err instanceof errors.JWTClaimValidationFailed ? err : {};
      return reason === "missing"
        ? `AKV10022: Invalid token: the token has no '${claim}' claim.`
        : `AKV10022: Invalid token: ${claim} is not valid for this server.`;
    }
    case "ERR_KLUIS_TOKEN_REVOKED":
      return "AKV10022: Invalid token: the principal it was issued to was deleted, or its credential reset, since.";
    default:
      return "AKV10022: Invalid token: the signature or format is not valid.";
  }
}

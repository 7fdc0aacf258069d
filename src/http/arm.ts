// What every ARM route shares: the server serves one subscription; any other id is ARM's 404.
import type { FastifyRequest } from "fastify";
import { KeyVaultError } from "./errors.js";

/** A preHandler hook for routes under /subscriptions/:subscriptionId. */
export function requireSubscription(subscriptionId: string) {
  return async (req: FastifyRequest) => {
    const given = (req.params as { subscriptionId?: string }).subscriptionId;
    if (given !== undefined && given.toLowerCase() !== subscriptionId.toLowerCase()) {
      throw new KeyVaultError(404, "SubscriptionNotFound", `The subscription '${given}' could not be found.`);
    }
  };
}

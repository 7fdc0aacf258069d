// What every route needs from the running server.
import type { Throttle } from "../http/throttling.js";
import type { TokenService } from "../identity/tokens.js";
import type { Store } from "../store/store.js";

export interface ServerContext {
  store: Store;
  tokens: TokenService;
  /** The one subscription id ARM paths are served under. */
  subscriptionId: string;
  /** Extra host names (from --hostname) that address this server. */
  hostnames: string[];
  /** Key Vault's service limits, when the server was started with them (--throttling). */
  throttle?: Throttle;
}

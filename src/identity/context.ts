// What every route needs from the running server.
import type { Throttle } from "../http/throttling.js";
import type { TokenService } from "./tokens.js";
import type { Store } from "../store/store.js";
import type { Clock } from "./clock.js";

export interface ServerContext {
  store: Store;
  tokens: TokenService;
  /** The one subscription id ARM paths are served under. */
  subscriptionId: string;
  /** Extra host names (from --hostname) that address this server. */
  hostnames: string[];
  /**
   * GetSecret refuses a value outside its nbf/exp window (403), as Microsoft documents; the service itself returns it
   * and refuses only a disabled secret, so that is the default (--strict-secret-validity).
   */
  strictSecretValidity: boolean;
  /** Key Vault's service limits, when the server was started with them (--throttling). */
  throttle?: Throttle;
  /** The time scheduled work runs at: the system's, shifted under --test-clock. */
  clock: Clock;
  /**
   * Where every data-plane and management call is recorded, once the server runs (audit/log.ts's AuditLog; only its
   * flush is asked for here, so that this low layer does not depend on the audit folder).
   */
  audit?: { flush(): Promise<void> };
}

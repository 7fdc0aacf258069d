// What a data-plane operation works on: the store and the vault. A request's scope adds the vault's URL as the client
// wrote it (for ids in the answer) and its API version (for nextLinks); scheduled work has no request and no URL.
import type { Store } from "../store/store.js";
import type { Vault } from "../vaults/model.js";

export interface ObjectScope {
  store: Store;
  vault: Vault;
  /** With service limits on: counts `weight` more of this request (a weighted key operation), or throws the 429. */
  throttle?: (weight: number) => void;
}

export interface VaultScope extends ObjectScope {
  /** e.g. https://myvault.vault.azure.net, used to build ids the client can follow. */
  vaultUrl: string;
  apiVersion: string;
}

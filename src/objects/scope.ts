// What a data-plane operation works on: the store, the vault the request addressed, and that vault's URL as the client wrote it.
import type { Store } from "../store/store.js";
import type { Vault } from "../vaults/model.js";

export interface VaultScope {
  store: Store;
  vault: Vault;
  /** e.g. https://myvault.vault.azure.net, used to build ids the client can follow. */
  vaultUrl: string;
  apiVersion: string;
  /** With service limits on: counts `weight` more of this request (a weighted key operation), or throws the 429. */
  throttle?: (weight: number) => void;
}

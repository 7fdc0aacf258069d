// Official JavaScript SDK clients for in-process tests: a client-secret credential and the vault's
// NAME.vault.azure.net URL, both reaching Kluis through its CONNECT proxy (TLS trust comes from test/run.mjs).
import { ClientSecretCredential } from "@azure/identity";
import type { Kluis, ServicePrincipal } from "./kluis.js";

export const vaultUrl = (vault: string) => `https://${vault}.vault.azure.net`;

export function clientOptions(kluis: Kluis) {
  return { proxyOptions: { host: "http://127.0.0.1", port: kluis.info.proxyPort } };
}

export function credentialFor(kluis: Kluis, sp: ServicePrincipal): ClientSecretCredential {
  return new ClientSecretCredential(sp.tenant, sp.appId, sp.password, clientOptions(kluis));
}

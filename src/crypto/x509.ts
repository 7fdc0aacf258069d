// The one entry to @peculiar/x509: it needs the Reflect polyfill loaded first and a WebCrypto to sign with. Loaded on
// first use (loadX509): with its ASN.1 schemas it is the costliest library to load (about a seventh of a restart's
// CPU), and a server uses it only when it makes a certificate or reads one's policy.
import { webcrypto } from "node:crypto";
import { createRequire } from "node:module";

/** The library's types (X509.Extension, ...); its values come from loadX509(). */
export type * as X509 from "@peculiar/x509";
export type X509Module = typeof import("@peculiar/x509");

let loading: Promise<X509Module> | undefined;

/** @peculiar/x509, loaded once, signing with Node's WebCrypto. */
export function loadX509(): Promise<X509Module> {
  return (loading ??= (async () => {
    await import("reflect-metadata");
    // The package is CommonJS: its module.exports is the default export, under Node and in the bundle alike.
    const { default: x509 } = await import("@peculiar/x509");
    x509.cryptoProvider.set(webcrypto as unknown as Crypto);
    return x509;
  })());
}

// Node's WebCrypto has no secp256k1; @peculiar/webcrypto (which signs with node:crypto underneath) has it as K-256.
// Loaded on first use: most servers never make a P-256K certificate, and loading it slows every start.
let secp256k1Crypto: Crypto | undefined;
const secp256k1 = (): Crypto => {
  if (!secp256k1Crypto) {
    const { Crypto: PeculiarCrypto } = createRequire(import.meta.url)(
      "@peculiar/webcrypto",
    ) as typeof import("@peculiar/webcrypto");
    secp256k1Crypto = new PeculiarCrypto() as unknown as Crypto;
  }
  return secp256k1Crypto;
};

/** The WebCrypto that can sign with `curve` (Key Vault's curve names), and that curve's WebCrypto name. */
export function webcryptoFor(curve?: string): { crypto: Crypto; namedCurve?: string } {
  if (curve === "P-256K") return { crypto: secp256k1(), namedCurve: "K-256" };
  return { crypto: webcrypto as unknown as Crypto, namedCurve: curve };
}

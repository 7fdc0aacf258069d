// The one entry to @peculiar/x509: it needs the Reflect polyfill loaded first and a WebCrypto to sign with.
import "reflect-metadata";
import { webcrypto } from "node:crypto";
import { createRequire } from "node:module";
import * as x509 from "@peculiar/x509";

x509.cryptoProvider.set(webcrypto as unknown as Crypto);

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

export { x509 };

// The one entry to @peculiar/x509: it needs the Reflect polyfill loaded first and node's WebCrypto as provider.
import "reflect-metadata";
import { webcrypto } from "node:crypto";
import * as x509 from "@peculiar/x509";

x509.cryptoProvider.set(webcrypto as unknown as Crypto);

export { x509 };

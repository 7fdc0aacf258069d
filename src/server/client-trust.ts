// What clients of every runtime trust, written at each start next to ca.pem: Kluis's CA added to the system's CAs,
// since Go, Python (REQUESTS_CA_BUNDLE, SSL_CERT_FILE), .NET on Linux and Java replace their roots with the file they
// are given, and a program reaches other hosts (tunnelled by the proxy) as well as Kluis.
import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { rootCertificates } from "node:tls";
import { buildJavaTrustStore } from "../crypto/pkcs12.js";
import type { DataDir } from "./data-dir.js";

/** Where Linux distributions keep the system CA bundle (Debian/Ubuntu, Fedora/RHEL, Alpine, openSUSE). */
const SYSTEM_BUNDLES = [
  "/etc/ssl/certs/ca-certificates.crt",
  "/etc/pki/tls/certs/ca-bundle.crt",
  "/etc/ssl/cert.pem",
  "/etc/ssl/ca-bundle.pem",
];

/** A trust store holds public certificates only: its password guards nothing, so it is Java's usual one. */
export const JAVA_TRUST_STORE_PASSWORD = "changeit";

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[A-Za-z0-9+/=\s]+?-----END CERTIFICATE-----/g;

/** The system's CA certificates as PEM blocks: its bundle file, else the Mozilla roots Node ships with. */
export function systemCertificates(bundles = SYSTEM_BUNDLES): string[] {
  for (const file of bundles) {
    try {
      const found = readFileSync(file, "utf8").match(PEM_CERTIFICATE);
      if (found?.length) return found;
    } catch {
      // not on this distribution
    }
  }
  return [...rootCertificates];
}

const der = (pem: string) => Buffer.from(pem.replace(/-----[^-]+-----|\s/g, ""), "base64");

/** Written to a temporary name and renamed, so a client starting meanwhile never reads half a file. */
function writeAtomically(path: string, content: string | Buffer): void {
  writeFileSync(`${path}.tmp`, content);
  renameSync(`${path}.tmp`, path);
}

/**
 * Writes the PEM bundle (system CAs, then Kluis's) and the same certificates as a Java PKCS#12 trust store. The
 * trust store is rebuilt only when the bundle changed (or it is missing): building it is most of a restart's CPU.
 */
export function writeClientTrust(dir: DataDir, system = systemCertificates()): void {
  const certificates = [...system, ...(readFileSync(dir.caCert, "utf8").match(PEM_CERTIFICATE) ?? [])];
  const bundle = certificates.join("\n") + "\n";
  if (existsSync(dir.javaTrustStore) && readIfExists(dir.caBundle) === bundle) return;
  // The trust store first: a start interrupted between the two finds the old bundle, and rebuilds both.
  writeAtomically(dir.javaTrustStore, buildJavaTrustStore(certificates.map(der), JAVA_TRUST_STORE_PASSWORD));
  writeAtomically(dir.caBundle, bundle);
}

function readIfExists(file: string): string | undefined {
  try {
    return readFileSync(file, "utf8");
  } catch {
    return undefined;
  }
}

// The api-versions the official SDKs send: Debian's Python build (7.3 for certificates and secrets, 7.4-preview.1
// for keys), JavaScript's 2025-07-01 (keyvault-secrets 4.12 sends 2026-04-01 but needs Node 22), PyPI's current Python SDKs
// (2026-04-01 for certificates and secrets, 2025-07-01 for keys; their betas sent 2026-03-01-preview) and Go's
// azsecrets 1.5.1 and azkeys 1.6.0 (2026-04-01). 2026-04-01 changes nothing Kluis serves: it adds an internal-use
// `platformManaged` certificate policy field, and for keys Managed HSM's secure wrap/unwrap and external keys.
import { badParameter } from "./errors.js";

export const SUPPORTED_API_VERSIONS = new Set([
  "2016-10-01",
  "7.0",
  "7.1",
  "7.2",
  "7.3",
  "7.4",
  "7.4-preview.1",
  "7.5",
  "7.5-preview.1",
  "7.6",
  "7.6-preview.1",
  "7.6-preview.2",
  "2025-07-01",
  "2026-03-01-preview",
  "2026-04-01",
]);

export function checkApiVersion(query: Record<string, unknown>): string {
  const version = query["api-version"];
  if (typeof version !== "string" || version === "") {
    throw badParameter("The 'api-version' query parameter is missing.");
  }
  if (!SUPPORTED_API_VERSIONS.has(version)) {
    throw badParameter(
      `The specified version (${version}) is not recognized. Consider using the latest supported version (2026-04-01).`,
    );
  }
  return version;
}

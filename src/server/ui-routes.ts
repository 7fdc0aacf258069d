// The web UI (ui/, built by Vite into dist/ui): its files are read once at start and served under /ui/; `/` leads
// there. The UI is a public client of Kluis's own APIs: these routes hand out files and nothing else.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { extname, join } from "node:path";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { ANSWERS_HEAD } from "../http/route.js";
import { isServerHost } from "../http/vault-host.js";

const UI_DIR = join(import.meta.dirname, "../ui");

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".json": "application/json",
};

interface Asset {
  body: Buffer;
  type: string;
  /** Vite names what it builds under assets/ by a hash of the content: such a file never changes. */
  immutable: boolean;
}

/** Every built file by its path under /ui/; a request for anything else is 404 (no path reaches the disk). */
function readAssets(): Map<string, Asset> {
  const assets = new Map<string, Asset>();
  if (!statSync(UI_DIR, { throwIfNoEntry: false })?.isDirectory()) return assets;
  for (const file of readdirSync(UI_DIR, { recursive: true, encoding: "utf8" })) {
    const path = join(UI_DIR, file);
    if (!statSync(path).isFile()) continue;
    const type = TYPES[extname(file)] ?? "application/octet-stream";
    assets.set(file, { body: readFileSync(path), type, immutable: file.startsWith("assets/") });
  }
  return assets;
}

/**
 * The page may call its own origin (identity, ARM, Graph, the audit log) and the vaults' data planes, which are
 * NAME.localhost or NAME.<the host it was served from>, on the same port (cors.ts admits exactly those origins).
 */
function contentSecurityPolicy(req: FastifyRequest, hostnames: readonly string[]): string {
  const port = req.port ? `:${req.port}` : "";
  const vaultOrigins = ["localhost", ...(hostnames.includes(req.hostname.toLowerCase()) ? [req.hostname] : [])].map(
    (domain) => `https://*.${domain}${port}`,
  );
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    `connect-src 'self' ${vaultOrigins.join(" ")}`,
    "form-action 'self'",
    "frame-ancestors 'none'",
    "base-uri 'none'",
  ].join("; ");
}

export async function uiRoutes(app: FastifyInstance, hostnames: readonly string[]) {
  const assets = readAssets();

  app.get("/", ANSWERS_HEAD, async (req, reply) => {
    // A vault's own host keeps answering as Key Vault does; the server's host leads a person to the UI.
    if (!isServerHost(req.hostname, hostnames)) return reply.callNotFound();
    return reply.redirect("/ui/", 302);
  });

  function serve(file: string, req: FastifyRequest, reply: FastifyReply) {
    const asset = assets.get(file);
    if (!asset) {
      const message = assets.size ? "Not found." : "The web UI is not built: run npm run build.";
      return reply.code(404).type("text/plain; charset=utf-8").send(message);
    }
    return reply
      .headers({
        "content-type": asset.type,
        "cache-control": asset.immutable ? "public, max-age=31536000, immutable" : "no-cache",
        "content-security-policy": contentSecurityPolicy(req, hostnames),
        "x-content-type-options": "nosniff",
        "x-frame-options": "DENY",
        "referrer-policy": "no-referrer",
      })
      .send(asset.body);
  }

  // The router ignores trailing slashes, so /ui/ arrives here too: the page itself (the sign-in's redirect URI);
  // /ui without the slash is sent to it.
  app.get("/ui", ANSWERS_HEAD, async (req, reply) => {
    const [path, query] = req.url.split("?", 2) as [string, string?];
    if (!path.endsWith("/")) return reply.redirect(`/ui/${query === undefined ? "" : `?${query}`}`, 302);
    return serve("index.html", req, reply);
  });
  app.get("/ui/*", ANSWERS_HEAD, async (req, reply) =>
    serve((req.params as { "*": string })["*"] || "index.html", req, reply),
  );
}

// ARM's cloud metadata (`GET /metadata/endpoints`), unauthenticated as in Azure: `az cloud register
// --endpoint-resource-manager https://HOST:PORT/` reads every other endpoint of a custom cloud from it.
import type { FastifyInstance } from "fastify";

export async function metadataRoutes(app: FastifyInstance) {
  app.get("/metadata/endpoints", async (req) => {
    const origin = `https://${req.host}`;
    return {
      name: "Kluis",
      resourceManager: `${origin}/`,
      portal: `${origin}/`,
      gallery: `${origin}/`,
      graph: `${origin}/`,
      graphAudience: `${origin}/`,
      microsoftGraphResourceId: `${origin}/`,
      authentication: {
        // An authority ending in /adfs needs no instance discovery at login.microsoftonline.com, so a registered
        // cloud works without the proxy; Kluis serves /adfs/.well-known/openid-configuration.
        loginEndpoint: `${origin}/adfs`,
        audiences: ["https://management.core.windows.net/", "https://management.azure.com/", `${origin}/`],
        tenant: "common",
        identityProvider: "AAD",
      },
      suffixes: { keyVaultDns: "vault.azure.net", mhsmDns: "managedhsm.azure.net" },
    };
  });
}

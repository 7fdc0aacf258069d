// Several Kluis nodes on one PostgreSQL database: what one node acknowledges, every node serves.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { CertificateClient, DefaultCertificatePolicy } from "@azure/keyvault-certificates";
import { SecretClient } from "@azure/keyvault-secrets";
import { accessToken, rawRequest } from "./helpers/http.js";
import { Kluis, type ServicePrincipal } from "./helpers/kluis.js";
import { type Cluster, needsPostgres, startCluster } from "./helpers/cluster.js";
import { clientOptions, credentialFor, vaultUrl } from "./helpers/sdk.js";

describe("PostgreSQL store, two nodes", needsPostgres, () => {
  let cluster: Cluster | undefined;
  let nodeA: Kluis;
  let nodeB: Kluis;
  let sp: ServicePrincipal;

  before(async () => {
    cluster = await startCluster(2);
    [nodeA, nodeB] = cluster.nodes as [Kluis, Kluis];
    sp = await nodeA.vaultWithPrincipal("pgvault", {
      certificates: ["get", "list", "create", "delete"],
      secrets: ["get", "set", "list", "delete"],
    });
  });
  after(() => cluster?.dispose());

  it("shares tenant, principals, vaults and policies between nodes", () => {
    assert.equal(nodeA.info.tenantId, nodeB.info.tenantId);
  });

  it("serves from one node what the other acknowledged, through the official SDKs", async () => {
    const secretsA = new SecretClient(vaultUrl("pgvault"), credentialFor(nodeA, sp), clientOptions(nodeA));
    const secretsB = new SecretClient(vaultUrl("pgvault"), credentialFor(nodeB, sp), clientOptions(nodeB));
    await secretsA.setSecret("shared", "written on A");
    assert.equal((await secretsB.getSecret("shared")).value, "written on A");

    const certsA = new CertificateClient(vaultUrl("pgvault"), credentialFor(nodeA, sp), clientOptions(nodeA));
    const certsB = new CertificateClient(vaultUrl("pgvault"), credentialFor(nodeB, sp), clientOptions(nodeB));
    const created = await (await certsA.beginCreateCertificate("pgcert", DefaultCertificatePolicy)).pollUntilDone();
    const onB = await certsB.getCertificate("pgcert");
    assert.deepEqual(Buffer.from(onB.cer!), Buffer.from(created.cer!));
    await (await certsB.beginDeleteCertificate("pgcert")).pollUntilDone();
    await assert.rejects(
      certsA.beginCreateCertificate("pgcert", DefaultCertificatePolicy),
      (e: any) => e.statusCode === 409,
    );
  });

  it("keeps serving from the surviving node when the other is killed", async () => {
    const token = await accessToken(nodeA, sp);
    await nodeA.stop("SIGKILL");
    const res = await rawRequest(nodeB, "pgvault.localhost", "GET", "/secrets/shared?api-version=7.5", { token });
    assert.equal(res.status, 200, "a token from node A is valid on node B: they share the signing key");
    assert.equal(res.body.value, "written on A");
  });
});

// The JavaScript twin of the Python certificates quickstart: DefaultAzureCredential configured only through
// environment variables, create with the default policy, read back, delete and wait for the deletion.
import { DefaultAzureCredential } from "@azure/identity";
import { CertificateClient, DefaultCertificatePolicy } from "@azure/keyvault-certificates";

const vaultName = process.env.KEY_VAULT_NAME;
const certificateName = process.argv[2];
const client = new CertificateClient(`https://${vaultName}.vault.azure.net`, new DefaultAzureCredential());

const createPoller = await client.beginCreateCertificate(certificateName, DefaultCertificatePolicy);
const created = await createPoller.pollUntilDone();
const retrieved = await client.getCertificate(certificateName);
const deletePoller = await client.beginDeleteCertificate(certificateName);
const deleted = await deletePoller.pollUntilDone();

console.log(
  JSON.stringify({
    created: { name: created.name, id: created.properties.id, cer: Buffer.from(created.cer).toString("base64") },
    retrieved: { name: retrieved.name, version: retrieved.properties.version, subject: retrieved.policy?.subject },
    deleted: {
      name: deleted.name,
      recoveryId: deleted.recoveryId,
      deletedOn: deleted.deletedOn,
      scheduledPurgeDate: deleted.scheduledPurgeDate,
    },
  }),
);

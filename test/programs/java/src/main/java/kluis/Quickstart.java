package kluis;

import com.azure.security.keyvault.certificates.CertificateClient;
import com.azure.security.keyvault.certificates.CertificateClientBuilder;
import com.azure.security.keyvault.certificates.models.CertificateOperation;
import com.azure.security.keyvault.certificates.models.CertificatePolicy;
import com.azure.security.keyvault.certificates.models.DeletedCertificate;
import com.azure.security.keyvault.certificates.models.KeyVaultCertificateWithPolicy;
import com.azure.core.util.polling.SyncPoller;

/**
 * The Java twin of Azure's certificates quickstart: DefaultAzureCredential and https://NAME.vault.azure.net from the
 * environment; create with the default policy and poll, get, delete and wait for the deletion, then see Key Vault's
 * 409 when the deleted name is created again. Usage: kluis.Quickstart CERTIFICATE_NAME
 */
public final class Quickstart {
    public static void main(String[] args) {
        if (args.length != 1) Check.fail("usage: kluis.Quickstart CERTIFICATE_NAME");
        String name = args[0];
        CertificateClient client = new CertificateClientBuilder().vaultUrl(Check.vaultUrl()).credential(Check.credential()).buildClient();

        Check.step("create");
        SyncPoller<CertificateOperation, KeyVaultCertificateWithPolicy> poller = client.beginCreateCertificate(name, CertificatePolicy.getDefault());
        poller.waitForCompletion();
        KeyVaultCertificateWithPolicy created = poller.getFinalResult();
        Check.equal("name", created.getName(), name);
        Check.equal("subject", created.getPolicy().getSubject(), "CN=DefaultPolicy");
        Check.ok(created.getId());

        Check.step("get");
        KeyVaultCertificateWithPolicy got = client.getCertificate(name);
        Check.equal("version", got.getProperties().getVersion(), created.getProperties().getVersion());
        Check.equal("cer", got.getCer(), created.getCer());
        Check.ok(got.getId());

        Check.step("delete");
        SyncPoller<DeletedCertificate, Void> deleting = client.beginDeleteCertificate(name);
        DeletedCertificate deleted = deleting.poll().getValue();
        deleting.waitForCompletion();
        Check.isTrue(deleted.getScheduledPurgeDate().isAfter(deleted.getDeletedOn()), "purge date is not after the deletion");
        Check.equal("deleted name", client.getDeletedCertificate(name).getName(), name);
        Check.ok(deleted.getRecoveryId());

        Check.step("recreate");
        Check.status(() -> client.beginCreateCertificate(name, CertificatePolicy.getDefault()), 409, "Conflict", "deleted but recoverable");
        Check.ok("409 Conflict");
    }
}

package kluis;

import com.azure.security.keyvault.certificates.CertificateClient;
import com.azure.security.keyvault.certificates.CertificateClientBuilder;
import com.azure.security.keyvault.certificates.models.AdministratorContact;
import com.azure.security.keyvault.certificates.models.CertificateContact;
import com.azure.security.keyvault.certificates.models.CertificateContentType;
import com.azure.security.keyvault.certificates.models.CertificateIssuer;
import com.azure.security.keyvault.certificates.models.CertificateKeyCurveName;
import com.azure.security.keyvault.certificates.models.CertificateKeyType;
import com.azure.security.keyvault.certificates.models.CertificatePolicy;
import com.azure.security.keyvault.certificates.models.CertificatePolicyAction;
import com.azure.security.keyvault.certificates.models.CertificateProperties;
import com.azure.security.keyvault.certificates.models.ImportCertificateOptions;
import com.azure.security.keyvault.certificates.models.KeyVaultCertificateWithPolicy;
import com.azure.security.keyvault.certificates.models.LifetimeAction;
import com.azure.security.keyvault.certificates.models.MergeCertificateOptions;
import com.azure.security.keyvault.certificates.models.SubjectAlternativeNames;
import com.azure.security.keyvault.certificates.models.WellKnownIssuerNames;
import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Map;

/**
 * The certificates API through azure-security-keyvault-certificates, as an unmodified program would: a self-signed
 * EC certificate and its versions, policy and property updates, PFX and PEM imports, a CSR signed by the user's CA
 * (the openssl command line) and merged, backup and restore, delete/recover/purge, contacts and issuers. Configured
 * by the environment only: KEY_VAULT_NAME, DefaultAzureCredential's variables, and CERT_DIR holding leaf.pfx (under
 * CERT_PFX_PASSWORD), leaf-bundle.pem (the same key and certificate) and a CA (ca.pem, ca.key).
 * Prints one "ok" line per step, exits 1 on any mismatch.
 */
public final class Certificates {
    public static void main(String[] args) throws Exception {
        CertificateClient client = new CertificateClientBuilder().vaultUrl(Check.vaultUrl()).credential(Check.credential()).buildClient();
        Path dir = Path.of(Check.env("CERT_DIR"));
        byte[] bundle = Files.readAllBytes(dir.resolve("leaf-bundle.pem"));
        String bundleText = new String(bundle);
        X509Certificate leaf = x509(bundleText.substring(bundleText.indexOf("-----BEGIN CERTIFICATE-----")).getBytes());

        Check.step("create");
        CertificatePolicy policy = new CertificatePolicy(WellKnownIssuerNames.SELF, "CN=java.example.com")
            .setSubjectAlternativeNames(new SubjectAlternativeNames().setDnsNames(List.of("java.example.com")))
            .setKeyType(CertificateKeyType.EC)
            .setKeyCurveName(CertificateKeyCurveName.P_384)
            .setValidityInMonths(3)
            .setContentType(CertificateContentType.PEM);
        KeyVaultCertificateWithPolicy first = createAndWait(client, "java-ec", policy);
        X509Certificate cert = x509(first.getCer());
        Check.equal("subject", cert.getSubjectX500Principal().getName(), "CN=java.example.com");
        Check.equal("DNS names", cert.getSubjectAlternativeNames().iterator().next().get(1), "java.example.com");
        Check.equal("key algorithm", cert.getPublicKey().getAlgorithm(), "EC");
        CertificatePolicy got = client.getCertificatePolicy("java-ec");
        Check.equal("policy curve", got.getKeyCurveName(), CertificateKeyCurveName.P_384);
        Check.equal("policy content type", got.getContentType(), CertificateContentType.PEM);
        Check.equal("policy validity", got.getValidityInMonths(), 3);
        Check.ok(first.getId());

        Check.step("versions");
        KeyVaultCertificateWithPolicy second = createAndWait(client, "java-ec", policy);
        List<String> versions = new ArrayList<>();
        client.listPropertiesOfCertificateVersions("java-ec").forEach(p -> versions.add(p.getVersion()));
        versions.sort(null);
        List<String> want = new ArrayList<>(List.of(first.getProperties().getVersion(), second.getProperties().getVersion()));
        want.sort(null);
        Check.equal("versions", versions, want);
        Check.ok(String.valueOf(versions.size()));

        Check.step("policy-update");
        CertificatePolicy changed = client.getCertificatePolicy("java-ec").setValidityInMonths(6)
            .setLifetimeActions(new LifetimeAction(CertificatePolicyAction.EMAIL_CONTACTS).setDaysBeforeExpiry(10));
        CertificatePolicy updatedPolicy = client.updateCertificatePolicy("java-ec", changed);
        Check.equal("validity", updatedPolicy.getValidityInMonths(), 6);
        Check.equal("subject kept", updatedPolicy.getSubject(), "CN=java.example.com");
        Check.equal("curve kept", updatedPolicy.getKeyCurveName(), CertificateKeyCurveName.P_384);
        Check.isTrue(updatedPolicy.getLifetimeActions().size() == 1 && updatedPolicy.getLifetimeActions().get(0).getDaysBeforeExpiry() == 10,
            "lifetime actions not replaced");
        Check.ok("validity 6 months");

        Check.step("update");
        CertificateProperties properties = client.getCertificateVersion("java-ec", first.getProperties().getVersion()).getProperties();
        CertificateProperties updated = client.updateCertificateProperties(properties.setEnabled(false).setTags(Map.of("lang", "java"))).getProperties();
        Check.equal("enabled", updated.isEnabled(), false);
        Check.equal("tags", updated.getTags(), Map.of("lang", "java"));
        Check.ok("first version disabled");

        Check.step("import-pfx");
        byte[] pfx = Files.readAllBytes(dir.resolve("leaf.pfx"));
        Check.status(() -> client.importCertificate(new ImportCertificateOptions("java-bad", pfx).setPassword("wrong")), 400, "BadParameter", "");
        KeyVaultCertificateWithPolicy imported = client.importCertificate(new ImportCertificateOptions("java-pfx", pfx).setPassword(Check.env("CERT_PFX_PASSWORD")));
        Check.isTrue(Arrays.equals(imported.getCer(), leaf.getEncoded()), "imported certificate differs from the PFX's");
        Check.equal("issuer", imported.getPolicy().getIssuerName(), "Unknown");
        Check.equal("content type", imported.getPolicy().getContentType(), CertificateContentType.PKCS12);
        Check.ok(imported.getId());

        Check.step("import-pem");
        CertificatePolicy pemPolicy = new CertificatePolicy(WellKnownIssuerNames.UNKNOWN, leaf.getSubjectX500Principal().getName())
            .setContentType(CertificateContentType.PEM);
        imported = client.importCertificate(new ImportCertificateOptions("java-pem", bundle).setPolicy(pemPolicy));
        Check.isTrue(Arrays.equals(imported.getCer(), leaf.getEncoded()), "imported certificate differs from the PEM's");
        Check.equal("content type", imported.getPolicy().getContentType(), CertificateContentType.PEM);
        Check.ok(imported.getId());

        Check.step("merge");
        merge(client, dir);

        Check.step("backup");
        byte[] backup = client.backupCertificate("java-ec");
        Check.isTrue(backup.length > 0, "empty backup");
        deleteAndPurge(client, "java-ec");
        Check.ok(backup.length + " bytes");

        Check.step("restore");
        KeyVaultCertificateWithPolicy restored = client.restoreCertificateBackup(backup);
        Check.equal("id", restored.getId(), second.getId());
        Check.isTrue(Arrays.equals(restored.getCer(), second.getCer()), "restored certificate differs");
        Check.ok(restored.getId());

        Check.step("recover");
        var deleting = client.beginDeleteCertificate("java-pfx");
        Check.equal("recovery id", deleting.poll().getValue().getRecoveryId(), Check.vaultUrl() + "/deletedcertificates/java-pfx");
        deleting.waitForCompletion();
        List<String> deletedNames = new ArrayList<>();
        client.listDeletedCertificates().forEach(d -> deletedNames.add(d.getName()));
        Check.isTrue(deletedNames.contains("java-pfx"), "deleted certificates " + deletedNames + " lack java-pfx");
        client.beginRecoverDeletedCertificate("java-pfx").waitForCompletion();
        Check.equal("recovered", client.getCertificate("java-pfx").getName(), "java-pfx");
        Check.ok("java-pfx back");

        Check.step("purge");
        deleteAndPurge(client, "java-pfx");
        Check.ok("java-pfx gone");

        Check.step("contacts");
        // setContacts and deleteContacts answer lazy pages: their requests go out when the pages are read.
        List<String> set = new ArrayList<>();
        client.setContacts(List.of(new CertificateContact().setEmail("java@example.com").setName("Java"))).forEach(c -> set.add(c.getEmail()));
        Check.equal("set", set, List.of("java@example.com"));
        List<String> emails = new ArrayList<>();
        client.listContacts().forEach(c -> emails.add(c.getEmail()));
        Check.equal("contacts", emails, List.of("java@example.com"));
        List<String> deleted = new ArrayList<>();
        client.deleteContacts().forEach(c -> deleted.add(c.getEmail()));
        Check.equal("deleted", deleted, List.of("java@example.com"));
        Check.status(() -> client.listContacts().forEach(c -> {}), 404, "ContactsNotFound", "");
        Check.ok("set, read, deleted");

        Check.step("issuers");
        CertificateIssuer issuer = client.createIssuer(new CertificateIssuer("java-issuer", "Test").setAccountId("acct").setPassword("pw")
            .setAdministratorContacts(List.of(new AdministratorContact().setEmail("admin@example.com").setFirstName("Ada"))));
        Check.equal("provider", issuer.getProvider(), "Test");
        Check.equal("account", issuer.getAccountId(), "acct");
        client.updateIssuer(new CertificateIssuer("java-issuer").setAccountId("acct2"));
        CertificateIssuer gotIssuer = client.getIssuer("java-issuer");
        Check.equal("updated account", gotIssuer.getAccountId(), "acct2");
        Check.equal("admin kept", gotIssuer.getAdministratorContacts().get(0).getEmail(), "admin@example.com");
        List<String> issuers = new ArrayList<>();
        client.listPropertiesOfIssuers().forEach(i -> issuers.add(i.getName()));
        Check.equal("listed", issuers, List.of("java-issuer"));
        client.deleteIssuer("java-issuer");
        Check.status(() -> client.getIssuer("java-issuer"), 404, "CertificateIssuerNotFound", "java-issuer");
        Check.ok("created, updated, listed, deleted");
    }

    private static KeyVaultCertificateWithPolicy createAndWait(CertificateClient client, String name, CertificatePolicy policy) {
        var poller = client.beginCreateCertificate(name, policy);
        poller.waitForCompletion();
        Check.equal("operation status", client.getCertificateOperation(name).poll().getValue().getStatus(), "completed");
        return poller.getFinalResult();
    }

    /** A certificate for an Unknown issuer waits for its CSR to be signed (by the user's CA, with openssl) and merged. */
    private static void merge(CertificateClient client, Path dir) throws Exception {
        var poller = client.beginCreateCertificate("java-merge", new CertificatePolicy(WellKnownIssuerNames.UNKNOWN, "CN=java-merge"));
        var operation = poller.poll().getValue();
        Check.equal("status", operation.getStatus(), "inProgress");
        String csr = "-----BEGIN CERTIFICATE REQUEST-----\n" + Base64.getMimeEncoder().encodeToString(operation.getCsr()) + "\n-----END CERTIFICATE REQUEST-----\n";
        Files.writeString(dir.resolve("java-merge.csr"), csr);
        Process openssl = new ProcessBuilder("openssl", "x509", "-req", "-in", "java-merge.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
            "-CAcreateserial", "-out", "java-merge.der", "-outform", "DER", "-days", "30")
            .directory(dir.toFile()).redirectErrorStream(true).start();
        String output = new String(openssl.getInputStream().readAllBytes());
        Check.equal("openssl exit status (" + output.trim() + ")", openssl.waitFor(), 0);
        byte[] signed = Files.readAllBytes(dir.resolve("java-merge.der"));

        KeyVaultCertificateWithPolicy merged = client.mergeCertificate(new MergeCertificateOptions("java-merge", List.of(signed)));
        Check.isTrue(Arrays.equals(merged.getCer(), signed), "merged certificate differs from the signed one");
        Check.equal("status after merge", client.getCertificateOperation("java-merge").poll().getValue().getStatus(), "completed");
        Check.ok(merged.getId());
    }

    /** Deletes, waits for the deleted certificate to show (as Azure needs), purges, and checks it is gone. */
    private static void deleteAndPurge(CertificateClient client, String name) {
        client.beginDeleteCertificate(name).waitForCompletion();
        client.purgeDeletedCertificate(name);
        Check.status(() -> client.getDeletedCertificate(name), 404, "CertificateNotFound", name);
    }

    /** The first certificate of DER or PEM bytes. */
    private static X509Certificate x509(byte[] bytes) throws Exception {
        return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(new ByteArrayInputStream(bytes));
    }
}

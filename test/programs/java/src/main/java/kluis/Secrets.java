package kluis;

import com.azure.security.keyvault.secrets.SecretClient;
import com.azure.security.keyvault.secrets.SecretClientBuilder;
import com.azure.security.keyvault.secrets.models.DeletedSecret;
import com.azure.security.keyvault.secrets.models.KeyVaultSecret;
import com.azure.security.keyvault.secrets.models.SecretProperties;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Every secrets operation through azure-security-keyvault-secrets, as an unmodified program would: set, get (latest
 * and by version), list, versions, update, delete, recover, purge, backup and restore. Configured by the environment
 * only (KEY_VAULT_NAME and DefaultAzureCredential's variables); prints one "ok" line per step, exits 1 on any mismatch.
 */
public final class Secrets {
    public static void main(String[] args) {
        SecretClient client = new SecretClientBuilder().vaultUrl(Check.vaultUrl()).credential(Check.credential()).buildClient();
        String name = "java-secret";
        String value = "wachtwoord ☃ 🔑 ü";

        Check.step("set");
        KeyVaultSecret toSet = new KeyVaultSecret(name, value);
        toSet.getProperties().setContentType("text/plain").setTags(Map.of("lang", "java"));
        KeyVaultSecret first = client.setSecret(toSet);
        Check.equal("value", first.getValue(), value);
        Check.equal("name", first.getName(), name);
        Check.isTrue(first.getProperties().getVersion().matches("[0-9a-f]{32}"), "version " + first.getProperties().getVersion() + " is not 32 hex digits");
        KeyVaultSecret second = client.setSecret(name, "second");
        Check.ok(first.getId());

        Check.step("get");
        Check.equal("latest value", client.getSecret(name).getValue(), "second");
        KeyVaultSecret old = client.getSecret(name, first.getProperties().getVersion());
        Check.equal("first version's value", old.getValue(), value);
        Check.equal("first version's content type", old.getProperties().getContentType(), "text/plain");
        Check.equal("first version's tags", old.getProperties().getTags(), Map.of("lang", "java"));
        Check.ok("latest and by version");

        Check.step("list");
        for (String suffix : List.of("a", "b", "c")) client.setSecret("java-list-" + suffix, "x");
        List<String> names = new ArrayList<>();
        client.listPropertiesOfSecrets().forEach(p -> names.add(p.getName()));
        names.sort(null);
        Check.equal("names", names, List.of("java-list-a", "java-list-b", "java-list-c", name));
        Check.ok(names.toString());

        Check.step("versions");
        List<String> want = new ArrayList<>(List.of(first.getProperties().getVersion(), second.getProperties().getVersion()));
        want.sort(null);
        Check.equal("versions", versionsOf(client, name), want);
        Check.ok(String.valueOf(want.size()));

        Check.step("update");
        SecretProperties properties = old.getProperties().setContentType("application/json").setEnabled(false).setTags(Map.of("k", "v"));
        SecretProperties updated = client.updateSecretProperties(properties);
        Check.equal("content type", updated.getContentType(), "application/json");
        Check.equal("enabled", updated.isEnabled(), false);
        Check.equal("tags", updated.getTags(), Map.of("k", "v"));
        Check.status(() -> client.getSecret(name, first.getProperties().getVersion()), 403, "Forbidden", "disabled");
        Check.ok("disabled version refused");

        Check.step("delete");
        var deleting = client.beginDeleteSecret(name);
        DeletedSecret deleted = deleting.poll().getValue();
        deleting.waitForCompletion();
        Check.equal("recovery id", deleted.getRecoveryId(), Check.vaultUrl() + "/deletedsecrets/" + name);
        Check.isTrue(deleted.getScheduledPurgeDate().isAfter(deleted.getDeletedOn()), "purge date is not after the deletion");
        Check.equal("deleted name", client.getDeletedSecret(name).getName(), name);
        Check.status(() -> client.setSecret(name, "again"), 409, "Conflict", "deleted but recoverable");
        Check.ok(deleted.getRecoveryId());

        Check.step("recover");
        client.beginRecoverDeletedSecret(name).waitForCompletion();
        Check.equal("value", client.getSecret(name).getValue(), "second");
        Check.ok("value back");

        Check.step("backup");
        byte[] backup = client.backupSecret(name);
        Check.isTrue(backup.length > 0, "empty backup");
        Check.ok(backup.length + " bytes");

        Check.step("purge");
        client.beginDeleteSecret(name).waitForCompletion();
        client.purgeDeletedSecret(name);
        Check.status(() -> client.getDeletedSecret(name), 404, "SecretNotFound", name);
        Check.ok("gone");

        Check.step("restore");
        KeyVaultSecret restored = client.restoreSecretBackup(backup);
        Check.equal("name", restored.getName(), name);
        Check.equal("versions", versionsOf(client, name), want);
        Check.status(() -> client.getSecret(name, first.getProperties().getVersion()), 403, "Forbidden", "disabled");
        Check.equal("latest value", client.getSecret(name).getValue(), "second");
        Check.ok(restored.getId());
    }

    private static List<String> versionsOf(SecretClient client, String name) {
        List<String> versions = new ArrayList<>();
        client.listPropertiesOfSecretVersions(name).forEach(p -> versions.add(p.getVersion()));
        versions.sort(null);
        return versions;
    }
}

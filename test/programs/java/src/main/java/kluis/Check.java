package kluis;

import com.azure.core.credential.TokenCredential;
import com.azure.core.exception.HttpResponseException;
import com.azure.identity.DefaultAzureCredentialBuilder;
import java.util.Objects;

/**
 * What the Java client programs share: the vault URL and credential from the environment only, and assertions that
 * stop the program with a clear message (exit 1) naming the step on the first mismatch.
 */
final class Check {
    private static String step = "setup";

    private Check() {}

    static {
        // Whatever a step throws (an SDK error included) ends the program with the step's name.
        Thread.setDefaultUncaughtExceptionHandler((thread, e) -> fail(e.toString()));
    }

    /** https://$KEY_VAULT_NAME.vault.azure.net, as a program written for Azure addresses its vault. */
    static String vaultUrl() {
        return "https://" + env("KEY_VAULT_NAME") + ".vault.azure.net";
    }

    /** DefaultAzureCredential: AZURE_CLIENT_ID/AZURE_CLIENT_SECRET/AZURE_TENANT_ID from the environment. */
    static TokenCredential credential() {
        return new DefaultAzureCredentialBuilder().build();
    }

    static String env(String name) {
        String value = System.getenv(name);
        if (value == null || value.isEmpty()) fail(name + " is not set");
        return value;
    }

    /** Starts a step: failures from here on name it. */
    static void step(String name) {
        step = name;
    }

    /** Reports the current step as passed, with what it saw. */
    static void ok(String detail) {
        System.out.println("ok " + step + ": " + detail);
    }

    static void fail(String message) {
        System.err.println("FAIL " + step + ": " + message);
        System.exit(1);
    }

    static void equal(String what, Object got, Object want) {
        if (!Objects.deepEquals(got, want)) fail(what + ": got " + got + ", want " + want);
    }

    static void isTrue(boolean condition, String message) {
        if (!condition) fail(message);
    }

    /** Runs a call that must fail with the service's answer: this HTTP status, error code and words. */
    static void status(Runnable call, int status, String code, String words) {
        try {
            call.run();
        } catch (HttpResponseException e) {
            String text = String.valueOf(e.getMessage());
            int got = e.getResponse().getStatusCode();
            if (got != status || !text.contains("\"" + code + "\"") && !text.contains(code) || !text.contains(words)) {
                fail("want HTTP " + status + " " + code + " saying \"" + words + "\", got HTTP " + got + ": " + text);
            }
            return;
        }
        fail("want HTTP " + status + " " + code + ", but the call succeeded");
    }
}

package kluis;

import com.azure.core.credential.TokenCredential;
import com.azure.security.keyvault.keys.KeyClient;
import com.azure.security.keyvault.keys.KeyClientBuilder;
import com.azure.security.keyvault.keys.cryptography.CryptographyClient;
import com.azure.security.keyvault.keys.cryptography.CryptographyClientBuilder;
import com.azure.security.keyvault.keys.cryptography.models.EncryptionAlgorithm;
import com.azure.security.keyvault.keys.cryptography.models.KeyWrapAlgorithm;
import com.azure.security.keyvault.keys.cryptography.models.SignatureAlgorithm;
import com.azure.security.keyvault.keys.models.CreateEcKeyOptions;
import com.azure.security.keyvault.keys.models.CreateRsaKeyOptions;
import com.azure.security.keyvault.keys.models.JsonWebKey;
import com.azure.security.keyvault.keys.models.KeyCurveName;
import com.azure.security.keyvault.keys.models.KeyOperation;
import com.azure.security.keyvault.keys.models.KeyRotationLifetimeAction;
import com.azure.security.keyvault.keys.models.KeyRotationPolicy;
import com.azure.security.keyvault.keys.models.KeyRotationPolicyAction;
import com.azure.security.keyvault.keys.models.KeyVaultKey;
import java.math.BigInteger;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.MGF1ParameterSpec;
import java.security.spec.PSSParameterSpec;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import javax.crypto.Cipher;
import javax.crypto.spec.OAEPParameterSpec;
import javax.crypto.spec.PSource;

/**
 * The keys API through azure-security-keyvault-keys, as an unmodified program would: RSA and EC keys; signatures made
 * by the vault and verified by the vault, by the SDK's local CryptographyClient and by java.security; encrypt/decrypt
 * and wrap/unwrap both ways; rotation and its policy; import; backup and restore. Configured by the environment only;
 * prints one "ok" line per step, exits 1 on any mismatch.
 */
public final class Keys {
    private static final TokenCredential CREDENTIAL = Check.credential();
    private static final SecureRandom RANDOM = new SecureRandom();

    public static void main(String[] args) throws Exception {
        KeyClient client = new KeyClientBuilder().vaultUrl(Check.vaultUrl()).credential(CREDENTIAL).buildClient();

        Check.step("create-rsa");
        KeyVaultKey rsa = client.createRsaKey(new CreateRsaKeyOptions("java-rsa").setKeySize(2048));
        Check.equal("modulus bits", ((RSAPublicKey) rsa.getKey().toRsa(false).getPublic()).getModulus().bitLength(), 2048);
        Check.ok(rsa.getId());

        Check.step("create-ec");
        KeyVaultKey ec = client.createEcKey(new CreateEcKeyOptions("java-ec").setCurveName(KeyCurveName.P_384));
        Check.equal("curve", ec.getKey().getCurveName(), KeyCurveName.P_384);
        Check.ok(ec.getId());

        byte[] data = "signed by Kluis, checked by Java".getBytes();
        Check.step("sign-rs256");
        signAndVerify(rsa, SignatureAlgorithm.RS256, "SHA256withRSA", rsa.getKey().toRsa(false).getPublic(), data);
        Check.step("sign-ps256");
        signAndVerify(rsa, SignatureAlgorithm.PS256, "RSASSA-PSS", rsa.getKey().toRsa(false).getPublic(), data);
        Check.step("sign-es384");
        signAndVerify(ec, SignatureAlgorithm.ES384, "SHA384withECDSAinP1363Format", ec.getKey().toEc(false).getPublic(), data);

        CryptographyClient remote = remote(rsa);
        PublicKey rsaPublic = rsa.getKey().toRsa(false).getPublic();
        Check.step("verify-tampered");
        byte[] signature = remote.signData(SignatureAlgorithm.RS256, data).getSignature();
        byte[] tampered = Arrays.copyOf(data, data.length);
        tampered[0] ^= 1;
        Check.equal("valid (vault)", remote.verifyData(SignatureAlgorithm.RS256, tampered, signature).isValid(), false);
        Check.equal("valid (java.security)", jcaVerify("SHA256withRSA", rsa.getKey().toRsa(false).getPublic(), tampered, signature), false);
        Check.ok("refused");

        byte[] plaintext = new byte[32];
        RANDOM.nextBytes(plaintext);
        for (EncryptionAlgorithm alg : List.of(EncryptionAlgorithm.RSA_OAEP_256, EncryptionAlgorithm.RSA_OAEP, EncryptionAlgorithm.RSA1_5)) {
            Check.step("encrypt-" + alg);
            byte[] byVault = remote.encrypt(alg, plaintext).getCipherText();
            Check.equal("ciphertext length", byVault.length, 256);
            Check.isTrue(Arrays.equals(remote.decrypt(alg, byVault).getPlainText(), plaintext), "the vault's ciphertext does not decrypt");
            byte[] byJca = jcaEncrypt(alg.toString(), rsaPublic, plaintext);
            Check.isTrue(Arrays.equals(remote.decrypt(alg, byJca).getPlainText(), plaintext), "javax.crypto's ciphertext does not decrypt");
            Check.ok("round trips, encrypted by the vault and by javax.crypto");
        }

        Check.step("wrap");
        byte[] wrapped = remote.wrapKey(KeyWrapAlgorithm.RSA_OAEP_256, plaintext).getEncryptedKey();
        Check.isTrue(Arrays.equals(remote.unwrapKey(KeyWrapAlgorithm.RSA_OAEP_256, wrapped).getKey(), plaintext), "unwrap differs");
        wrapped = jcaEncrypt("RSA-OAEP-256", rsaPublic, plaintext);
        Check.isTrue(Arrays.equals(remote.unwrapKey(KeyWrapAlgorithm.RSA_OAEP_256, wrapped).getKey(), plaintext), "unwrap of a javax.crypto wrap differs");
        Check.ok("round trips, wrapped by the vault and by javax.crypto");

        Check.step("rotation-policy");
        KeyRotationPolicy policy = new KeyRotationPolicy().setExpiresIn("P60D")
            .setLifetimeActions(List.of(new KeyRotationLifetimeAction(KeyRotationPolicyAction.ROTATE).setTimeAfterCreate("P30D")));
        client.updateKeyRotationPolicy("java-rsa", policy);
        KeyRotationPolicy stored = client.getKeyRotationPolicy("java-rsa");
        Check.equal("expiry", stored.getExpiresIn(), "P60D");
        List<String> actions = new ArrayList<>();
        stored.getLifetimeActions().forEach(a -> actions.add(a.getAction() + "@" + a.getTimeAfterCreate()));
        boolean rotates = stored.getLifetimeActions().stream()
            .anyMatch(a -> KeyRotationPolicyAction.ROTATE.equals(a.getAction()) && "P30D".equals(a.getTimeAfterCreate()));
        Check.isTrue(rotates, "lifetime actions " + actions + " lack Rotate after P30D");
        Check.ok(actions.toString());

        Check.step("rotate");
        KeyVaultKey rotated = client.rotateKey("java-rsa");
        Check.isTrue(!rotated.getProperties().getVersion().equals(rsa.getProperties().getVersion()), "rotation kept the version");
        Check.isTrue(!Arrays.equals(rotated.getKey().getN(), rsa.getKey().getN()), "rotation kept the key material");
        Check.isTrue(rotated.getProperties().getExpiresOn() != null, "the rotation policy's expiry was not applied");
        Check.ok(rotated.getProperties().getVersion());

        Check.step("import");
        KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
        generator.initialize(new ECGenParameterSpec("secp256r1"));
        KeyPair pair = generator.generateKeyPair();
        JsonWebKey jwk = JsonWebKey.fromEc(pair, generator.getProvider(), List.of(KeyOperation.SIGN, KeyOperation.VERIFY));
        KeyVaultKey imported = client.importKey("java-imported", jwk);
        Check.isTrue(imported.getKey().getD() == null, "the vault handed the private key back");
        // Compared as numbers: the SDK may keep a coordinate's leading zero byte (BigInteger's sign byte).
        Check.equal("x", new BigInteger(1, imported.getKey().getX()), new BigInteger(1, jwk.getX()));
        Check.equal("y", new BigInteger(1, imported.getKey().getY()), new BigInteger(1, jwk.getY()));
        signAndVerify(imported, SignatureAlgorithm.ES256, "SHA256withECDSAinP1363Format", pair.getPublic(), data);

        Check.step("backup");
        byte[] backup = client.backupKey("java-rsa");
        Check.isTrue(backup.length > 0, "empty backup");
        client.beginDeleteKey("java-rsa").waitForCompletion();
        client.purgeDeletedKey("java-rsa");
        Check.status(() -> client.getKey("java-rsa"), 404, "KeyNotFound", "java-rsa");
        Check.ok(backup.length + " bytes");

        Check.step("restore");
        KeyVaultKey restored = client.restoreKeyBackup(backup);
        Check.equal("id", restored.getId(), rotated.getId());
        Check.isTrue(Arrays.equals(restored.getKey().getN(), rotated.getKey().getN()), "restored key material differs");
        List<String> versions = new ArrayList<>();
        client.listPropertiesOfKeyVersions("java-rsa").forEach(p -> versions.add(p.getVersion()));
        Check.equal("versions", versions.size(), 2);
        Check.ok(restored.getId());
    }

    /** Every operation by the vault: no key is cached, so nothing is done locally. */
    private static CryptographyClient remote(KeyVaultKey key) {
        return new CryptographyClientBuilder().keyIdentifier(key.getId()).credential(CREDENTIAL).disableKeyCaching().buildClient();
    }

    /** The SDK's local client: public-key operations only, on the key material the vault returned. */
    private static CryptographyClient local(KeyVaultKey key) {
        return new CryptographyClientBuilder().jsonWebKey(key.getKey()).buildClient();
    }

    /**
     * The vault signs; the vault and java.security verify, and so does the SDK's local client for EC keys (it has no
     * local RSA signatures).
     */
    private static void signAndVerify(KeyVaultKey key, SignatureAlgorithm alg, String jcaAlgorithm, PublicKey publicKey, byte[] data) throws Exception {
        byte[] signature = remote(key).signData(alg, data).getSignature();
        Check.isTrue(remote(key).verifyData(alg, data, signature).isValid(), "the vault rejects its own signature");
        Check.isTrue(jcaVerify(jcaAlgorithm, publicKey, data, signature), jcaAlgorithm + " rejects the signature");
        boolean ec = key.getKey().getKeyType().toString().startsWith("EC");
        if (ec) Check.isTrue(local(key).verifyData(alg, data, signature).isValid(), "the SDK's local client rejects the signature");
        Check.ok("verified by the vault" + (ec ? ", the SDK's local client" : "") + " and " + jcaAlgorithm);
    }

    /** Key Vault's RSA encryption algorithms, done by javax.crypto with the public key. */
    private static byte[] jcaEncrypt(String algorithm, PublicKey publicKey, byte[] plaintext) throws Exception {
        Cipher cipher;
        switch (algorithm) {
            case "RSA-OAEP-256" -> {
                cipher = Cipher.getInstance("RSA/ECB/OAEPPadding");
                cipher.init(Cipher.ENCRYPT_MODE, publicKey, new OAEPParameterSpec("SHA-256", "MGF1", MGF1ParameterSpec.SHA256, PSource.PSpecified.DEFAULT));
            }
            case "RSA-OAEP" -> {
                cipher = Cipher.getInstance("RSA/ECB/OAEPWithSHA-1AndMGF1Padding");
                cipher.init(Cipher.ENCRYPT_MODE, publicKey);
            }
            case "RSA1_5" -> {
                cipher = Cipher.getInstance("RSA/ECB/PKCS1Padding");
                cipher.init(Cipher.ENCRYPT_MODE, publicKey);
            }
            default -> throw new IllegalArgumentException(algorithm);
        }
        return cipher.doFinal(plaintext);
    }

    private static boolean jcaVerify(String algorithm, PublicKey publicKey, byte[] data, byte[] signature) throws Exception {
        Signature verifier = Signature.getInstance(algorithm);
        if (algorithm.equals("RSASSA-PSS")) {
            verifier.setParameter(new PSSParameterSpec("SHA-256", "MGF1", MGF1ParameterSpec.SHA256, 32, 1));
        }
        verifier.initVerify(publicKey);
        verifier.update(data);
        return verifier.verify(signature);
    }
}

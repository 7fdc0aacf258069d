// The keys API through Go's azkeys, as an unmodified program would: RSA and EC keys created, signatures made by the
// vault and verified both by the vault and locally (crypto/rsa, crypto/ecdsa), encrypt/decrypt and wrap/unwrap
// (encrypting locally with the public key too), rotation and its policy, import, backup and restore. Configured by
// the environment only; prints one "ok" line per step, exits 1 on any mismatch.
package main

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"math/big"
	"slices"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/security/keyvault/azkeys"
	"kluis.test/programs/check"
)

var ctx = check.Ctx

func main() {
	client, err := azkeys.NewClient(check.VaultURL(), check.Credential(), nil)
	check.NoError("setup", err)

	rsaKey, err := client.CreateKey(ctx, "go-rsa", azkeys.CreateKeyParameters{Kty: to.Ptr(azkeys.KeyTypeRSA), KeySize: to.Ptr[int32](2048)}, nil)
	check.NoError("create-rsa", err)
	rsaPublic := rsaPublicKey(rsaKey.Key)
	check.Equal("create-rsa", "modulus bits", rsaPublic.N.BitLen(), 2048)
	check.OK("create-rsa", "%s", check.Deref(rsaKey.Key.KID))

	ecKey, err := client.CreateKey(ctx, "go-ec", azkeys.CreateKeyParameters{Kty: to.Ptr(azkeys.KeyTypeEC), Curve: to.Ptr(azkeys.CurveNameP384)}, nil)
	check.NoError("create-ec", err)
	check.Equal("create-ec", "curve", check.Deref(ecKey.Key.Crv), azkeys.CurveNameP384)
	ecPublic := ecPublicKey(ecKey.Key, elliptic.P384())
	check.OK("create-ec", "%s", check.Deref(ecKey.Key.KID))

	message := []byte("signed by Kluis, checked by Go")
	sha256Digest := sha256.Sum256(message)
	sha384Digest := sha512.Sum384(message)

	sig := signAndVerify(client, "sign-rs256", rsaKey.Key.KID, azkeys.SignatureAlgorithmRS256, sha256Digest[:])
	check.NoError("sign-rs256", rsa.VerifyPKCS1v15(rsaPublic, crypto.SHA256, sha256Digest[:], sig))
	check.OK("sign-rs256", "verified remotely and with crypto/rsa")

	sig = signAndVerify(client, "sign-ps256", rsaKey.Key.KID, azkeys.SignatureAlgorithmPS256, sha256Digest[:])
	check.NoError("sign-ps256", rsa.VerifyPSS(rsaPublic, crypto.SHA256, sha256Digest[:], sig, nil))
	check.OK("sign-ps256", "verified remotely and with crypto/rsa")

	sig = signAndVerify(client, "sign-es384", ecKey.Key.KID, azkeys.SignatureAlgorithmES384, sha384Digest[:])
	check.True("sign-es384", verifyJWS(ecPublic, sha384Digest[:], sig), "crypto/ecdsa rejects the signature")
	check.OK("sign-es384", "verified remotely and with crypto/ecdsa")

	// A tampered digest must not verify.
	bad := append([]byte{}, sha256Digest[:]...)
	bad[0] ^= 1
	verified, err := client.Verify(ctx, "go-rsa", rsaKey.Key.KID.Version(), azkeys.VerifyParameters{Algorithm: to.Ptr(azkeys.SignatureAlgorithmRS256), Digest: bad, Signature: sig}, nil)
	check.NoError("verify-tampered", err)
	check.Equal("verify-tampered", "valid", check.Deref(verified.Value), false)
	check.OK("verify-tampered", "refused")

	plaintext := make([]byte, 32)
	_, _ = rand.Read(plaintext)
	for _, alg := range []azkeys.EncryptionAlgorithm{azkeys.EncryptionAlgorithmRSAOAEP256, azkeys.EncryptionAlgorithmRSAOAEP, azkeys.EncryptionAlgorithmRSA15} {
		step := "encrypt-" + string(alg)
		enc, err := client.Encrypt(ctx, "go-rsa", "", azkeys.KeyOperationParameters{Algorithm: to.Ptr(alg), Value: plaintext}, nil)
		check.NoError(step, err)
		check.Equal(step, "ciphertext length", len(enc.Result), 256)
		dec, err := client.Decrypt(ctx, "go-rsa", "", azkeys.KeyOperationParameters{Algorithm: to.Ptr(alg), Value: enc.Result}, nil)
		check.NoError(step, err)
		check.True(step, bytes.Equal(dec.Result, plaintext), "decrypted %x, want %x", dec.Result, plaintext)
		check.OK(step, "round trip")
	}

	// Encrypted locally with the public key, decrypted by the vault.
	local, err := rsa.EncryptOAEP(sha256.New(), rand.Reader, rsaPublic, plaintext, nil)
	check.NoError("decrypt-local", err)
	dec, err := client.Decrypt(ctx, "go-rsa", "", azkeys.KeyOperationParameters{Algorithm: to.Ptr(azkeys.EncryptionAlgorithmRSAOAEP256), Value: local}, nil)
	check.NoError("decrypt-local", err)
	check.True("decrypt-local", bytes.Equal(dec.Result, plaintext), "decrypted %x, want %x", dec.Result, plaintext)
	check.OK("decrypt-local", "RSA-OAEP-256 from crypto/rsa")

	wrapped, err := client.WrapKey(ctx, "go-rsa", "", azkeys.KeyOperationParameters{Algorithm: to.Ptr(azkeys.EncryptionAlgorithmRSAOAEP256), Value: plaintext}, nil)
	check.NoError("wrap", err)
	unwrapped, err := client.UnwrapKey(ctx, "go-rsa", "", azkeys.KeyOperationParameters{Algorithm: to.Ptr(azkeys.EncryptionAlgorithmRSAOAEP256), Value: wrapped.Result}, nil)
	check.NoError("wrap", err)
	check.True("wrap", bytes.Equal(unwrapped.Result, plaintext), "unwrapped %x, want %x", unwrapped.Result, plaintext)
	check.OK("wrap", "round trip")

	policy := azkeys.KeyRotationPolicy{
		Attributes: &azkeys.KeyRotationPolicyAttributes{ExpiryTime: to.Ptr("P60D")},
		LifetimeActions: []*azkeys.LifetimeAction{{
			Action:  &azkeys.LifetimeActionType{Type: to.Ptr(azkeys.KeyRotationPolicyActionRotate)},
			Trigger: &azkeys.LifetimeActionTrigger{TimeAfterCreate: to.Ptr("P30D")},
		}},
	}
	_, err = client.UpdateKeyRotationPolicy(ctx, "go-rsa", policy, nil)
	check.NoError("rotation-policy", err)
	stored, err := client.GetKeyRotationPolicy(ctx, "go-rsa", nil)
	check.NoError("rotation-policy", err)
	check.Equal("rotation-policy", "expiry", check.Deref(stored.Attributes.ExpiryTime), "P60D")
	var actions []string
	for _, a := range stored.LifetimeActions {
		actions = append(actions, string(check.Deref(a.Action.Type))+"@"+check.Deref(a.Trigger.TimeAfterCreate)+check.Deref(a.Trigger.TimeBeforeExpiry))
	}
	check.True("rotation-policy", slices.Contains(actions, "Rotate@P30D"), "lifetime actions %v lack Rotate after P30D", actions)
	check.OK("rotation-policy", "%v", actions)

	rotated, err := client.RotateKey(ctx, "go-rsa", nil)
	check.NoError("rotate", err)
	check.True("rotate", rotated.Key.KID.Version() != rsaKey.Key.KID.Version(), "rotation kept the version")
	check.True("rotate", !bytes.Equal(rotated.Key.N, rsaKey.Key.N), "rotation kept the key material")
	check.Equal("rotate", "modulus bits", rsaPublicKey(rotated.Key).N.BitLen(), 2048)
	check.True("rotate", rotated.Attributes.Expires != nil, "the rotation policy's expiry was not applied")
	check.OK("rotate", "%s", rotated.Key.KID.Version())

	private, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	check.NoError("import", err)
	imported, err := client.ImportKey(ctx, "go-imported", azkeys.ImportKeyParameters{Key: &azkeys.JSONWebKey{
		Kty:    to.Ptr(azkeys.KeyTypeEC),
		Crv:    to.Ptr(azkeys.CurveNameP256),
		X:      private.X.FillBytes(make([]byte, 32)),
		Y:      private.Y.FillBytes(make([]byte, 32)),
		D:      private.D.FillBytes(make([]byte, 32)),
		KeyOps: []*azkeys.KeyOperation{to.Ptr(azkeys.KeyOperationSign), to.Ptr(azkeys.KeyOperationVerify)},
	}}, nil)
	check.NoError("import", err)
	check.True("import", len(imported.Key.D) == 0, "the vault handed the private key back")
	check.True("import", bytes.Equal(imported.Key.X, private.X.FillBytes(make([]byte, 32))), "the public key changed on import")
	sig = signAndVerify(client, "import", imported.Key.KID, azkeys.SignatureAlgorithmES256, sha256Digest[:])
	check.True("import", verifyJWS(&private.PublicKey, sha256Digest[:], sig), "crypto/ecdsa rejects the imported key's signature")
	check.OK("import", "signs as the local key")

	backup, err := client.BackupKey(ctx, "go-rsa", nil)
	check.NoError("backup", err)
	check.True("backup", len(backup.Value) > 0, "empty backup")
	_, err = client.DeleteKey(ctx, "go-rsa", nil)
	check.NoError("backup", err)
	_, err = client.PurgeDeletedKey(ctx, "go-rsa", nil)
	check.NoError("backup", err)
	_, err = client.GetKey(ctx, "go-rsa", "", nil)
	check.Status("backup", err, 404, "KeyNotFound", "go-rsa")
	restored, err := client.RestoreKey(ctx, azkeys.RestoreKeyParameters{KeyBackup: backup.Value}, nil)
	check.NoError("restore", err)
	check.Equal("restore", "kid", check.Deref(restored.Key.KID), check.Deref(rotated.Key.KID))
	check.True("restore", bytes.Equal(restored.Key.N, rotated.Key.N), "restored key material differs")
	var versions int
	for pager := client.NewListKeyPropertiesVersionsPager("go-rsa", nil); pager.More(); {
		page, err := pager.NextPage(ctx)
		check.NoError("restore", err)
		versions += len(page.Value)
	}
	check.Equal("restore", "versions", versions, 2)
	check.OK("restore", "%s", check.Deref(restored.Key.KID))
}

// signAndVerify has the vault sign the digest with the key's version and verify its own signature.
func signAndVerify(client *azkeys.Client, step string, kid *azkeys.ID, alg azkeys.SignatureAlgorithm, digest []byte) []byte {
	signed, err := client.Sign(ctx, kid.Name(), kid.Version(), azkeys.SignParameters{Algorithm: to.Ptr(alg), Value: digest}, nil)
	check.NoError(step, err)
	check.Equal(step, "signing kid", check.Deref(signed.KID), check.Deref(kid))
	verified, err := client.Verify(ctx, kid.Name(), kid.Version(), azkeys.VerifyParameters{Algorithm: to.Ptr(alg), Digest: digest, Signature: signed.Result}, nil)
	check.NoError(step, err)
	check.Equal(step, "verified by the vault", check.Deref(verified.Value), true)
	return signed.Result
}

func rsaPublicKey(jwk *azkeys.JSONWebKey) *rsa.PublicKey {
	return &rsa.PublicKey{N: new(big.Int).SetBytes(jwk.N), E: int(new(big.Int).SetBytes(jwk.E).Int64())}
}

func ecPublicKey(jwk *azkeys.JSONWebKey, curve elliptic.Curve) *ecdsa.PublicKey {
	return &ecdsa.PublicKey{Curve: curve, X: new(big.Int).SetBytes(jwk.X), Y: new(big.Int).SetBytes(jwk.Y)}
}

// verifyJWS checks a JWS-format ECDSA signature: r and s, each the curve's size, concatenated.
func verifyJWS(pub *ecdsa.PublicKey, digest, sig []byte) bool {
	size := (pub.Curve.Params().BitSize + 7) / 8
	if len(sig) != 2*size {
		return false
	}
	return ecdsa.Verify(pub, digest, new(big.Int).SetBytes(sig[:size]), new(big.Int).SetBytes(sig[size:]))
}

# Drives the keys API through Python's azure-keyvault-keys and prints what happened as JSON, for test/keys.test.ts
# to check (signatures are verified there with node:crypto, not here). CRYPTO_CLIENT_ID/CRYPTO_CLIENT_SECRET name a
# principal of the same tenant that may use keys but not get them: its CryptographyClient does every operation remotely.
import base64
import hashlib
import json
import os

from azure.core.exceptions import HttpResponseError
from azure.identity import ClientSecretCredential, DefaultAzureCredential
from azure.keyvault.keys import JsonWebKey, KeyClient, KeyRotationLifetimeAction, KeyRotationPolicy, KeyRotationPolicyAction
from azure.keyvault.keys.crypto import CryptographyClient, EncryptionAlgorithm, KeyWrapAlgorithm, SignatureAlgorithm
from cryptography.hazmat.primitives.asymmetric import ec

vault_url = "https://" + os.environ["KEY_VAULT_NAME"] + ".vault.azure.net"
credential = DefaultAzureCredential()
client = KeyClient(vault_url=vault_url, credential=credential)


def public_jwk(key):
    jwk = key.key
    b64 = lambda b: base64.urlsafe_b64encode(b).rstrip(b"=").decode()
    if jwk.n:
        return {"kty": "RSA", "n": b64(jwk.n), "e": b64(jwk.e)}
    return {"kty": "EC", "crv": getattr(jwk.crv, "value", jwk.crv), "x": b64(jwk.x), "y": b64(jwk.y)}


def signature(key, alg, hash_name):
    data = os.urandom(64)
    digest = hashlib.new(hash_name, data).digest()
    crypto = CryptographyClient(key, credential=credential)
    signed = crypto.sign(alg, digest)
    verified = crypto.verify(alg, digest, signed.signature).is_valid
    return {"alg": alg.value, "jwk": public_jwk(key), "data": data.hex(), "signature": signed.signature.hex(), "verified": verified}


rsa = client.create_rsa_key("py-rsa", size=2048)
p384 = client.create_ec_key("py-p384", curve="P-384")
signatures = [
    signature(rsa, SignatureAlgorithm.rs256, "sha256"),
    signature(rsa, SignatureAlgorithm.ps384, "sha384"),
    signature(p384, SignatureAlgorithm.es384, "sha384"),
]

# Local and remote: from_jwk verifies and encrypts with the public key alone; a client that may not get the key
# (keys/get refused) sends verify, encrypt and wrap to the vault too.
remote_only = ClientSecretCredential(os.environ["AZURE_TENANT_ID"], os.environ["CRYPTO_CLIENT_ID"], os.environ["CRYPTO_CLIENT_SECRET"])
local_and_remote = {}
for key, alg, hash_name in ((rsa, SignatureAlgorithm.ps256, "sha256"), (p384, SignatureAlgorithm.es384, "sha384")):
    digest = hashlib.new(hash_name, os.urandom(16)).digest()
    remote = CryptographyClient(key.id, credential=remote_only)
    local = CryptographyClient.from_jwk(key.key)
    signed = remote.sign(alg, digest).signature
    tampered = bytes([signed[0] ^ 1]) + signed[1:]
    local_and_remote[alg.value] = {
        "local_verify": local.verify(alg, digest, signed).is_valid,
        "remote_verify": remote.verify(alg, digest, signed).is_valid,
        "remote_rejects_tampered": not remote.verify(alg, digest, tampered).is_valid,
    }
remote = CryptographyClient(rsa.id, credential=remote_only)
secret = os.urandom(32)
local_and_remote["encrypt"] = {
    "local_then_remote": remote.decrypt(EncryptionAlgorithm.rsa_oaep_256, CryptographyClient.from_jwk(rsa.key).encrypt(EncryptionAlgorithm.rsa_oaep_256, secret).ciphertext).plaintext == secret,
    "remote_then_remote": remote.decrypt(EncryptionAlgorithm.rsa_oaep, remote.encrypt(EncryptionAlgorithm.rsa_oaep, secret).ciphertext).plaintext == secret,
    "remote_wrap": remote.unwrap_key(KeyWrapAlgorithm.rsa_oaep, remote.wrap_key(KeyWrapAlgorithm.rsa_oaep, secret).encrypted_key).key == secret,
}

crypto = CryptographyClient(rsa, credential=credential)
plaintext = os.urandom(32)
round_trips = {}
for alg in (EncryptionAlgorithm.rsa_oaep_256, EncryptionAlgorithm.rsa1_5, EncryptionAlgorithm.rsa_oaep):
    encrypted = crypto.encrypt(alg, plaintext)
    round_trips[alg.value] = crypto.decrypt(alg, encrypted.ciphertext).plaintext == plaintext
wrapped = crypto.wrap_key(KeyWrapAlgorithm.rsa_oaep_256, plaintext)
round_trips["wrap"] = crypto.unwrap_key(KeyWrapAlgorithm.rsa_oaep_256, wrapped.encrypted_key).key == plaintext

private = ec.generate_private_key(ec.SECP256R1())
numbers = private.private_numbers()
jwk = JsonWebKey(
    kty="EC",
    crv="P-256",
    x=numbers.public_numbers.x.to_bytes(32, "big"),
    y=numbers.public_numbers.y.to_bytes(32, "big"),
    d=numbers.private_value.to_bytes(32, "big"),
    key_ops=["sign", "verify"],
)
imported = client.import_key("py-imported", jwk)
signatures.append(signature(imported, SignatureAlgorithm.es256, "sha256"))

updated = client.update_key_properties("py-p384", enabled=False, tags={"env": "test"})
try:
    client.get_key("py-p384")
    disabled_error = None
except HttpResponseError as err:
    disabled_error = err.status_code

deleted = client.begin_delete_key("py-rsa").result()
recovered = client.begin_recover_deleted_key("py-rsa").result()
client.begin_delete_key("py-imported").result()
client.purge_deleted_key("py-imported")
purged = all(d.name != "py-imported" for d in client.list_deleted_keys())

policy = KeyRotationPolicy(expires_in="P60D", lifetime_actions=[KeyRotationLifetimeAction(KeyRotationPolicyAction.rotate, time_after_create="P30D")])
client.update_key_rotation_policy("py-rsa", policy)
stored_policy = client.get_key_rotation_policy("py-rsa")
rotated = client.rotate_key("py-rsa")

backup = client.backup_key("py-rsa")
client.begin_delete_key("py-rsa").result()
client.purge_deleted_key("py-rsa")
restored = client.restore_key_backup(backup)

print(json.dumps({
    "signatures": signatures,
    "roundTrips": round_trips,
    "localAndRemote": local_and_remote,
    "imported": {"kty": getattr(imported.key_type, "value", imported.key_type)},
    "updated": {"enabled": updated.properties.enabled, "tags": updated.properties.tags},
    "disabledError": disabled_error,
    "deleted": {"recovery_id": deleted.recovery_id},
    "recovered": recovered.id == rsa.id,
    "purged": purged,
    "policy": {"expires_in": stored_policy.expires_in, "actions": [(str(getattr(a.action, "value", a.action)), a.time_after_create) for a in stored_policy.lifetime_actions]},
    "rotated": {"new_version": rotated.properties.version != rsa.properties.version, "same_size": len(rotated.key.n) == len(rsa.key.n)},
    "restored": restored.id == rotated.id,
}))

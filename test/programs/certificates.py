# Drives Kluis's certificates API with Python's azure-keyvault-certificates; prints what it saw as JSON.
# Usage: certificates.py VAULT_NAME PFX_PATH PFX_PASSWORD   (credentials and trust come from the environment;
# beside the PFX lie its key and certificate in PEM (NAME.key, NAME.pem) and an openssl CA, ca.pem and ca.key,
# that signs the requests merged below)
import base64
import json
import os
import ssl
import subprocess
import sys

from azure.core.exceptions import HttpResponseError, ResourceNotFoundError
from azure.identity import DefaultAzureCredential
from azure.keyvault.certificates import (
    CertificateClient,
    CertificateContact,
    CertificatePolicy,
    CertificateContentType,
    KeyCurveName,
    KeyType,
    WellKnownIssuerNames,
)

vault, pfx_path, pfx_password = sys.argv[1:4]
client = CertificateClient(f"https://{vault}.vault.azure.net", DefaultAzureCredential())
out = {}

policy = CertificatePolicy(
    issuer_name=WellKnownIssuerNames.self,
    subject="CN=py.example.com",
    san_dns_names=["py.example.com"],
    key_type=KeyType.ec,
    key_curve_name=KeyCurveName.p_384,
    validity_in_months=3,
    content_type=CertificateContentType.pem,
)
created = client.begin_create_certificate("py-ec", policy, tags={"lang": "python"}).result()
out["created"] = {"name": created.name, "cer": base64.b64encode(created.cer).decode(), "tags": created.properties.tags}
got_policy = client.get_certificate_policy("py-ec")
out["policy"] = {
    "key_type": got_policy.key_type.value, "curve": got_policy.key_curve_name.value, "dns": got_policy.san_dns_names,
    "validity": got_policy.validity_in_months, "content_type": got_policy.content_type.value,
}
client.begin_create_certificate("py-ec", policy).result()
out["versions"] = len(list(client.list_properties_of_certificate_versions("py-ec")))
updated = client.update_certificate_properties("py-ec", enabled=False, tags={"lang": "py"})
out["updated"] = {"enabled": updated.properties.enabled, "tags": updated.properties.tags}
policy_update = CertificatePolicy(issuer_name=WellKnownIssuerNames.self, subject="CN=py2.example.com", key_type=KeyType.ec, key_curve_name=KeyCurveName.p_384, validity_in_months=6)
changed = client.update_certificate_policy("py-ec", policy_update)
reread = client.get_certificate_policy("py-ec")
out["policy_updated"] = {"returned": [changed.subject, changed.validity_in_months], "stored": [reread.subject, reread.validity_in_months]}

with open(pfx_path, "rb") as f:
    pfx = f.read()
try:
    client.import_certificate("py-bad", pfx, password="wrong")
    out["wrong_password"] = "accepted"
except HttpResponseError as e:
    out["wrong_password"] = e.status_code
imported = client.import_certificate("py-imported", pfx, password=pfx_password)
out["imported"] = {"name": imported.name, "issuer": imported.policy.issuer_name, "cer": base64.b64encode(imported.cer).decode()}
# PEM: the SDK base64-encodes the bytes it is given, PEM text included.
stem = os.path.splitext(pfx_path)[0]
with open(stem + ".key", "rb") as key_file, open(stem + ".pem", "rb") as cert_file:
    pem = key_file.read() + cert_file.read()
imported_pem = client.import_certificate("py-pem", pem, policy=CertificatePolicy(content_type=CertificateContentType.pem))
out["imported_pem"] = {"name": imported_pem.name, "cer": base64.b64encode(imported_pem.cer).decode(), "content_type": imported_pem.policy.content_type.value}
out["listed"] = sorted(c.name for c in client.list_properties_of_certificates())

client.set_contacts([CertificateContact(email="py@example.com", name="Py")])
out["contacts"] = [c.email for c in client.get_contacts()]
client.delete_contacts()
issuer = client.create_issuer("py-issuer", "Test", account_id="acct", password="pw")
out["issuer"] = {"name": issuer.name, "provider": issuer.provider, "account_id": issuer.account_id}
out["issuers"] = [i.name for i in client.list_properties_of_issuers()]
# A partner issuer: Kluis reaches no CA, so the operation fails, but as in Key Vault only after answering inProgress.
# The create's and each poll's status and error are read off the raw responses.
seen = []


def record_operation(response):
    body = response.http_response.text()
    if '"status"' in body:
        operation = json.loads(body)
        seen.append([operation["status"], operation.get("error", {}).get("code")])


poller = client.begin_create_certificate("py-partner", CertificatePolicy(issuer_name="py-issuer", subject="CN=partner"), raw_response_hook=record_operation)
try:
    result = poller.result().status
except AttributeError:
    # Debian's 4.7.0b1 cannot read any operation error: it recurses into the absent inner error (so against Azure too).
    result = "unreadable"
out["partner"] = {"seen": seen, "result": result}
client.delete_issuer("py-issuer")

client.begin_create_certificate("py-pending", CertificatePolicy(issuer_name=WellKnownIssuerNames.unknown, subject="CN=pending"))
out["pending_status"] = client.get_certificate_operation("py-pending").status
cancelled = client.cancel_certificate_operation("py-pending")
out["cancel_requested"] = cancelled.cancellation_requested
client.delete_certificate_operation("py-pending")

deleted = client.begin_delete_certificate("py-imported").result()
out["deleted"] = {"recovery_id": deleted.recovery_id, "deleted_on": deleted.deleted_on.isoformat()}
out["deleted_listed"] = [d.name for d in client.list_deleted_certificates()]
recovered = client.begin_recover_deleted_certificate("py-imported").result()
out["recovered"] = recovered.name
client.begin_delete_certificate("py-imported").wait()
client.purge_deleted_certificate("py-imported")
try:
    client.get_deleted_certificate("py-imported")
    out["purged"] = False
except ResourceNotFoundError:
    out["purged"] = True

# An Unknown-issuer request, signed by the openssl CA and merged.
ca_dir = os.path.dirname(pfx_path)
client.begin_create_certificate("py-merge", CertificatePolicy(issuer_name=WellKnownIssuerNames.unknown, subject="CN=py-merge"))
csr = client.get_certificate_operation("py-merge").csr
with open(os.path.join(ca_dir, "py-merge.csr"), "w") as f:
    f.write("-----BEGIN CERTIFICATE REQUEST-----\n" + base64.encodebytes(csr).decode() + "-----END CERTIFICATE REQUEST-----\n")
subprocess.run(
    ["openssl", "x509", "-req", "-in", "py-merge.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", "py-merge.der", "-outform", "DER", "-days", "30"],
    cwd=ca_dir, check=True, capture_output=True,
)
with open(os.path.join(ca_dir, "py-merge.der"), "rb") as f:
    signed = f.read()
merged = client.merge_certificate("py-merge", [signed])
out["merged"] = {"name": merged.name, "same_cer": merged.cer == signed, "status": client.get_certificate_operation("py-merge").status}
# The signed certificate as PEM text: the SDK base64-encodes those bytes as they are.
client.begin_create_certificate("py-merge-pem", CertificatePolicy(issuer_name=WellKnownIssuerNames.unknown, subject="CN=py-merge-pem"))
csr = client.get_certificate_operation("py-merge-pem").csr
with open(os.path.join(ca_dir, "py-merge-pem.csr"), "w") as f:
    f.write("-----BEGIN CERTIFICATE REQUEST-----\n" + base64.encodebytes(csr).decode() + "-----END CERTIFICATE REQUEST-----\n")
subprocess.run(
    ["openssl", "x509", "-req", "-in", "py-merge-pem.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", "py-merge-pem.pem", "-days", "30"],
    cwd=ca_dir, check=True, capture_output=True,
)
with open(os.path.join(ca_dir, "py-merge-pem.pem"), "rb") as f:
    signed_pem = f.read()
merged_pem = client.merge_certificate("py-merge-pem", [signed_pem])
out["merged_pem"] = {"name": merged_pem.name, "same_cer": merged_pem.cer == ssl.PEM_cert_to_DER_cert(signed_pem.decode())}

# Backup, purge, restore.
backup = client.backup_certificate("py-ec")
original = client.get_certificate("py-ec")
client.begin_delete_certificate("py-ec").wait()
client.purge_deleted_certificate("py-ec")
restored = client.restore_certificate_backup(backup)
out["restored"] = {"name": restored.name, "same_cer": restored.cer == original.cer, "same_version": restored.properties.version == original.properties.version}

print(json.dumps(out))

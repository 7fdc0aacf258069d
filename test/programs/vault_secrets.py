# Drives every secrets operation through Python's azure-keyvault-secrets, as an unmodified program would, and prints
# what it saw as one JSON object for test/secrets.test.ts to check. (Not named secrets.py: that would shadow the
# standard library's secrets module, which msal imports.)
import json
import os
from datetime import datetime, timedelta, timezone

from azure.core.exceptions import HttpResponseError
from azure.identity import DefaultAzureCredential
from azure.keyvault.secrets import SecretClient

credential = DefaultAzureCredential()
client = SecretClient(f"https://{os.environ['KEY_VAULT_NAME']}.vault.azure.net", credential)
other = SecretClient(f"https://{os.environ['RESTORE_VAULT_NAME']}.vault.azure.net", credential)
out = {}


def failure(call):
    """The status and Key Vault error of a call that must fail."""
    try:
        call()
    except HttpResponseError as e:
        inner = e.model.error.inner_error.code if e.model and e.model.error and e.model.error.inner_error else None
        return {"status": e.status_code, "code": e.error.code if e.error else None, "message": e.message, "inner": inner}
    return None


def value_or_failure(name):
    """The value get_secret returns, or how it failed."""
    try:
        return {"value": client.get_secret(name).value}
    except HttpResponseError:
        return failure(lambda: client.get_secret(name))


def props(p):
    return {"name": p.name, "version": p.version, "enabled": p.enabled, "content_type": p.content_type, "tags": p.tags}


# set, get (latest and by version), update
first = client.set_secret("py-secret", "wachtwoord ☃ 🔑 ü", content_type="text/plain", tags={"env": "test"})
second = client.set_secret("py-secret", "second")
out["set"] = {"value": first.value, "id": first.id, **props(first.properties)}
out["latest"] = client.get_secret("py-secret").value
out["by_version"] = client.get_secret("py-secret", first.properties.version).value
updated = client.update_secret_properties("py-secret", content_type="application/json", enabled=False, tags={"k": "v"})
out["updated"] = props(updated)
out["disabled"] = failure(lambda: client.get_secret("py-secret"))
client.update_secret_properties("py-secret", second.properties.version, enabled=True)
out["reenabled"] = client.get_secret("py-secret").value
out["versions"] = sorted(p.version for p in client.list_properties_of_secret_versions("py-secret"))
out["version_ids"] = sorted([first.properties.version, second.properties.version])

# nbf/exp windows
now = datetime.now(timezone.utc)
client.set_secret("py-expired", "x", expires_on=now - timedelta(hours=1))
client.set_secret("py-early", "x", not_before=now + timedelta(hours=1))
out["expired"] = value_or_failure("py-expired")
out["not_yet_valid"] = value_or_failure("py-early")

# size limit
big = "x" * 25600
out["big_roundtrip"] = client.set_secret("py-big", big).value == big and client.get_secret("py-big").value == big
out["too_big"] = failure(lambda: client.set_secret("py-too-big", big + "x"))
out["too_big_absent"] = failure(lambda: client.get_secret("py-too-big"))

# paging: more than 25 secrets follows nextLink
for i in range(26):
    client.set_secret(f"py-page-{i:02d}", f"value {i}")
pages = list(client.list_properties_of_secrets().by_page())
out["pages"] = [len(list(page)) for page in pages]
out["listed"] = sorted(p.name for p in client.list_properties_of_secrets())

# soft delete, recover, purge
deleted = client.begin_delete_secret("py-secret").result()
out["deleted"] = {"recovery_id": deleted.recovery_id, "deleted_date": deleted.deleted_date.isoformat(), "scheduled_purge_date": deleted.scheduled_purge_date.isoformat()}
out["get_deleted"] = client.get_deleted_secret("py-secret").name
out["listed_deleted"] = sorted(d.name for d in client.list_deleted_secrets())
out["reuse_deleted"] = failure(lambda: client.set_secret("py-secret", "again"))
client.begin_recover_deleted_secret("py-secret").result()
out["recovered"] = client.get_secret("py-secret").value

# backup, then restore into another vault
blob = client.backup_secret("py-secret")
restored = other.restore_secret_backup(blob)
out["restored"] = {"id": restored.id, "value": other.get_secret("py-secret").value, "versions": sorted(p.version for p in other.list_properties_of_secret_versions("py-secret"))}
out["restore_existing"] = failure(lambda: other.restore_secret_backup(blob))
tampered = bytearray(blob)
tampered[len(tampered) // 2] ^= 1
out["restore_tampered"] = failure(lambda: other.restore_secret_backup(bytes(tampered)))

client.begin_delete_secret("py-secret").result()
client.purge_deleted_secret("py-secret")
out["purged"] = failure(lambda: client.get_deleted_secret("py-secret"))
out["reused_after_purge"] = client.set_secret("py-secret", "fresh").value

print(json.dumps(out))

// Every secrets operation through Go's azsecrets, as an unmodified program would: set, get (latest and by version),
// list, versions, update, delete, recover, purge, backup and restore. Configured by the environment only
// (KEY_VAULT_NAME and DefaultAzureCredential's variables); prints one "ok" line per step, exits 1 on any mismatch.
package main

import (
	"sort"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/security/keyvault/azsecrets"
	"kluis.test/programs/check"
)

func main() {
	ctx := check.Ctx
	client, err := azsecrets.NewClient(check.VaultURL(), check.Credential(), nil)
	check.NoError("setup", err)
	const name = "go-secret"
	const value = "wachtwoord ☃ 🔑 ü"

	first, err := client.SetSecret(ctx, name, azsecrets.SetSecretParameters{
		Value: to.Ptr(value), ContentType: to.Ptr("text/plain"), Tags: map[string]*string{"lang": to.Ptr("go")},
	}, nil)
	check.NoError("set", err)
	check.Equal("set", "value", check.Deref(first.Value), value)
	check.Equal("set", "name", first.ID.Name(), name)
	check.True("set", len(first.ID.Version()) == 32, "version %q is not 32 hex digits", first.ID.Version())
	second, err := client.SetSecret(ctx, name, azsecrets.SetSecretParameters{Value: to.Ptr("second")}, nil)
	check.NoError("set", err)
	check.OK("set", "%s", check.Deref(first.ID))

	latest, err := client.GetSecret(ctx, name, "", nil)
	check.NoError("get", err)
	check.Equal("get", "latest value", check.Deref(latest.Value), "second")
	old, err := client.GetSecret(ctx, name, first.ID.Version(), nil)
	check.NoError("get", err)
	check.Equal("get", "first version's value", check.Deref(old.Value), value)
	check.Equal("get", "first version's content type", check.Deref(old.ContentType), "text/plain")
	check.Equal("get", "first version's tag", check.Deref(old.Tags["lang"]), "go")
	check.OK("get", "latest and by version")

	for i := 0; i < 3; i++ {
		_, err := client.SetSecret(ctx, "go-list-"+string(rune('a'+i)), azsecrets.SetSecretParameters{Value: to.Ptr("x")}, nil)
		check.NoError("list", err)
	}
	var names []string
	for pager := client.NewListSecretPropertiesPager(nil); pager.More(); {
		page, err := pager.NextPage(ctx)
		check.NoError("list", err)
		for _, p := range page.Value {
			names = append(names, p.ID.Name())
		}
	}
	sort.Strings(names)
	check.Equal("list", "names", names, []string{"go-list-a", "go-list-b", "go-list-c", name})
	check.OK("list", "%v", names)

	versions := versionsOf(client, "versions", name)
	want := []string{first.ID.Version(), second.ID.Version()}
	sort.Strings(want)
	check.Equal("versions", "versions", versions, want)
	check.OK("versions", "%d", len(versions))

	updated, err := client.UpdateSecretProperties(ctx, name, first.ID.Version(), azsecrets.UpdateSecretPropertiesParameters{
		ContentType:      to.Ptr("application/json"),
		SecretAttributes: &azsecrets.SecretAttributes{Enabled: to.Ptr(false)},
		Tags:             map[string]*string{"k": to.Ptr("v")},
	}, nil)
	check.NoError("update", err)
	check.Equal("update", "content type", check.Deref(updated.ContentType), "application/json")
	check.Equal("update", "enabled", check.Deref(updated.Attributes.Enabled), false)
	check.Equal("update", "tags", len(updated.Tags), 1)
	_, err = client.GetSecret(ctx, name, first.ID.Version(), nil)
	check.Status("update", err, 403, "Forbidden", "disabled")
	check.OK("update", "disabled version refused")

	deleted, err := client.DeleteSecret(ctx, name, nil)
	check.NoError("delete", err)
	check.Equal("delete", "recovery id", check.Deref(deleted.RecoveryID), check.VaultURL()+"/deletedsecrets/"+name)
	check.True("delete", deleted.ScheduledPurgeDate.After(*deleted.DeletedDate), "purge date %v is not after the deletion %v", deleted.ScheduledPurgeDate, deleted.DeletedDate)
	got, err := client.GetDeletedSecret(ctx, name, nil)
	check.NoError("delete", err)
	check.Equal("delete", "deleted name", got.ID.Name(), name)
	_, err = client.SetSecret(ctx, name, azsecrets.SetSecretParameters{Value: to.Ptr("again")}, nil)
	check.Status("delete", err, 409, "Conflict", "deleted but recoverable")
	check.OK("delete", "%s", check.Deref(deleted.RecoveryID))

	_, err = client.RecoverDeletedSecret(ctx, name, nil)
	check.NoError("recover", err)
	check.Poll("recover", func() (bool, error) {
		_, err := client.GetSecret(ctx, name, "", nil)
		return err == nil, nil
	})
	recovered, err := client.GetSecret(ctx, name, "", nil)
	check.NoError("recover", err)
	check.Equal("recover", "value", check.Deref(recovered.Value), "second")
	check.OK("recover", "value back")

	backup, err := client.BackupSecret(ctx, name, nil)
	check.NoError("backup", err)
	check.True("backup", len(backup.Value) > 0, "empty backup")
	check.OK("backup", "%d bytes", len(backup.Value))

	_, err = client.DeleteSecret(ctx, name, nil)
	check.NoError("purge", err)
	_, err = client.PurgeDeletedSecret(ctx, name, nil)
	check.NoError("purge", err)
	_, err = client.GetDeletedSecret(ctx, name, nil)
	check.Status("purge", err, 404, "SecretNotFound", name)
	check.OK("purge", "gone")

	restored, err := client.RestoreSecret(ctx, azsecrets.RestoreSecretParameters{SecretBackup: backup.Value}, nil)
	check.NoError("restore", err)
	check.Equal("restore", "name", restored.ID.Name(), name)
	check.Equal("restore", "versions", versionsOf(client, "restore", name), want)
	_, err = client.GetSecret(ctx, name, first.ID.Version(), nil)
	check.Status("restore", err, 403, "Forbidden", "disabled")
	latest, err = client.GetSecret(ctx, name, "", nil)
	check.NoError("restore", err)
	check.Equal("restore", "latest value", check.Deref(latest.Value), "second")
	check.OK("restore", "%s", check.Deref(restored.ID))
}

// versionsOf lists the versions of a secret, sorted.
func versionsOf(client *azsecrets.Client, step, name string) []string {
	var versions []string
	for pager := client.NewListSecretPropertiesVersionsPager(name, nil); pager.More(); {
		page, err := pager.NextPage(check.Ctx)
		check.NoError(step, err)
		for _, p := range page.Value {
			versions = append(versions, p.ID.Version())
		}
	}
	sort.Strings(versions)
	return versions
}

// The Go twin of Azure's certificates quickstart: DefaultAzureCredential and https://NAME.vault.azure.net from the
// environment; create with the default policy, poll the operation, get, delete, wait for the deletion, and see Key
// Vault's 409 when the deleted name is created again. Usage: quickstart CERTIFICATE_NAME
package main

import (
	"os"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/security/keyvault/azcertificates"
	"kluis.test/programs/check"
)

func main() {
	ctx := check.Ctx
	if len(os.Args) != 2 {
		check.Failf("setup", "usage: quickstart CERTIFICATE_NAME")
	}
	name := os.Args[1]
	client, err := azcertificates.NewClient(check.VaultURL(), check.Credential(), nil)
	check.NoError("setup", err)

	// The policy the SDKs call the default one (Python's CertificatePolicy.get_default()).
	policy := azcertificates.CertificatePolicy{
		IssuerParameters:          &azcertificates.IssuerParameters{Name: to.Ptr("Self")},
		X509CertificateProperties: &azcertificates.X509CertificateProperties{Subject: to.Ptr("CN=DefaultPolicy"), ValidityInMonths: to.Ptr[int32](12)},
		KeyProperties:             &azcertificates.KeyProperties{KeyType: to.Ptr(azcertificates.KeyTypeRSA), KeySize: to.Ptr[int32](2048), Exportable: to.Ptr(true), ReuseKey: to.Ptr(false)},
		SecretProperties:          &azcertificates.SecretProperties{ContentType: to.Ptr("application/x-pkcs12")},
	}
	created, err := client.CreateCertificate(ctx, name, azcertificates.CreateCertificateParameters{CertificatePolicy: &policy}, nil)
	check.NoError("create", err)
	check.Equal("create", "status", check.Deref(created.Status), "inProgress")
	check.OK("create", "%s", check.Deref(created.ID))

	check.Poll("poll", func() (bool, error) {
		op, err := client.GetCertificateOperation(ctx, name, nil)
		return err == nil && check.Deref(op.Status) != "inProgress", err
	})
	op, err := client.GetCertificateOperation(ctx, name, nil)
	check.NoError("poll", err)
	check.Equal("poll", "status", check.Deref(op.Status), "completed")
	check.OK("poll", "%s", check.Deref(op.Status))

	got, err := client.GetCertificate(ctx, name, "", nil)
	check.NoError("get", err)
	check.Equal("get", "name", got.ID.Name(), name)
	check.Equal("get", "subject", check.Deref(got.Policy.X509CertificateProperties.Subject), "CN=DefaultPolicy")
	check.True("get", len(got.CER) > 0, "no certificate bytes")
	check.OK("get", "%s", check.Deref(got.ID))

	deleted, err := client.DeleteCertificate(ctx, name, nil)
	check.NoError("delete", err)
	check.True("delete", deleted.ScheduledPurgeDate != nil && deleted.DeletedDate != nil, "no deletion dates")
	check.Poll("delete", func() (bool, error) {
		_, err := client.GetDeletedCertificate(ctx, name, nil)
		return err == nil, nil
	})
	check.OK("delete", "%s", check.Deref(deleted.RecoveryID))

	_, err = client.CreateCertificate(ctx, name, azcertificates.CreateCertificateParameters{CertificatePolicy: &policy}, nil)
	check.Status("recreate", err, 409, "Conflict", "deleted but recoverable")
	check.OK("recreate", "409 Conflict")
}

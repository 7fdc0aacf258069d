// The certificates API through Go's azcertificates, as an unmodified program would: a self-signed EC certificate
// and its versions, policy and property updates, PFX and PEM imports, a CSR signed here (crypto/x509) and merged,
// backup and restore, delete/recover/purge, contacts and issuers. Configured by the environment only:
// KEY_VAULT_NAME, DefaultAzureCredential's variables, and CERT_DIR holding what a user brings along (leaf.pfx
// under CERT_PFX_PASSWORD, leaf-bundle.pem with the same key and certificate, and a CA: ca.pem, ca.key).
// Prints one "ok" line per step, exits 1 on any mismatch.
package main

import (
	"bytes"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/security/keyvault/azcertificates"
	"kluis.test/programs/check"
)

var ctx = check.Ctx

func main() {
	client, err := azcertificates.NewClient(check.VaultURL(), check.Credential(), nil)
	check.NoError("setup", err)
	dir := check.Env("CERT_DIR")
	leafDER := pemBlock("setup", readFile(filepath.Join(dir, "leaf-bundle.pem")), "CERTIFICATE")

	policy := azcertificates.CertificatePolicy{
		IssuerParameters: &azcertificates.IssuerParameters{Name: to.Ptr("Self")},
		KeyProperties:    &azcertificates.KeyProperties{KeyType: to.Ptr(azcertificates.KeyTypeEC), Curve: to.Ptr(azcertificates.CurveNameP384), Exportable: to.Ptr(true)},
		SecretProperties: &azcertificates.SecretProperties{ContentType: to.Ptr("application/x-pem-file")},
		X509CertificateProperties: &azcertificates.X509CertificateProperties{
			Subject:                 to.Ptr("CN=go.example.com"),
			SubjectAlternativeNames: &azcertificates.SubjectAlternativeNames{DNSNames: []*string{to.Ptr("go.example.com")}},
			ValidityInMonths:        to.Ptr[int32](3),
		},
	}
	first := createAndWait(client, "create", "go-ec", policy)
	cert, err := x509.ParseCertificate(first.CER)
	check.NoError("create", err)
	check.Equal("create", "subject", cert.Subject.String(), "CN=go.example.com")
	check.Equal("create", "DNS names", cert.DNSNames, []string{"go.example.com"})
	check.Equal("create", "key algorithm", cert.PublicKeyAlgorithm, x509.ECDSA)
	got, err := client.GetCertificatePolicy(ctx, "go-ec", nil)
	check.NoError("create", err)
	check.Equal("create", "policy curve", check.Deref(got.KeyProperties.Curve), azcertificates.CurveNameP384)
	check.Equal("create", "policy content type", check.Deref(got.SecretProperties.ContentType), "application/x-pem-file")
	check.Equal("create", "policy validity", check.Deref(got.X509CertificateProperties.ValidityInMonths), int32(3))
	check.OK("create", "%s", check.Deref(first.ID))

	second := createAndWait(client, "versions", "go-ec", policy)
	var versions []string
	for pager := client.NewListCertificatePropertiesVersionsPager("go-ec", nil); pager.More(); {
		page, err := pager.NextPage(ctx)
		check.NoError("versions", err)
		for _, p := range page.Value {
			versions = append(versions, p.ID.Version())
		}
	}
	want := []string{first.ID.Version(), second.ID.Version()}
	sort.Strings(versions)
	sort.Strings(want)
	check.Equal("versions", "versions", versions, want)
	check.OK("versions", "%d", len(versions))

	updatedPolicy, err := client.UpdateCertificatePolicy(ctx, "go-ec", azcertificates.CertificatePolicy{
		X509CertificateProperties: &azcertificates.X509CertificateProperties{ValidityInMonths: to.Ptr[int32](6)},
		LifetimeActions: []*azcertificates.LifetimeAction{{
			Action:  &azcertificates.LifetimeActionType{ActionType: to.Ptr(azcertificates.CertificatePolicyActionEmailContacts)},
			Trigger: &azcertificates.LifetimeActionTrigger{DaysBeforeExpiry: to.Ptr[int32](10)},
		}},
	}, nil)
	check.NoError("policy-update", err)
	check.Equal("policy-update", "validity", check.Deref(updatedPolicy.X509CertificateProperties.ValidityInMonths), int32(6))
	check.Equal("policy-update", "subject kept", check.Deref(updatedPolicy.X509CertificateProperties.Subject), "CN=go.example.com")
	check.Equal("policy-update", "curve kept", check.Deref(updatedPolicy.KeyProperties.Curve), azcertificates.CurveNameP384)
	check.True("policy-update", len(updatedPolicy.LifetimeActions) == 1 && check.Deref(updatedPolicy.LifetimeActions[0].Trigger.DaysBeforeExpiry) == 10,
		"lifetime actions not replaced")
	check.OK("policy-update", "validity 6 months")

	updated, err := client.UpdateCertificate(ctx, "go-ec", first.ID.Version(), azcertificates.UpdateCertificateParameters{
		CertificateAttributes: &azcertificates.CertificateAttributes{Enabled: to.Ptr(false)},
		Tags:                  map[string]*string{"lang": to.Ptr("go")},
	}, nil)
	check.NoError("update", err)
	check.Equal("update", "enabled", check.Deref(updated.Attributes.Enabled), false)
	check.Equal("update", "tag", check.Deref(updated.Tags["lang"]), "go")
	check.OK("update", "first version disabled")

	pfx := readFile(filepath.Join(dir, "leaf.pfx"))
	_, err = client.ImportCertificate(ctx, "go-bad", azcertificates.ImportCertificateParameters{
		Base64EncodedCertificate: to.Ptr(base64.StdEncoding.EncodeToString(pfx)), Password: to.Ptr("wrong"),
	}, nil)
	check.Status("import-pfx", err, 400, "BadParameter", "")
	imported, err := client.ImportCertificate(ctx, "go-pfx", azcertificates.ImportCertificateParameters{
		Base64EncodedCertificate: to.Ptr(base64.StdEncoding.EncodeToString(pfx)), Password: to.Ptr(check.Env("CERT_PFX_PASSWORD")),
	}, nil)
	check.NoError("import-pfx", err)
	check.True("import-pfx", bytes.Equal(imported.CER, leafDER), "imported certificate differs from the PFX's")
	check.Equal("import-pfx", "issuer", check.Deref(imported.Policy.IssuerParameters.Name), "Unknown")
	check.Equal("import-pfx", "content type", check.Deref(imported.Policy.SecretProperties.ContentType), "application/x-pkcs12")
	check.OK("import-pfx", "%s", check.Deref(imported.ID))

	// PEM is imported as its text, with the policy saying so.
	imported, err = client.ImportCertificate(ctx, "go-pem", azcertificates.ImportCertificateParameters{
		Base64EncodedCertificate: to.Ptr(string(readFile(filepath.Join(dir, "leaf-bundle.pem")))),
		CertificatePolicy:        &azcertificates.CertificatePolicy{SecretProperties: &azcertificates.SecretProperties{ContentType: to.Ptr("application/x-pem-file")}},
	}, nil)
	check.NoError("import-pem", err)
	check.True("import-pem", bytes.Equal(imported.CER, leafDER), "imported certificate differs from the PEM's")
	check.Equal("import-pem", "content type", check.Deref(imported.Policy.SecretProperties.ContentType), "application/x-pem-file")
	check.OK("import-pem", "%s", check.Deref(imported.ID))

	merge(client, dir)

	backup, err := client.BackupCertificate(ctx, "go-ec", nil)
	check.NoError("backup", err)
	deleteAndPurge(client, "backup", "go-ec")
	restored, err := client.RestoreCertificate(ctx, azcertificates.RestoreCertificateParameters{CertificateBackup: backup.Value}, nil)
	check.NoError("restore", err)
	check.Equal("restore", "id", check.Deref(restored.ID), check.Deref(second.ID))
	check.True("restore", bytes.Equal(restored.CER, second.CER), "restored certificate differs")
	check.OK("restore", "%s", check.Deref(restored.ID))

	deleted, err := client.DeleteCertificate(ctx, "go-pfx", nil)
	check.NoError("recover", err)
	check.Equal("recover", "recovery id", check.Deref(deleted.RecoveryID), check.VaultURL()+"/deletedcertificates/go-pfx")
	waitDeleted(client, "recover", "go-pfx")
	var deletedNames []string
	for pager := client.NewListDeletedCertificatePropertiesPager(nil); pager.More(); {
		page, err := pager.NextPage(ctx)
		check.NoError("recover", err)
		for _, d := range page.Value {
			deletedNames = append(deletedNames, d.ID.Name())
		}
	}
	check.True("recover", slices.Contains(deletedNames, "go-pfx"), "deleted certificates %v lack go-pfx", deletedNames)
	_, err = client.RecoverDeletedCertificate(ctx, "go-pfx", nil)
	check.NoError("recover", err)
	check.Poll("recover", func() (bool, error) {
		_, err := client.GetCertificate(ctx, "go-pfx", "", nil)
		return err == nil, nil
	})
	check.OK("recover", "go-pfx back")
	deleteAndPurge(client, "purge", "go-pfx")
	check.OK("purge", "go-pfx gone")

	_, err = client.SetContacts(ctx, azcertificates.Contacts{ContactList: []*azcertificates.Contact{{Email: to.Ptr("go@example.com"), Name: to.Ptr("Go")}}}, nil)
	check.NoError("contacts", err)
	contacts, err := client.GetContacts(ctx, nil)
	check.NoError("contacts", err)
	check.True("contacts", len(contacts.ContactList) == 1 && check.Deref(contacts.ContactList[0].Email) == "go@example.com", "contacts: %+v", contacts.ContactList)
	_, err = client.DeleteContacts(ctx, nil)
	check.NoError("contacts", err)
	_, err = client.GetContacts(ctx, nil)
	check.Status("contacts", err, 404, "ContactsNotFound", "")
	check.OK("contacts", "set, read, deleted")

	issuer, err := client.SetIssuer(ctx, "go-issuer", azcertificates.SetIssuerParameters{
		Provider:    to.Ptr("Test"),
		Credentials: &azcertificates.IssuerCredentials{AccountID: to.Ptr("acct"), Password: to.Ptr("pw")},
		OrganizationDetails: &azcertificates.OrganizationDetails{AdminContacts: []*azcertificates.AdministratorContact{
			{Email: to.Ptr("admin@example.com"), FirstName: to.Ptr("Ada")},
		}},
	}, nil)
	check.NoError("issuers", err)
	check.Equal("issuers", "provider", check.Deref(issuer.Provider), "Test")
	check.Equal("issuers", "account", check.Deref(issuer.Credentials.AccountID), "acct")
	_, err = client.UpdateIssuer(ctx, "go-issuer", azcertificates.UpdateIssuerParameters{Credentials: &azcertificates.IssuerCredentials{AccountID: to.Ptr("acct2")}}, nil)
	check.NoError("issuers", err)
	gotIssuer, err := client.GetIssuer(ctx, "go-issuer", nil)
	check.NoError("issuers", err)
	check.Equal("issuers", "updated account", check.Deref(gotIssuer.Credentials.AccountID), "acct2")
	check.Equal("issuers", "admin kept", check.Deref(gotIssuer.OrganizationDetails.AdminContacts[0].Email), "admin@example.com")
	var issuers []string
	for pager := client.NewListIssuerPropertiesPager(nil); pager.More(); {
		page, err := pager.NextPage(ctx)
		check.NoError("issuers", err)
		for _, i := range page.Value {
			issuers = append(issuers, filepath.Base(check.Deref(i.ID)))
		}
	}
	check.Equal("issuers", "listed", issuers, []string{"go-issuer"})
	_, err = client.DeleteIssuer(ctx, "go-issuer", nil)
	check.NoError("issuers", err)
	_, err = client.GetIssuer(ctx, "go-issuer", nil)
	check.Status("issuers", err, 404, "CertificateIssuerNotFound", "go-issuer")
	check.OK("issuers", "created, updated, listed, deleted")
}

// createAndWait creates a version and polls its operation to completion (Go's client has no poller).
func createAndWait(client *azcertificates.Client, step, name string, policy azcertificates.CertificatePolicy) azcertificates.GetCertificateResponse {
	_, err := client.CreateCertificate(ctx, name, azcertificates.CreateCertificateParameters{CertificatePolicy: &policy}, nil)
	check.NoError(step, err)
	check.Poll(step, func() (bool, error) {
		op, err := client.GetCertificateOperation(ctx, name, nil)
		return err == nil && check.Deref(op.Status) != "inProgress", err
	})
	op, err := client.GetCertificateOperation(ctx, name, nil)
	check.NoError(step, err)
	check.Equal(step, "operation status", check.Deref(op.Status), "completed")
	cert, err := client.GetCertificate(ctx, name, "", nil)
	check.NoError(step, err)
	return cert
}

// merge: a certificate for an Unknown issuer waits for its CSR to be signed (here, by the CA in CERT_DIR) and merged.
func merge(client *azcertificates.Client, dir string) {
	const step = "merge"
	_, err := client.CreateCertificate(ctx, "go-merge", azcertificates.CreateCertificateParameters{CertificatePolicy: &azcertificates.CertificatePolicy{
		IssuerParameters:          &azcertificates.IssuerParameters{Name: to.Ptr("Unknown")},
		X509CertificateProperties: &azcertificates.X509CertificateProperties{Subject: to.Ptr("CN=go-merge")},
	}}, nil)
	check.NoError(step, err)
	op, err := client.GetCertificateOperation(ctx, "go-merge", nil)
	check.NoError(step, err)
	check.Equal(step, "status", check.Deref(op.Status), "inProgress")
	csr, err := x509.ParseCertificateRequest(op.CSR)
	check.NoError(step, err)
	check.NoError(step, csr.CheckSignature())
	check.Equal(step, "CSR subject", csr.Subject.String(), "CN=go-merge")

	ca, err := x509.ParseCertificate(pemBlock(step, readFile(filepath.Join(dir, "ca.pem")), "CERTIFICATE"))
	check.NoError(step, err)
	caKey, err := x509.ParsePKCS8PrivateKey(pemBlock(step, readFile(filepath.Join(dir, "ca.key")), "PRIVATE KEY"))
	check.NoError(step, err)
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 120))
	check.NoError(step, err)
	template := &x509.Certificate{
		SerialNumber: serial, Subject: csr.Subject, NotBefore: time.Now().Add(-time.Minute), NotAfter: time.Now().AddDate(0, 1, 0),
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	signed, err := x509.CreateCertificate(rand.Reader, template, ca, csr.PublicKey, caKey)
	check.NoError(step, err)

	merged, err := client.MergeCertificate(ctx, "go-merge", azcertificates.MergeCertificateParameters{X509Certificates: [][]byte{signed}}, nil)
	check.NoError(step, err)
	check.True(step, bytes.Equal(merged.CER, signed), "merged certificate differs from the signed one")
	op, err = client.GetCertificateOperation(ctx, "go-merge", nil)
	check.NoError(step, err)
	check.Equal(step, "status after merge", check.Deref(op.Status), "completed")
	check.OK(step, "%s", check.Deref(merged.ID))
}

// deleteAndPurge deletes, waits for the deleted certificate to show (as Azure needs), purges, and checks it is gone.
func deleteAndPurge(client *azcertificates.Client, step, name string) {
	_, err := client.DeleteCertificate(ctx, name, nil)
	check.NoError(step, err)
	waitDeleted(client, step, name)
	_, err = client.PurgeDeletedCertificate(ctx, name, nil)
	check.NoError(step, err)
	_, err = client.GetDeletedCertificate(ctx, name, nil)
	check.Status(step, err, 404, "CertificateNotFound", name)
}

func waitDeleted(client *azcertificates.Client, step, name string) {
	check.Poll(step, func() (bool, error) {
		_, err := client.GetDeletedCertificate(ctx, name, nil)
		return err == nil, nil
	})
}

func readFile(path string) []byte {
	data, err := os.ReadFile(path)
	check.NoError("setup", err)
	return data
}

// pemBlock is the DER of the first block of this type.
func pemBlock(step string, data []byte, kind string) []byte {
	for {
		var block *pem.Block
		block, data = pem.Decode(data)
		if block == nil {
			check.Failf(step, "no %s block", kind)
		}
		if block.Type == kind {
			return block.Bytes
		}
	}
}

// Package check is what the Go client programs share: the vault URL and credential from the environment only, and
// assertions that stop the program with a clear message (exit 1) on the first mismatch.
package check

import (
	"context"
	"errors"
	"fmt"
	"os"
	"reflect"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
)

// Ctx bounds every program: a server that stops answering fails the run instead of hanging it.
var Ctx, _ = context.WithTimeout(context.Background(), 3*time.Minute)

// VaultURL is https://$KEY_VAULT_NAME.vault.azure.net, as a program written for Azure addresses its vault.
func VaultURL() string {
	name := os.Getenv("KEY_VAULT_NAME")
	if name == "" {
		Failf("setup", "KEY_VAULT_NAME is not set")
	}
	return "https://" + name + ".vault.azure.net"
}

// Credential is DefaultAzureCredential: AZURE_CLIENT_ID/AZURE_CLIENT_SECRET/AZURE_TENANT_ID from the environment.
func Credential() azcore.TokenCredential {
	cred, err := azidentity.NewDefaultAzureCredential(nil)
	NoError("setup", err)
	return cred
}

// Env is a required environment variable.
func Env(name string) string {
	v := os.Getenv(name)
	if v == "" {
		Failf("setup", "%s is not set", name)
	}
	return v
}

// Failf prints the step and the reason on stderr and exits 1.
func Failf(step, format string, args ...any) {
	fmt.Fprintf(os.Stderr, "FAIL %s: %s\n", step, fmt.Sprintf(format, args...))
	os.Exit(1)
}

// NoError fails the step on an error, with the service's status and error code when it answered.
func NoError(step string, err error) {
	if err != nil {
		Failf(step, "%v", err)
	}
}

// Equal fails the step unless got deep-equals want.
func Equal[T any](step, what string, got, want T) {
	if !reflect.DeepEqual(got, want) {
		Failf(step, "%s: got %#v, want %#v", what, got, want)
	}
}

// True fails the step unless cond holds.
func True(step string, cond bool, format string, args ...any) {
	if !cond {
		Failf(step, format, args...)
	}
}

// Status fails the step unless err is the service's answer with this HTTP status and error code, and its text
// holds `words`.
func Status(step string, err error, status int, code, words string) {
	var re *azcore.ResponseError
	if !errors.As(err, &re) {
		Failf(step, "want HTTP %d %s, got %v", status, code, err)
	}
	if re.StatusCode != status || re.ErrorCode != code || !strings.Contains(re.Error(), words) {
		Failf(step, "want HTTP %d %s saying %q, got %v", status, code, words, err)
	}
}

// OK reports a step that passed, with what it saw.
func OK(step string, format string, args ...any) {
	fmt.Printf("ok %s: %s\n", step, fmt.Sprintf(format, args...))
}

// Poll calls f every 200ms until it reports done, for at most a minute (Go's Key Vault clients have no pollers).
func Poll(step string, f func() (bool, error)) {
	for i := 0; i < 300; i++ {
		done, err := f()
		NoError(step, err)
		if done {
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
	Failf(step, "still not done after a minute")
}

// Deref is *p, or the zero value for nil, so that a missing field compares as a mismatch instead of a panic.
func Deref[T any](p *T) T {
	if p == nil {
		var zero T
		return zero
	}
	return *p
}

package main

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net/http"
	"net/url"
	"os"

	"github.com/mttq-vn/ledger/api"
)

// newAPIClient returns a client of the ledger at url. A ledger serving
// HTTPS with a certificate of a private CA is reached by naming that CA's
// certificate in LEDGER_CA_FILE.
func newAPIClient(url, token string) (*api.Client, error) {
	return newAPIClientCA(url, token, os.Getenv("LEDGER_CA_FILE"))
}

// newAPIClientCA returns a client of the ledger at url that trusts the PEM
// certificates in caFile besides the system's roots ("" for the system's
// only).
func newAPIClientCA(base, token, caFile string) (*api.Client, error) {
	if u, err := url.Parse(base); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, usageErrorf("--url must be the ledger's base URL, such as http://127.0.0.1:8080 or https://ledger.example.vn, not %q", base)
	}
	c := api.NewClient(base, token)
	if caFile == "" {
		return c, nil
	}
	pem, err := os.ReadFile(caFile)
	if err != nil {
		return nil, fmt.Errorf("read the CA file: %w", err)
	}
	pool, err := x509.SystemCertPool()
	if err != nil || pool == nil {
		pool = x509.NewCertPool()
	}
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("the CA file %s holds no PEM certificate", caFile)
	}
	if t, ok := c.HTTPClient.Transport.(*http.Transport); ok {
		t.TLSClientConfig = &tls.Config{MinVersion: tls.VersionTLS12, RootCAs: pool}
	}
	return c, nil
}

package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"

	"github.com/mttq-vn/ledger/api"
	"github.com/mttq-vn/ledger/events"
)

// testCerts are PEM files of a CA made for one test and of a server
// certificate it signed for 127.0.0.1 and localhost.
type testCerts struct {
	CA, Cert, Key string
}

// mustMakeCerts writes a fresh CA and a server certificate signed by it
// into a temporary folder.
func mustMakeCerts(t *testing.T) testCerts {
	t.Helper()
	dir := t.TempDir()
	write := func(name, typ string, der []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "ledger test CA"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour), KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, DNSNames: []string{"localhost"}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return testCerts{CA: write("ca.pem", "CERTIFICATE", caDER), Cert: write("server.pem", "CERTIFICATE", der), Key: write("server.key", "EC PRIVATE KEY", keyDER)}
}

// TestServeTLS serves the API over HTTPS with a certificate from a CA made
// here: clients and the health check that trust the CA are served, plain
// HTTP to the port and clients that do not trust it are refused.
func TestServeTLS(t *testing.T) {
	certs := mustMakeCerts(t)
	dir := t.TempDir()
	m := MustRunMain(t, dir, func(c *ServeConfig) { c.TLSCert, c.TLSKey = certs.Cert, certs.Key })
	u := m.HTTPServer.URL()
	if !strings.HasPrefix(u, "https://") {
		t.Fatalf("URL %s, want https://", u)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	cl, err := newAPIClientCA(u, adminToken(t, dir), certs.CA)
	if err != nil {
		t.Fatal(err)
	}
	if err := cl.Ready(ctx); err != nil {
		t.Fatalf("ready over TLS: %v", err)
	}
	if _, err := cl.CreateToken(ctx, api.TokenRequest{Name: "Thanh tra", Role: events.RoleInspector}); err != nil {
		t.Fatalf("write over TLS: %v", err)
	}
	if code, out, errOut := runCLI(t, "healthcheck", "--url", u, "--ca-file", certs.CA); code != 0 {
		t.Errorf("healthcheck with the CA: exit %d %s%s", code, out, errOut)
	}
	t.Setenv("LEDGER_CA_FILE", certs.CA)
	if code, _, errOut := runCLI(t, "verify", "--url", u, "--token-file", filepath.Join(dir, "admin.token"), "--key-file", filepath.Join(dir, "checkpoint.pub")); code != 0 {
		t.Errorf("verify --url https:// with LEDGER_CA_FILE: exit %d %s", code, errOut)
	}
	t.Setenv("LEDGER_CA_FILE", "")

	// Refused: a client that does not trust the CA, and plain HTTP.
	if code, _, errOut := runCLI(t, "healthcheck", "--url", u); code != 1 || !strings.Contains(errOut, "certificate") {
		t.Errorf("healthcheck without the CA: exit %d %s, want 1 naming the certificate", code, errOut)
	}
	plain := "http://" + strings.TrimPrefix(u, "https://")
	resp, err := http.Get(plain + "/v1/log/key")
	if err == nil {
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest || strings.Contains(string(body), "note") || !strings.Contains(string(body), "HTTPS") {
			t.Errorf("plain HTTP to the TLS port: %d %s, want 400 and no answer", resp.StatusCode, body)
		}
	}

	// A certificate without its key is a usage error; a bad pair fails the
	// start with a message.
	if code, _, errOut := runCLI(t, "serve", "--data", t.TempDir(), "--tls-cert", certs.Cert); code != 2 || !strings.Contains(errOut, "--tls-key") {
		t.Errorf("--tls-cert alone: exit %d %s", code, errOut)
	}
	if code, _, errOut := runCLI(t, "serve", "--data", t.TempDir(), "--http", "127.0.0.1:0", "--tls-cert", certs.CA, "--tls-key", certs.Key); code != 1 || !strings.Contains(errOut, "TLS certificate") {
		t.Errorf("--tls-cert not matching the key: exit %d %s", code, errOut)
	}
}

// startAuthNATS starts a JetStream server on loopback that requires the
// user "ledger" with password, and TLS with certs if given.
func startAuthNATS(t *testing.T, password string, certs *testCerts) *server.Server {
	t.Helper()
	opts := &server.Options{Host: "127.0.0.1", Port: server.RANDOM_PORT, JetStream: true, StoreDir: t.TempDir(), NoSigs: true, SyncAlways: true,
		Users: []*server.User{{Username: "ledger", Password: password}}}
	if certs != nil {
		tc, err := server.GenTLSConfig(&server.TLSConfigOpts{CertFile: certs.Cert, KeyFile: certs.Key})
		if err != nil {
			t.Fatal(err)
		}
		opts.TLS, opts.TLSConfig, opts.TLSTimeout = true, tc, 2
	}
	s, err := server.NewServer(opts)
	if err != nil {
		t.Fatal(err)
	}
	go s.Start()
	if !s.ReadyForConnections(10 * time.Second) {
		t.Fatal("NATS not ready")
	}
	t.Cleanup(func() { s.Shutdown(); s.WaitForShutdown() })
	return s
}

// serveFails runs `ledger serve` with args and checks that it exits 1
// within 20 s with a message containing want.
func serveFails(t *testing.T, want string, args ...string) {
	t.Helper()
	start := time.Now()
	code, _, errOut := runCLI(t, append([]string{"serve", "--data", t.TempDir(), "--http", "127.0.0.1:0"}, args...)...)
	if d := time.Since(start); d > 20*time.Second {
		t.Errorf("serve %v took %v to give up", args, d)
	}
	if code != 1 || !strings.Contains(errOut, want) || strings.Contains(errOut, "panic") {
		t.Errorf("serve %v: exit %d\n%s\nwant exit 1 and %q", args, code, errOut, want)
	}
}

// TestServeNATSCredentials runs serve against a NATS server that requires
// a user and password: the right ones connect, wrong or missing ones fail
// at once with a message that names what to check.
func TestServeNATSCredentials(t *testing.T) {
	t.Setenv("LEDGER_NATS_PASSWORD", "")
	s := startAuthNATS(t, "s3cret-pw", nil)
	url := s.ClientURL()

	dir := t.TempDir()
	m := MustRunMain(t, dir, func(c *ServeConfig) { c.NATSURL, c.NATSUser, c.NATSPassword = url, "ledger", "s3cret-pw" })
	// The first admin token's event is acknowledged before serve returns;
	// the ledger's follower applies it a moment later.
	wctx, wcancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer wcancel()
	if err := m.Ledger.WaitApplied(wctx, 1); !m.Ledger.Ready() || err != nil || m.Ledger.Size() != 1 {
		t.Fatalf("ledger on an authenticated NATS: ready %v, %d events (%v)", m.Ledger.Ready(), m.Ledger.Size(), err)
	}
	m.Close()
	// The password may come from the environment instead of the command line.
	t.Setenv("LEDGER_NATS_PASSWORD", "s3cret-pw")
	MustRunMain(t, dir, func(c *ServeConfig) { c.NATSURL, c.NATSUser = url, "ledger" }).Close()
	t.Setenv("LEDGER_NATS_PASSWORD", "")

	serveFails(t, "refused the ledger's credentials", "--nats-url", url, "--nats-user", "ledger", "--nats-password", "wrong")
	serveFails(t, "refused the ledger's credentials", "--nats-url", url)
}

// TestServeNATSTLS runs serve against a NATS server that requires TLS with
// a certificate of a CA made here, and a password.
func TestServeNATSTLS(t *testing.T) {
	t.Setenv("LEDGER_NATS_PASSWORD", "")
	certs := mustMakeCerts(t)
	s := startAuthNATS(t, "s3cret-pw", &certs)
	url := s.ClientURL() // tls://127.0.0.1:port

	m := MustRunMain(t, "", func(c *ServeConfig) {
		c.NATSURL, c.NATSUser, c.NATSPassword, c.NATSTLSCA = url, "ledger", "s3cret-pw", certs.CA
	})
	if !m.Ledger.Ready() {
		t.Fatal("not ready over NATS TLS")
	}
	if !m.Conn.TLSRequired() {
		t.Error("the NATS connection is not TLS")
	}
	m.Close()

	serveFails(t, "is not trusted", "--nats-url", url, "--nats-user", "ledger", "--nats-password", "s3cret-pw")
	serveFails(t, "refused the ledger's credentials", "--nats-url", url, "--nats-user", "ledger", "--nats-password", "wrong", "--nats-tls-ca", certs.CA)
	serveFails(t, "--nats-tls-ca", "--nats-url", url, "--nats-tls-ca", filepath.Join(t.TempDir(), "missing.pem"))
}

// TestEmbeddedNATSListenRequiresAuth checks that the port --nats-listen
// opens on the embedded server takes no client without the password, which
// is made on first start and kept in DATA/nats.password.
func TestEmbeddedNATSListenRequiresAuth(t *testing.T) {
	t.Setenv("LEDGER_NATS_PASSWORD", "")
	dir := t.TempDir()
	m := MustRunMain(t, dir, func(c *ServeConfig) { c.NATSListen = "127.0.0.1:0" })
	url := m.NATSServer.ClientURL()
	if nc, err := nats.Connect(url, nats.Timeout(5*time.Second)); err == nil {
		nc.Close()
		t.Fatal("a client without credentials connected to --nats-listen")
	} else if !strings.Contains(strings.ToLower(err.Error()), "authorization") {
		t.Fatalf("without credentials: %v, want an authorization violation", err)
	}
	pwFile := filepath.Join(dir, "nats.password")
	fi, err := os.Stat(pwFile)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("%s: %v %v, want a file readable by its owner only", pwFile, fi, err)
	}
	pw := readFileTrim(t, pwFile)
	nc, err := nats.Connect(url, nats.UserInfo("ledger", pw), nats.Timeout(5*time.Second))
	if err != nil {
		t.Fatalf("with the password of %s: %v", pwFile, err)
	}
	nc.Close()
	// The ledger itself (connected in process) works as before.
	if _, err := api.NewClient(m.HTTPServer.URL(), adminToken(t, dir)).CreateToken(context.Background(), api.TokenRequest{Name: "x", Role: events.RoleInspector}); err != nil {
		t.Fatal(err)
	}
	// A restart keeps the password.
	m.Close()
	m = MustRunMain(t, dir, func(c *ServeConfig) { c.NATSListen = "127.0.0.1:0" })
	if nc, err := nats.Connect(m.NATSServer.ClientURL(), nats.UserInfo("ledger", pw), nats.Timeout(5*time.Second)); err != nil {
		t.Fatalf("after a restart: %v", err)
	} else {
		nc.Close()
	}
}

// TestRevocationReachesReplicas runs two serve replicas on one NATS server
// and revokes a token through the first: the second refuses it within 1 s
// of the revocation's answer. The wait is bounded, not a sleep: the second
// replica's follower is waited for up to the deadline, then asked.
func TestRevocationReachesReplicas(t *testing.T) {
	srv, err := startTCPServer(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Shutdown(); srv.WaitForShutdown() })
	dir1 := t.TempDir()
	m1 := MustRunMain(t, dir1, func(c *ServeConfig) { c.NATSURL = srv.ClientURL() })
	m2 := MustRunMain(t, "", func(c *ServeConfig) { c.NATSURL, c.KeyFile = srv.ClientURL(), filepath.Join(dir1, "checkpoint.key") })
	admin := api.NewClient(m1.HTTPServer.URL(), adminToken(t, dir1))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	for i := range 3 {
		tok, err := admin.CreateToken(ctx, api.TokenRequest{Name: "Thanh tra viên", Role: events.RoleInspector})
		if err != nil {
			t.Fatal(err)
		}
		if err := m2.Ledger.WaitApplied(ctx, tok.Position); err != nil {
			t.Fatal(err)
		}
		onReplica2 := api.NewClient(m2.HTTPServer.URL(), tok.Token)
		if err := onReplica2.Checkpoints(ctx, func(uint64, []byte) error { return nil }); err != nil {
			t.Fatalf("the new token on replica 2: %v", err)
		}
		res, err := admin.RevokeToken(ctx, tok.ID, "Thôi nhiệm vụ.")
		if err != nil {
			t.Fatal(err)
		}
		revoked := time.Now()
		wctx, wcancel := context.WithDeadline(ctx, revoked.Add(time.Second))
		err = m2.Ledger.WaitApplied(wctx, res.Position)
		wcancel()
		if err != nil {
			t.Fatalf("round %d: replica 2 did not apply the revocation (position %d) within 1 s: %v", i, res.Position, err)
		}
		err = onReplica2.Checkpoints(ctx, func(uint64, []byte) error { return nil })
		took := time.Since(revoked)
		if events.ErrorCode(err) != events.EUnauthorized || !strings.Contains(events.ErrorMessage(err), "revoked") {
			t.Fatalf("round %d: the revoked token on replica 2: %v, want unauthorized (revoked)", i, err)
		}
		if took > time.Second {
			t.Errorf("round %d: replica 2 refused the token %v after the revocation, want within 1 s", i, took)
		}
		t.Logf("round %d: replica 2 refused the revoked token %v after the revocation was acknowledged", i, took)
	}
	// Both replicas still agree on the log.
	if settle(t, ctx, m1) != settle(t, ctx, m2) || m1.Ledger.Size() != m2.Ledger.Size() {
		t.Errorf("replicas at %d and %d events", m1.Ledger.Size(), m2.Ledger.Size())
	}
}

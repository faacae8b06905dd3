package main

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/nats-io/nats-server/v2/server"
	"go.yaml.in/yaml/v4"
)

// No Docker engine runs in CI, so these tests read docker-compose.yml and
// cmd/ledger/Dockerfile and check them against the code: every ledger
// service's command is parsed by the real serve flag set (an unknown flag
// or an invalid combination fails), every NATS node's command and
// configuration by the real nats-server option parser, and the ports,
// health checks, volumes, networks and build stages are checked against
// each other and against the binary's defaults.

// composeFile is the part of the Compose specification the deployment
// uses. It is decoded strictly: a misspelt key fails the test.
type composeFile struct {
	Name     string                    `yaml:"name"`
	XNATS    any                       `yaml:"x-nats"`
	XLedger  any                       `yaml:"x-ledger"`
	Services map[string]composeService `yaml:"services"`
	Configs  map[string]struct {
		Content string `yaml:"content"`
	} `yaml:"configs"`
	Networks map[string]any `yaml:"networks"`
	Volumes  map[string]any `yaml:"volumes"`
}

type composeService struct {
	Image string `yaml:"image"`
	Build *struct {
		Context    string `yaml:"context"`
		Dockerfile string `yaml:"dockerfile"`
	} `yaml:"build"`
	Command     []string          `yaml:"command"`
	Environment map[string]string `yaml:"environment"`
	Configs     []struct {
		Source string `yaml:"source"`
		Target string `yaml:"target"`
	} `yaml:"configs"`
	Volumes     []string `yaml:"volumes"`
	Ports       []string `yaml:"ports"`
	Networks    []string `yaml:"networks"`
	Profiles    []string `yaml:"profiles"`
	Healthcheck *struct {
		Test        []string `yaml:"test"`
		Interval    string   `yaml:"interval"`
		Timeout     string   `yaml:"timeout"`
		Retries     int      `yaml:"retries"`
		StartPeriod string   `yaml:"start_period"`
	} `yaml:"healthcheck"`
	DependsOn map[string]struct {
		Condition string `yaml:"condition"`
	} `yaml:"depends_on"`
	Restart  string `yaml:"restart"`
	Hostname string `yaml:"hostname"`
}

// composeEnv is the environment the tests interpolate the file with, as
// the operator's .env would provide it.
var composeEnv = map[string]string{"LEDGER_NATS_PASSWORD": "compose-test-password"}

// interpolate applies Compose's variable syntax: $$ is a dollar sign,
// ${VAR}, ${VAR:-default} and ${VAR:?error} read env.
func interpolate(s string, env map[string]string) (string, error) {
	re := regexp.MustCompile(`\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(:?[-?])?([^}]*)\}`)
	var err error
	out := re.ReplaceAllStringFunc(s, func(m string) string {
		if m == "$$" {
			return "$"
		}
		g := re.FindStringSubmatch(m)
		v, ok := env[g[1]]
		switch {
		case ok && v != "":
			return v
		case strings.HasSuffix(g[2], "?"):
			err = fmt.Errorf("%s is required: %s", g[1], g[3])
		case strings.HasSuffix(g[2], "-"):
			return g[3]
		}
		return v
	})
	return out, err
}

func mustReadCompose(t *testing.T, env map[string]string) *composeFile {
	t.Helper()
	raw, err := os.ReadFile("../../docker-compose.yml")
	if err != nil {
		t.Fatal(err)
	}
	text, err := interpolate(string(raw), env)
	if err != nil {
		t.Fatal(err)
	}
	dec := yaml.NewDecoder(strings.NewReader(text))
	dec.KnownFields(true)
	var f composeFile
	if err := dec.Decode(&f); err != nil {
		t.Fatalf("docker-compose.yml: %v", err)
	}
	return &f
}

// dockerfile is what the tests need of cmd/ledger/Dockerfile.
type dockerfile struct {
	stages []dockerStage
}

type dockerStage struct {
	from, name string
	lines      []string // instructions after FROM, continuation lines joined
}

func mustReadDockerfile(t *testing.T) *dockerfile {
	t.Helper()
	raw, err := os.ReadFile("Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	var d dockerfile
	var cont string
	for line := range strings.SplitSeq(string(raw), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if l, ok := strings.CutSuffix(line, "\\"); ok {
			cont += l + " "
			continue
		}
		line, cont = cont+line, ""
		f := strings.Fields(line)
		if strings.EqualFold(f[0], "FROM") {
			st := dockerStage{from: f[1]}
			if len(f) == 4 && strings.EqualFold(f[2], "AS") {
				st.name = f[3]
			}
			d.stages = append(d.stages, st)
			continue
		}
		if len(d.stages) == 0 {
			t.Fatalf("Dockerfile: %q before the first FROM", line)
		}
		last := &d.stages[len(d.stages)-1]
		last.lines = append(last.lines, line)
	}
	return &d
}

// instr returns the arguments of every instruction named name in st.
func (st *dockerStage) instr(name string) []string {
	var out []string
	for _, l := range st.lines {
		if k, rest, ok := strings.Cut(l, " "); ok && strings.EqualFold(k, name) {
			out = append(out, strings.TrimSpace(rest))
		}
	}
	return out
}

// ledgerBinary checks the Dockerfile's build and returns the path of the
// binary in the final image and the folders the image gives to its user.
func ledgerBinary(t *testing.T, d *dockerfile) (bin string, owned []string) {
	t.Helper()
	if len(d.stages) < 2 {
		t.Fatalf("Dockerfile has %d stage(s); want a build stage and a runtime stage", len(d.stages))
	}
	build, final := d.stages[0], d.stages[len(d.stages)-1]
	if !strings.HasPrefix(build.from, "golang:") || build.name == "" {
		t.Errorf("Dockerfile build stage: FROM %s AS %q, want a named golang: stage", build.from, build.name)
	}
	// The Go version of the builder is go.mod's.
	gomod, err := os.ReadFile("../../go.mod")
	if err != nil {
		t.Fatal(err)
	}
	goVer := regexp.MustCompile(`(?m)^go (\d+\.\d+)`).FindSubmatch(gomod)
	if goVer == nil || !strings.HasPrefix(strings.TrimPrefix(build.from, "golang:"), string(goVer[1])) {
		t.Errorf("Dockerfile builds with %s; go.mod needs go %s", build.from, goVer[1])
	}
	var out string
	for _, r := range build.instr("RUN") {
		if strings.Contains(r, "go build") {
			if !strings.Contains(r, "CGO_ENABLED=0") {
				t.Errorf("Dockerfile: the go build is not static (no CGO_ENABLED=0): %s", r)
			}
			if !strings.HasSuffix(r, "./cmd/ledger") {
				t.Errorf("Dockerfile builds %q, want ./cmd/ledger", r)
			}
			if m := regexp.MustCompile(`-o (\S+)`).FindStringSubmatch(r); m != nil {
				out = m[1]
			}
		}
	}
	if out == "" {
		t.Fatal("Dockerfile: no `go build -o PATH ./cmd/ledger` in the build stage")
	}
	// The runtime stage has no libc: only a static binary runs there.
	if !strings.Contains(final.from, "static") && final.from != "scratch" {
		t.Errorf("Dockerfile runtime stage FROM %s: want a static base (distroless/static or scratch)", final.from)
	}
	for _, c := range final.instr("COPY") {
		f := strings.Fields(c)
		if slices.Contains(f, "--from="+build.name) && f[len(f)-2] == out {
			bin = f[len(f)-1]
		}
		if slices.ContainsFunc(f, func(s string) bool { return strings.HasPrefix(s, "--chown=65532") }) {
			owned = append(owned, f[len(f)-1])
		}
	}
	if bin == "" {
		t.Fatalf("Dockerfile: the runtime stage does not copy %s from stage %s", out, build.name)
	}
	if ep := final.instr("ENTRYPOINT"); len(ep) != 1 || ep[0] != fmt.Sprintf("[%q]", bin) {
		t.Errorf("Dockerfile ENTRYPOINT %v, want [%q]", ep, bin)
	}
	if u := final.instr("USER"); len(u) == 0 || strings.HasPrefix(u[len(u)-1], "root") || strings.HasPrefix(u[len(u)-1], "0") {
		t.Errorf("Dockerfile: the runtime stage runs as %v, want a non-root user", u)
	}
	return bin, owned
}

// serveFlags parses a ledger command line with the real flag set of
// `ledger serve`, defaults included.
func serveFlags(args []string) (ServeConfig, error) {
	cfg := DefaultServeConfig()
	cfg.RateLimit, cfg.RateBurst = DefaultRateLimit, DefaultRateBurst
	var stderr bytes.Buffer
	fs := newFlagSet("serve", "", "", &stderr)
	cfg.registerFlags(fs)
	if err := parseFlags(fs, args); err != nil {
		return cfg, fmt.Errorf("%v: %s", err, stderr.String())
	}
	return cfg, cfg.Validate()
}

// mounts splits a service's volume list into target -> named volume (or
// host path).
func mounts(s composeService) map[string]string {
	m := map[string]string{}
	for _, v := range s.Volumes {
		f := strings.Split(v, ":")
		if len(f) >= 2 {
			m[f[1]] = f[0]
		}
	}
	return m
}

// publishedPort returns the host address and port that expose
// containerPort, from "127.0.0.1:8080:8080"-style entries.
func publishedPort(s composeService, containerPort string) (string, bool) {
	for _, p := range s.Ports {
		f := strings.Split(p, ":")
		if f[len(f)-1] == containerPort {
			return strings.Join(f[:len(f)-1], ":"), true
		}
	}
	return "", false
}

func hostPort(t *testing.T, hp string) (string, string) {
	t.Helper()
	h, p, err := net.SplitHostPort(hp)
	if err != nil {
		t.Fatalf("%q: %v", hp, err)
	}
	return h, p
}

func TestComposeFile(t *testing.T) {
	f := mustReadCompose(t, composeEnv)
	bin, owned := ledgerBinary(t, mustReadDockerfile(t))
	_, defaultHTTPPort := hostPort(t, DefaultServeConfig().HTTP)

	var natsNodes, ledgers []string
	for name, s := range f.Services {
		switch {
		case strings.HasPrefix(s.Image, "nats:"):
			natsNodes = append(natsNodes, name)
		case s.Build != nil && s.Build.Dockerfile == "cmd/ledger/Dockerfile":
			ledgers = append(ledgers, name)
		}
	}
	slices.Sort(natsNodes)
	slices.Sort(ledgers)
	if len(natsNodes) != 3 {
		t.Fatalf("NATS services %v, want a cluster of 3", natsNodes)
	}

	t.Run("References", func(t *testing.T) {
		hostPorts := map[string]string{}
		for name, s := range f.Services {
			for target, src := range mounts(s) {
				if !strings.HasPrefix(src, ".") && !strings.HasPrefix(src, "/") {
					if _, ok := f.Volumes[src]; !ok {
						t.Errorf("%s mounts volume %s at %s; it is not declared under volumes", name, src, target)
					}
				}
			}
			for _, n := range s.Networks {
				if _, ok := f.Networks[n]; !ok {
					t.Errorf("%s uses network %s; it is not declared under networks", name, n)
				}
			}
			if len(s.Networks) == 0 {
				t.Errorf("%s names no network", name)
			}
			for _, c := range s.Configs {
				if _, ok := f.Configs[c.Source]; !ok {
					t.Errorf("%s uses config %s; it is not declared under configs", name, c.Source)
				}
			}
			for dep, d := range s.DependsOn {
				ds, ok := f.Services[dep]
				switch {
				case !ok:
					t.Errorf("%s depends on %s, which is not a service", name, dep)
				case d.Condition == "service_healthy" && ds.Healthcheck == nil:
					t.Errorf("%s waits for %s to be healthy, but %s has no health check", name, dep, dep)
				}
			}
			if s.Healthcheck == nil || len(s.Healthcheck.Test) < 2 {
				t.Errorf("%s has no health check", name)
			}
			for _, p := range s.Ports {
				hp, _ := strings.CutSuffix(p, ":"+p[strings.LastIndex(p, ":")+1:])
				if !strings.HasPrefix(hp, "127.0.0.1:") {
					t.Errorf("%s publishes %s beyond the host's loopback", name, p)
				}
				if other, dup := hostPorts[hp]; dup {
					t.Errorf("%s and %s both publish %s", name, other, hp)
				}
				hostPorts[hp] = name
			}
		}
		// Every declared volume is used (a stale name is a sign of a
		// service that lost its data folder).
		for v := range f.Volumes {
			used := false
			for _, s := range f.Services {
				for _, src := range mounts(s) {
					used = used || src == v
				}
			}
			if !used {
				t.Errorf("volume %s is declared but no service mounts it", v)
			}
		}
	})

	// The NATS nodes: parsed by nats-server's own option parser, with the
	// configuration file as the container sees it.
	natsPassword := composeEnv["LEDGER_NATS_PASSWORD"]
	natsUsers := map[string]string{}
	natsClientPort := 0
	t.Run("NATS", func(t *testing.T) {
		dir := t.TempDir()
		names := map[string]bool{}
		for _, name := range natsNodes {
			s := f.Services[name]
			args := slices.Clone(s.Command)
			for _, c := range s.Configs {
				p := filepath.Join(dir, c.Source+".conf")
				if err := os.WriteFile(p, []byte(f.Configs[c.Source].Content), 0o600); err != nil {
					t.Fatal(err)
				}
				for i := range args {
					if args[i] == c.Target {
						args[i] = p
					}
				}
			}
			// The server reads the password from its environment.
			for k, v := range s.Environment {
				t.Setenv(k, v)
			}
			fs := flag.NewFlagSet("nats-server", flag.ContinueOnError)
			fs.SetOutput(io.Discard)
			opts, err := server.ConfigureOptions(fs, args, func() {}, func() {}, func() {})
			if err != nil {
				t.Fatalf("%s: nats-server %v: %v", name, s.Command, err)
			}
			if opts.ServerName == "" || names[opts.ServerName] {
				t.Errorf("%s: server name %q is empty or not unique", name, opts.ServerName)
			}
			names[opts.ServerName] = true
			if !opts.JetStream || !opts.SyncAlways {
				t.Errorf("%s: JetStream %v, sync always %v; want both (acknowledged writes are on disk)", name, opts.JetStream, opts.SyncAlways)
			}
			if src, ok := mounts(s)[opts.StoreDir]; !ok || !strings.HasPrefix(src, name) {
				t.Errorf("%s: JetStream store %s is not on a volume of its own (mounts %v)", name, opts.StoreDir, s.Volumes)
			}
			if opts.Port != server.DEFAULT_PORT || opts.HTTPPort != server.DEFAULT_HTTP_PORT {
				t.Errorf("%s: client port %d, monitoring port %d; want the defaults %d, %d", name, opts.Port, opts.HTTPPort, server.DEFAULT_PORT, server.DEFAULT_HTTP_PORT)
			}
			natsClientPort = opts.Port
			if opts.Cluster.Name == "" || opts.Cluster.Port == 0 {
				t.Errorf("%s: no cluster (name %q, port %d)", name, opts.Cluster.Name, opts.Cluster.Port)
			}
			var routes []string
			for _, r := range opts.Routes {
				if r.Port() != strconv.Itoa(opts.Cluster.Port) {
					t.Errorf("%s: route %s is not on the cluster port %d", name, r, opts.Cluster.Port)
				}
				routes = append(routes, r.Hostname())
			}
			slices.Sort(routes)
			if !slices.Equal(routes, natsNodes) {
				t.Errorf("%s: routes to %v, want every node %v", name, routes, natsNodes)
			}
			if len(opts.Users) == 0 {
				t.Errorf("%s: clients need no credentials", name)
			}
			for _, u := range opts.Users {
				natsUsers[u.Username] = u.Password
			}
			hc := s.Healthcheck.Test
			if !slices.ContainsFunc(hc, func(a string) bool {
				return strings.Contains(a, fmt.Sprintf("127.0.0.1:%d/healthz", opts.HTTPPort))
			}) {
				t.Errorf("%s: health check %v does not ask the monitoring port %d", name, hc, opts.HTTPPort)
			}
		}
		if natsUsers["ledger"] != natsPassword {
			t.Errorf("NATS users %v: the password is not read from LEDGER_NATS_PASSWORD", natsUsers)
		}
	})

	t.Run("Ledger", func(t *testing.T) {
		var onNATS []string
		keyVolumes := map[string]bool{}
		dataVolumes := map[string]string{}
		for _, name := range ledgers {
			s := f.Services[name]
			if len(s.Command) == 0 || s.Command[0] != "serve" {
				t.Errorf("%s: command %v, want serve", name, s.Command)
				continue
			}
			cfg, err := serveFlags(s.Command[1:])
			if err != nil {
				t.Errorf("%s: ledger %v: %v", name, s.Command, err)
				continue
			}
			// HTTP: the binary's default port, published, and asked by
			// the health check, which runs the image's binary.
			host, port := hostPort(t, cfg.HTTP)
			if port != defaultHTTPPort || (host != "0.0.0.0" && host != "") {
				t.Errorf("%s: --http %s, want 0.0.0.0:%s (reachable from other containers, the binary's port)", name, cfg.HTTP, defaultHTTPPort)
			}
			if _, ok := publishedPort(s, port); !ok {
				t.Errorf("%s: port %s is not published (ports %v)", name, port, s.Ports)
			}
			hc := s.Healthcheck.Test
			if len(hc) < 3 || hc[0] != "CMD" || hc[1] != bin || hc[2] != "healthcheck" {
				t.Errorf("%s: health check %v, want [CMD %s healthcheck ...]", name, hc, bin)
			} else {
				h := &HealthcheckCommand{Stderr: io.Discard}
				if err := parseFlags(h.flags(), hc[3:]); err != nil {
					t.Errorf("%s: health check %v: %v", name, hc, err)
				}
				u, err := url.Parse(h.url)
				if err != nil || u.Port() != port || (u.Hostname() != "127.0.0.1" && u.Hostname() != "localhost") {
					t.Errorf("%s: health check asks %s, not this container's port %s", name, h.url, port)
				}
				if (u.Scheme == "https") != (cfg.TLSCert != "") {
					t.Errorf("%s: health check scheme %s, TLS cert %q", name, u.Scheme, cfg.TLSCert)
				}
			}
			// Data: a volume of its own, owned by the image's user.
			m := mounts(s)
			if src, ok := m[cfg.Data]; !ok {
				t.Errorf("%s: --data %s is not a volume (mounts %v)", name, cfg.Data, s.Volumes)
			} else if other, dup := dataVolumes[src]; dup {
				t.Errorf("%s and %s share the data volume %s (each replica needs its own)", name, other, src)
			} else {
				dataVolumes[src] = name
			}
			for target := range m {
				if !slices.Contains(owned, target) {
					t.Errorf("%s mounts a volume at %s, which the image does not give to its non-root user (Dockerfile COPY --chown)", name, target)
				}
			}
			switch cfg.Store {
			case "esdb":
				u, err := url.Parse(cfg.ESDBURL)
				if err != nil {
					t.Errorf("%s: --esdb-url %s: %v", name, cfg.ESDBURL, err)
					break
				}
				if dep, ok := f.Services[u.Hostname()]; !ok || !strings.Contains(dep.Image, "kurrentdb") {
					t.Errorf("%s: --esdb-url names %s, not the KurrentDB service", name, u.Hostname())
				} else if _, ok := s.DependsOn[u.Hostname()]; !ok {
					t.Errorf("%s does not wait for %s", name, u.Hostname())
				}
			case "jetstream":
				if cfg.NATSURL == "" {
					t.Errorf("%s: on the embedded NATS server, not the cluster", name)
					break
				}
				onNATS = append(onNATS, name)
				var hosts []string
				for u := range strings.SplitSeq(cfg.NATSURL, ",") {
					pu, err := url.Parse(u)
					if err != nil || pu.Scheme != "nats" || pu.Port() != strconv.Itoa(natsClientPort) {
						t.Errorf("%s: NATS URL %s is not nats://<node>:%d", name, u, natsClientPort)
						continue
					}
					hosts = append(hosts, pu.Hostname())
				}
				slices.Sort(hosts)
				if !slices.Equal(hosts, natsNodes) {
					t.Errorf("%s: --nats-url names %v, want every node %v (a client must find the cluster with one node down)", name, hosts, natsNodes)
				}
				if cfg.Replicas != len(natsNodes) {
					t.Errorf("%s: --replicas %d on a cluster of %d", name, cfg.Replicas, len(natsNodes))
				}
				pw := cmpOr(cfg.NATSPassword, s.Environment["LEDGER_NATS_PASSWORD"])
				if cfg.NATSPassword != "" {
					t.Errorf("%s: the NATS password is on the command line; give it by LEDGER_NATS_PASSWORD", name)
				}
				if want, ok := natsUsers[cfg.NATSUser]; !ok || want != pw {
					t.Errorf("%s: NATS user %q with password %q is not a user of the cluster", name, cfg.NATSUser, pw)
				}
				if cfg.KeyFile == "" {
					t.Errorf("%s: no --checkpoint-key; replicas must sign with one key", name)
					break
				}
				src, ok := m[filepath.Dir(cfg.KeyFile)]
				if !ok {
					t.Errorf("%s: --checkpoint-key %s is not on a volume", name, cfg.KeyFile)
				}
				keyVolumes[src] = true
				for _, n := range natsNodes {
					if !dependsHealthy(f, name, n) {
						t.Errorf("%s does not wait (directly or not) for %s to be healthy", name, n)
					}
				}
			default:
				t.Errorf("%s: --store %s", name, cfg.Store)
			}
		}
		if len(onNATS) < 2 {
			t.Fatalf("ledger replicas on the NATS cluster: %v, want 2", onNATS)
		}
		if len(keyVolumes) != 1 {
			t.Errorf("the replicas' signing keys are on volumes %v, want one shared volume", keyVolumes)
		}
		// One replica creates the signing key if there is none; the others
		// start after it is healthy, so they never race to make another.
		first := 0
		for _, a := range onNATS {
			waits := false
			for _, b := range onNATS {
				waits = waits || (a != b && dependsHealthy(f, a, b))
			}
			if !waits {
				first++
			}
		}
		if first != 1 {
			t.Errorf("%d replicas may create the signing key at once, want 1 (the others depend on it being healthy)", first)
		}
	})

	t.Run("KurrentDB", func(t *testing.T) {
		var found bool
		for name, s := range f.Services {
			if !strings.Contains(s.Image, "kurrentdb") {
				continue
			}
			found = true
			if s.Environment["KURRENTDB_INSECURE"] != "true" {
				t.Errorf("%s: not in insecure mode (the ledger's URLs say tls=false)", name)
			}
			if _, ok := mounts(s)["/var/lib/kurrentdb"]; !ok {
				t.Errorf("%s: its data folder /var/lib/kurrentdb is not a volume", name)
			}
			if _, ok := publishedPort(s, "2113"); !ok {
				t.Errorf("%s: port 2113 is not published (the esdb conformance suite needs it)", name)
			}
		}
		if !found {
			t.Error("no KurrentDB service")
		}
	})

	t.Run("DockerIgnore", func(t *testing.T) {
		b, err := os.ReadFile("../../.dockerignore")
		if err != nil {
			t.Fatal(err)
		}
		// A data folder in the build context would put a signing key and
		// admin tokens into the build cache.
		if !strings.Contains(string(b), "ledger-data/") {
			t.Error(".dockerignore does not keep ledger-data/ out of the build context")
		}
	})
}

// TestComposeNeedsPassword checks that the file refuses to start without
// a NATS password rather than run the cluster with an empty one.
func TestComposeNeedsPassword(t *testing.T) {
	raw, err := os.ReadFile("../../docker-compose.yml")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := interpolate(string(raw), nil); err == nil || !strings.Contains(err.Error(), "LEDGER_NATS_PASSWORD") {
		t.Fatalf("interpolation without LEDGER_NATS_PASSWORD: %v", err)
	}
}

// dependsHealthy reports whether service a waits, through a chain of
// depends_on with condition service_healthy, for service b.
func dependsHealthy(f *composeFile, a, b string) bool {
	seen := map[string]bool{}
	var walk func(s string) bool
	walk = func(s string) bool {
		if seen[s] {
			return false
		}
		seen[s] = true
		for dep, d := range f.Services[s].DependsOn {
			if d.Condition == "service_healthy" && (dep == b || walk(dep)) {
				return true
			}
		}
		return false
	}
	return walk(a)
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

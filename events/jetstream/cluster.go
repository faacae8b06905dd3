package jetstream

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	natsjs "github.com/nats-io/nats.go/jetstream"
)

// ClusterNodeConfig configures one node of a JetStream cluster on one
// machine. The ledger's cluster tests and benchmarks run such clusters, in
// their own process or in child processes; a production cluster runs
// nats-server on separate machines, reached with --nats-url.
type ClusterNodeConfig struct {
	// Name is the server's name, unique in the cluster.
	Name string
	// Cluster names the cluster; every node has the same.
	Cluster string
	// StoreDir is the node's own JetStream directory.
	StoreDir string
	// Host is the address every listener binds; default 127.0.0.1.
	Host string
	// ClientPort and ClusterPort are the node's client and route ports.
	// Both must be fixed (see FreePorts): the other nodes' route lists and
	// a restart of this node need them.
	ClientPort, ClusterPort int
	// Routes are the route URLs (nats-route://host:port) of every node,
	// this one included: a node ignores the route to itself.
	Routes []string
	// SyncAlways: see ServerConfig.
	SyncAlways bool
	// Logger receives the server's warnings and errors; nil discards them.
	Logger *slog.Logger `json:"-"`
}

// LocalCluster describes n nodes on one host, with fixed ports, ready to be
// started (StartClusterNode) in this process or another.
type LocalCluster struct {
	Nodes []ClusterNodeConfig
}

// NewLocalCluster picks free loopback ports for n nodes named n1..nN of
// cluster name, each with its store under dir/<node>. It starts nothing.
func NewLocalCluster(name, dir string, n int, syncAlways bool) (*LocalCluster, error) {
	ports, err := FreePorts(2 * n)
	if err != nil {
		return nil, err
	}
	routes := make([]string, n)
	for i := range n {
		routes[i] = fmt.Sprintf("nats-route://127.0.0.1:%d", ports[n+i])
	}
	c := &LocalCluster{}
	for i := range n {
		node := "n" + strconv.Itoa(i+1)
		c.Nodes = append(c.Nodes, ClusterNodeConfig{
			Name: node, Cluster: name, StoreDir: filepath.Join(dir, node), Host: "127.0.0.1",
			ClientPort: ports[i], ClusterPort: ports[n+i], Routes: routes, SyncAlways: syncAlways,
		})
	}
	return c, nil
}

// URL returns the client URL of node i.
func (c *LocalCluster) URL(i int) string {
	return fmt.Sprintf("nats://127.0.0.1:%d", c.Nodes[i].ClientPort)
}

// URLs returns every node's client URL, comma-separated, as nats.Connect
// and `ledger serve --nats-url` take them.
func (c *LocalCluster) URLs() string {
	urls := make([]string, len(c.Nodes))
	for i := range c.Nodes {
		urls[i] = c.URL(i)
	}
	return strings.Join(urls, ",")
}

// FreePorts returns n distinct TCP ports that were free on 127.0.0.1: each
// is listened on, then released (all at once, so that none repeats).
func FreePorts(n int) ([]int, error) {
	ls := make([]net.Listener, 0, n)
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	ports := make([]int, 0, n)
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("jetstream: find a free port: %w", err)
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

// StartClusterNode starts one node and waits up to 10 s until it accepts
// clients. It does not wait for the cluster: see WaitClusterReady. It
// installs no signal handlers. Stop it with Shutdown and WaitForShutdown
// (a graceful step-down of its Raft groups, gentler than a crash).
func StartClusterNode(cfg ClusterNodeConfig) (*server.Server, error) {
	if cfg.StoreDir == "" || cfg.Name == "" || cfg.Cluster == "" || cfg.ClientPort == 0 || cfg.ClusterPort == 0 {
		return nil, errors.New("jetstream: start cluster node: name, cluster, store directory and both ports are required")
	}
	host := cfg.Host
	if host == "" {
		host = "127.0.0.1"
	}
	opts := &server.Options{
		ServerName: cfg.Name,
		Host:       host,
		Port:       cfg.ClientPort,
		JetStream:  true,
		StoreDir:   cfg.StoreDir,
		SyncAlways: cfg.SyncAlways,
		NoSigs:     true,
		Cluster:    server.ClusterOpts{Name: cfg.Cluster, Host: host, Port: cfg.ClusterPort},
		Routes:     server.RoutesFromStr(strings.Join(cfg.Routes, ",")),
	}
	if !cfg.SyncAlways {
		opts.SyncInterval = time.Second
	}
	s, err := server.NewServer(opts)
	if err != nil {
		return nil, fmt.Errorf("jetstream: start cluster node %s: %w", cfg.Name, err)
	}
	if cfg.Logger != nil {
		s.SetLoggerV2(serverLogger{l: cfg.Logger.With("component", "nats-server", "node", cfg.Name)}, false, false, false)
	}
	go s.Start()
	if !s.ReadyForConnections(10 * time.Second) {
		s.Shutdown()
		s.WaitForShutdown()
		return nil, fmt.Errorf("jetstream: start cluster node %s: not ready within 10 s", cfg.Name)
	}
	return s, nil
}

// WaitClusterReady waits until the cluster that nc reaches has a JetStream
// meta leader and can place a stream with replicas copies (the meta leader
// knows enough peers online), polling until ctx ends. A new cluster elects
// its meta leader in about 0.3 s, but it was seen to take 6.6 s; the peers
// are known a little later. The check creates and deletes a small memory
// stream, named LEDGER_READY_PROBE.
func WaitClusterReady(ctx context.Context, nc *nats.Conn, replicas int) error {
	js, err := natsjs.New(nc)
	if err != nil {
		return err
	}
	const probe = "LEDGER_READY_PROBE"
	for {
		actx, cancel := context.WithTimeout(ctx, time.Second)
		_, err := js.AccountInfo(actx)
		if err == nil {
			_, err = js.CreateOrUpdateStream(actx, natsjs.StreamConfig{Name: probe, Subjects: []string{"ledger.ready.probe"},
				Storage: natsjs.MemoryStorage, Replicas: replicas})
			if err == nil {
				err = js.DeleteStream(actx, probe)
			}
		}
		cancel()
		if err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("jetstream: the cluster cannot place a stream of %d replicas: %w", replicas, err)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// WaitStreamReady waits until stream has a leader and all its replicas
// are current, polling until ctx ends. It returns the leader's name.
func WaitStreamReady(ctx context.Context, nc *nats.Conn, stream string) (string, error) {
	js, err := natsjs.New(nc)
	if err != nil {
		return "", err
	}
	var why error
	for {
		actx, cancel := context.WithTimeout(ctx, time.Second)
		st, err := js.Stream(actx, stream)
		var info *natsjs.StreamInfo
		if err == nil {
			info, err = st.Info(actx)
		}
		cancel()
		switch {
		case err != nil:
			why = err
		case info.Cluster == nil || info.Cluster.Leader == "":
			why = errors.New("no leader")
		default:
			why = nil
			for _, r := range info.Cluster.Replicas {
				if !r.Current || r.Offline {
					why = fmt.Errorf("replica %s is not current", r.Name)
				}
			}
			if why == nil {
				return info.Cluster.Leader, nil
			}
		}
		select {
		case <-ctx.Done():
			return "", fmt.Errorf("jetstream: stream %s not ready: %w", stream, why)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

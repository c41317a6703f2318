package directorytest

import (
	"context"
	"io"
	"net"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/rosterhq/roster/directory"
)

// Proxy is a TCP proxy a test puts between Roster and its PostgreSQL, to
// cut the database away and bring it back as an outage would: Cut closes
// every connection through it and refuses new ones (each is accepted and
// closed at once, as a server that is shutting down does), Restore lets
// them through again.
type Proxy struct {
	ln     net.Listener
	target string

	mu    sync.Mutex
	cut   bool
	conns map[net.Conn]struct{}
	wg    sync.WaitGroup
}

// NewProxy listens on a free local port and forwards to target
// (host:port) until the test ends.
func NewProxy(t testing.TB, target string) *Proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("proxy: %v", err)
	}
	p := &Proxy{ln: ln, target: target, conns: map[net.Conn]struct{}{}}
	p.wg.Add(1)
	go p.serve()
	t.Cleanup(func() {
		ln.Close()
		p.Cut()
		p.wg.Wait()
	})
	return p
}

// Addr is the proxy's host:port.
func (p *Proxy) Addr() string { return p.ln.Addr().String() }

// Cut closes every open connection and refuses new ones until Restore.
func (p *Proxy) Cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cut = true
	for c := range p.conns {
		c.Close()
	}
	clear(p.conns)
}

// Restore lets connections through again.
func (p *Proxy) Restore() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cut = false
}

func (p *Proxy) serve() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.wg.Add(1)
		go p.forward(c)
	}
}

// forward pipes one client connection to the target both ways.
func (p *Proxy) forward(c net.Conn) {
	defer p.wg.Done()
	p.mu.Lock()
	cut := p.cut
	p.mu.Unlock()
	if cut {
		c.Close()
		return
	}
	up, err := net.DialTimeout("tcp", p.target, 5*time.Second)
	if err != nil {
		c.Close()
		return
	}
	p.mu.Lock()
	if p.cut { // cut while dialling
		p.mu.Unlock()
		c.Close()
		up.Close()
		return
	}
	p.conns[c], p.conns[up] = struct{}{}, struct{}{}
	p.mu.Unlock()
	done := make(chan struct{}, 2)
	pipe := func(dst, src net.Conn) {
		io.Copy(dst, src)
		dst.Close()
		src.Close()
		done <- struct{}{}
	}
	go pipe(up, c)
	go pipe(c, up)
	<-done
	<-done
	p.mu.Lock()
	delete(p.conns, c)
	delete(p.conns, up)
	p.mu.Unlock()
}

// ProxiedDatabaseURL is DatabaseURL on PostgreSQL with the connection
// going through a Proxy: it returns the URL through the proxy, the direct
// URL (to check rows while the proxy is cut) and the proxy.
func ProxiedDatabaseURL(t testing.TB) (proxied, direct string, p *Proxy) {
	t.Helper()
	direct = DatabaseURL(t, directory.Postgres)
	u, err := url.Parse(direct)
	if err != nil {
		t.Fatalf("parse database URL: %v", err)
	}
	port := u.Port()
	if port == "" {
		port = "5432"
	}
	p = NewProxy(t, net.JoinHostPort(u.Hostname(), port))
	u.Host = p.Addr()
	return u.String(), direct, p
}

// OpenBehindProxy is Open on PostgreSQL through a Proxy the test can cut.
// DB(t, d) reaches the database directly, proxy or not.
func OpenBehindProxy(t testing.TB, opts directory.Options) (*directory.Directory, *Proxy) {
	t.Helper()
	proxied, direct, p := ProxiedDatabaseURL(t)
	opts.SCIMAuthCache = true
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	d, err := directory.Open(ctx, proxied, opts)
	if err != nil {
		t.Fatalf("open postgres directory behind a proxy: %v", err)
	}
	t.Cleanup(func() { d.Close() })
	opened.Store(d, &testDB{url: direct})
	t.Cleanup(func() {
		if v, ok := opened.LoadAndDelete(d); ok {
			v.(*testDB).close()
		}
	})
	return d, p
}

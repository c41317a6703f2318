package sqldb

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"sync"
	"time"

	"github.com/lib/pq"
)

// Change listening (PostgreSQL only; kept after measuring it).
//
// The directory caches SCIM authentications per process
// (directory/scim_authcache.go): a lookup is one indexed query, and the
// token's query (token → connection → workspace) was a large part of it.
// Measured with `roster bench`, same run, both orders, against the same
// program without the cache (issue 14): +46% lookups per second, above the
// 15% a PostgreSQL-only path must buy to stay. What keeps such a cache
// right across processes is this listener: triggers (migration 00006)
// NOTIFY a channel at commit, and every process LISTENs on it and clears
// its cache. SQLite has no NOTIFY, and other processes (the roster CLI)
// write the same file, so it has no such cache.
//
// A notification can only be missed while the listener is not LISTENing,
// so the listener reports whether it is (connected, and LISTEN
// acknowledged) with every change of state and every notification: the
// cache is used only while it is, and cleared on each report.

// listenTimeout bounds how long Listen waits for LISTEN to be in effect;
// the listener reports "off" until it is.
const listenTimeout = 10 * time.Second

// Listener hears one channel's notifications for a cache.
type Listener struct {
	pq      *pq.Listener
	channel string
	log     *slog.Logger
	// changed is told every change of state and every notification; on
	// says notifications are being heard. Calls come one at a time, in
	// order, under mu.
	changed func(on bool)

	mu sync.Mutex
	// connected: the listener's connection is up (lib/pq events).
	// listening: our Listen call has returned. closed: Close.
	connected, listening, closed bool
}

// Listen starts a listener on channel and waits (briefly) until it
// LISTENs; changed is then told, as described on Listener, until Close.
// On SQLite it returns nil: nothing will ever be heard.
func (db *DB) Listen(ctx context.Context, channel string, log *slog.Logger, changed func(on bool)) (*Listener, error) {
	if db.Flavor != Postgres {
		return nil, nil
	}
	dsn, err := listenerDSN(db.dsn)
	if err != nil {
		return nil, err
	}
	l := &Listener{channel: channel, log: log, changed: changed}
	l.pq = pq.NewListener(dsn, time.Second, 30*time.Second, func(ev pq.ListenerEventType, err error) {
		l.event(ev)
		switch {
		case err != nil:
			log.Warn("change listener off: "+ev.String(), "channel", channel, "err", err)
		case ev == pq.ListenerEventReconnected:
			log.Info("change listener on again: reconnected", "channel", channel)
		}
	})
	go l.drain()

	listened := make(chan error, 1)
	go func() {
		// Listen returns once LISTEN is in effect on the current
		// connection, or has been queued for the next one (resync).
		err := l.pq.Listen(channel)
		if err == nil {
			l.setState(func() { l.listening = true })
		}
		listened <- err
	}()
	wctx, cancel := context.WithTimeout(ctx, listenTimeout)
	defer cancel()
	select {
	case err := <-listened:
		if err != nil {
			log.Warn("change listener off: listen", "channel", channel, "err", err)
		}
	case <-wctx.Done():
		log.Warn("change listener off until it connects", "channel", channel)
	}
	return l, nil
}

// listenerDSN is the pool's URL (LISTEN needs no more than the pool's
// parameters: channels are database-wide, whatever the search_path) with
// an application_name that tells the listener's session apart in
// pg_stat_activity: "roster-listener", or the configured name plus
// "-listener".
func listenerDSN(dsn string) (string, error) {
	u, err := url.Parse(dsn)
	if err != nil {
		return "", fmt.Errorf("database URL: %w", err)
	}
	q := u.Query()
	name := "roster"
	if n := q.Get("application_name"); n != "" {
		name = n
	}
	q.Set("application_name", name+"-listener")
	u.RawQuery = q.Encode()
	return u.String(), nil
}

// on reports whether notifications are being heard; l.mu is held.
func (l *Listener) on() bool { return l.connected && l.listening && !l.closed }

// event follows the listener's connection, as lib/pq v1.12.3 reports it
// (notify.go, Listener.listenerConnLoop):
//
//   - Connected: the first connection is up. Its resync issued LISTEN only
//     for channels already registered, and the Listener dials before our
//     Listen call, so LISTEN may not be in effect yet: the listener waits
//     for Listen to return as well (listening).
//   - Reconnected: a new connection is up and resync has re-issued LISTEN
//     for every registered channel and had it acknowledged, before the
//     event. Notifications sent while it was down are lost, hence the
//     report (which clears the cache).
//   - Disconnected, ConnectionAttemptFailed: nothing is being heard.
//
// One narrow window remains: if the connection dies while our Listen call
// runs, Listen still returns nil and Disconnected follows only once Listen
// has released the Listener's lock, so for that moment the listener says
// on; Disconnected then clears whatever was filled.
func (l *Listener) event(ev pq.ListenerEventType) {
	switch ev {
	case pq.ListenerEventConnected, pq.ListenerEventReconnected:
		l.setState(func() { l.connected = true })
	case pq.ListenerEventDisconnected, pq.ListenerEventConnectionAttemptFailed:
		l.setState(func() { l.connected = false })
	}
}

// drain reports every notification, including the nil one lib/pq sends
// after Reconnected (it stands for "notifications may have been lost"),
// and turns the listener off when it is closed.
func (l *Listener) drain() {
	for range l.pq.Notify {
		l.setState(func() {})
	}
	l.setState(func() { l.connected = false })
}

// Close stops the listener; it reports off from then on. Safe on nil.
func (l *Listener) Close() {
	if l == nil {
		return
	}
	l.setState(func() { l.closed = true })
	l.pq.Close()
}

// setState changes the state under the lock and reports it.
func (l *Listener) setState(change func()) {
	l.mu.Lock()
	defer l.mu.Unlock()
	change()
	l.changed(l.on())
}

package directory

import (
	"fmt"
	"testing"
	"time"

	"github.com/lib/pq"
)

// The cache's rules, without a database.
func TestSCIMAuthCacheRules(t *testing.T) {
	row := scimAuthRow{TokenID: "k1"}
	on := func() *scimAuthCache {
		return &scimAuthCache{entries: map[string]scimAuthEntry{}, connected: true, listening: true}
	}

	t.Run("a fill that began before a clear is dropped", func(t *testing.T) {
		c := on()
		_, _, gen := c.lookup("h")
		c.invalidate() // a change committed while the query ran
		c.fill("h", gen, row)
		if _, ok, _ := c.lookup("h"); ok {
			t.Error("a row read before the clear was cached")
		}
		_, _, gen = c.lookup("h")
		c.fill("h", gen, row)
		if got, ok, _ := c.lookup("h"); !ok || got.TokenID != "k1" {
			t.Errorf("a fill of the current generation: %+v, %v", got, ok)
		}
	})
	t.Run("off unless connected and listening", func(t *testing.T) {
		for _, state := range []struct{ connected, listening, closed bool }{{false, true, false}, {true, false, false}, {true, true, true}} {
			c := on()
			_, _, gen := c.lookup("h")
			c.fill("h", gen, row)
			c.setState(func() { c.connected, c.listening, c.closed = state.connected, state.listening, state.closed })
			if _, ok, _ := c.lookup("h"); ok {
				t.Errorf("%+v: served from the cache", state)
			}
			_, _, gen = c.lookup("h")
			c.fill("h", gen, row)
			if len(c.entries) != 0 {
				t.Errorf("%+v: filled", state)
			}
		}
	})
	t.Run("listener events", func(t *testing.T) {
		c := &scimAuthCache{entries: map[string]scimAuthEntry{}}
		c.event(pq.ListenerEventConnected) // before Listen returned
		if c.on() {
			t.Error("on before LISTEN is known to be in effect")
		}
		c.setState(func() { c.listening = true })
		_, _, gen := c.lookup("h")
		c.fill("h", gen, row)
		c.event(pq.ListenerEventDisconnected)
		if c.on() || len(c.entries) != 0 {
			t.Errorf("after Disconnected: on %v, %d entries", c.on(), len(c.entries))
		}
		c.event(pq.ListenerEventConnectionAttemptFailed)
		if c.on() {
			t.Error("on after a failed attempt")
		}
		c.event(pq.ListenerEventReconnected) // resync has re-issued LISTEN
		if !c.on() {
			t.Error("off after Reconnected")
		}
	})
	t.Run("bounded", func(t *testing.T) {
		c := on()
		for i := range scimAuthCacheSize + 50 {
			_, _, gen := c.lookup("")
			c.fill(fmt.Sprint(i), gen, row)
		}
		if len(c.entries) != scimAuthCacheSize {
			t.Errorf("%d entries, want %d", len(c.entries), scimAuthCacheSize)
		}
	})
	t.Run("old entries are read again", func(t *testing.T) {
		c := on()
		c.entries["h"] = scimAuthEntry{row: row, stored: time.Now().Add(-scimAuthMaxAge - time.Second)}
		if _, ok, _ := c.lookup("h"); ok {
			t.Error("served an entry older than scimAuthMaxAge")
		}
	})
	t.Run("touch keeps the newest last use", func(t *testing.T) {
		c := on()
		_, _, gen := c.lookup("h")
		c.fill("h", gen, row)
		now := time.Now()
		c.touch("h", now)
		c.touch("h", now.Add(-time.Hour))
		if got, _, _ := c.lookup("h"); got.LastUsedAt == nil || !got.LastUsedAt.Equal(now) {
			t.Errorf("last used %v, want %v", got.LastUsedAt, now)
		}
		c.touch("other", now)
		if len(c.entries) != 1 {
			t.Error("touch added an entry")
		}
	})
	t.Run("nil cache (SQLite)", func(t *testing.T) {
		var c *scimAuthCache
		c.fill("h", 0, row)
		c.touch("h", time.Now())
		c.invalidate()
		c.close()
		if _, ok, _ := c.lookup("h"); ok {
			t.Error("a nil cache served")
		}
	})
}

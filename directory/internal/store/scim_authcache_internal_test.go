package store

import (
	"fmt"
	"testing"
	"time"
)

// The cache's rules, without a database.
func TestSCIMAuthCacheRules(t *testing.T) {
	row := scimAuthRow{TokenID: "k1"}
	on := func() *ScimAuthCache {
		return &ScimAuthCache{entries: map[string]ScimAuthEntry{}, live: true, now: time.Now}
	}

	t.Run("a fill that began before a clear is dropped", func(t *testing.T) {
		c := on()
		_, _, gen := c.Lookup("h")
		c.invalidate() // a change committed while the query ran
		c.Fill("h", gen, row)
		if _, ok, _ := c.Lookup("h"); ok {
			t.Error("a row read before the clear was cached")
		}
		_, _, gen = c.Lookup("h")
		c.Fill("h", gen, row)
		if got, ok, _ := c.Lookup("h"); !ok || got.TokenID != "k1" {
			t.Errorf("a fill of the current generation: %+v, %v", got, ok)
		}
	})
	t.Run("off while the listener hears nothing", func(t *testing.T) {
		c := on()
		_, _, gen := c.Lookup("h")
		c.Fill("h", gen, row)
		c.Changed(false)
		if _, ok, _ := c.Lookup("h"); ok {
			t.Error("served from the cache")
		}
		_, _, gen = c.Lookup("h")
		c.Fill("h", gen, row)
		if len(c.entries) != 0 {
			t.Error("filled")
		}
		c.Changed(true)
		_, _, gen = c.Lookup("h")
		c.Fill("h", gen, row)
		c.Changed(true) // a notification clears it
		if _, ok, _ := c.Lookup("h"); ok {
			t.Error("served after a notification")
		}
	})
	t.Run("bounded", func(t *testing.T) {
		c := on()
		for i := range scimAuthCacheSize + 50 {
			_, _, gen := c.Lookup("")
			c.Fill(fmt.Sprint(i), gen, row)
		}
		if len(c.entries) != scimAuthCacheSize {
			t.Errorf("%d entries, want %d", len(c.entries), scimAuthCacheSize)
		}
	})
	t.Run("old entries are read again", func(t *testing.T) {
		c := on()
		c.entries["h"] = ScimAuthEntry{row: row, stored: c.now().Add(-scimAuthMaxAge - time.Second)}
		if _, ok, _ := c.Lookup("h"); ok {
			t.Error("served an entry older than scimAuthMaxAge")
		}
	})
	t.Run("touch keeps the newest last use", func(t *testing.T) {
		c := on()
		_, _, gen := c.Lookup("h")
		c.Fill("h", gen, row)
		now := time.Now()
		c.Touch("h", now)
		c.Touch("h", now.Add(-time.Hour))
		if got, _, _ := c.Lookup("h"); got.LastUsedAt == nil || !got.LastUsedAt.Equal(now) {
			t.Errorf("last used %v, want %v", got.LastUsedAt, now)
		}
		c.Touch("other", now)
		if len(c.entries) != 1 {
			t.Error("touch added an entry")
		}
	})
	t.Run("nil cache (SQLite)", func(t *testing.T) {
		var c *ScimAuthCache
		c.Fill("h", 0, row)
		c.Touch("h", time.Now())
		c.invalidate()
		c.Close()
		if _, ok, _ := c.Lookup("h"); ok {
			t.Error("a nil cache served")
		}
	})
}

package directory

import (
	"fmt"
	"testing"
	"time"
)

// The cache's rules, without a database.
func TestSCIMAuthCacheRules(t *testing.T) {
	row := scimAuthRow{TokenID: "k1"}
	on := func() *scimAuthCache {
		return &scimAuthCache{entries: map[string]scimAuthEntry{}, live: true, now: time.Now}
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
	t.Run("off while the listener hears nothing", func(t *testing.T) {
		c := on()
		_, _, gen := c.lookup("h")
		c.fill("h", gen, row)
		c.changed(false)
		if _, ok, _ := c.lookup("h"); ok {
			t.Error("served from the cache")
		}
		_, _, gen = c.lookup("h")
		c.fill("h", gen, row)
		if len(c.entries) != 0 {
			t.Error("filled")
		}
		c.changed(true)
		_, _, gen = c.lookup("h")
		c.fill("h", gen, row)
		c.changed(true) // a notification clears it
		if _, ok, _ := c.lookup("h"); ok {
			t.Error("served after a notification")
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
		c.entries["h"] = scimAuthEntry{row: row, stored: c.now().Add(-scimAuthMaxAge - time.Second)}
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

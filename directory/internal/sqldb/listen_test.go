package sqldb

import (
	"testing"

	"github.com/lib/pq"
)

// The listener says it hears notifications only once it is connected and
// its LISTEN has returned, and until it is disconnected or closed; it
// reports every change, so the cache it serves is cleared each time.
func TestListenerEvents(t *testing.T) {
	var reports []bool
	l := &Listener{changed: func(on bool) { reports = append(reports, on) }}
	last := func() bool { return reports[len(reports)-1] }

	l.event(pq.ListenerEventConnected) // before Listen returned
	if last() {
		t.Error("on before LISTEN is known to be in effect")
	}
	l.setState(func() { l.listening = true })
	if !last() {
		t.Error("off once connected and listening")
	}
	l.event(pq.ListenerEventDisconnected)
	if last() {
		t.Error("on after Disconnected")
	}
	l.event(pq.ListenerEventConnectionAttemptFailed)
	if last() {
		t.Error("on after a failed attempt")
	}
	l.event(pq.ListenerEventReconnected) // resync has re-issued LISTEN
	if !last() {
		t.Error("off after Reconnected")
	}
	n := len(reports)
	l.setState(func() {}) // a notification
	if len(reports) != n+1 || !last() {
		t.Errorf("a notification: reports %v", reports[n:])
	}
	l.setState(func() { l.closed = true })
	if last() {
		t.Error("on after Close")
	}
}

package outbox

import "github.com/rosterhq/roster/directory/internal/store"

// appendEvent inserts one event row at once and returns it as stored.
// Events emitted earlier in the transaction are written first, so ids stay
// in emit order.
func appendEvent(t *store.Tx, workspaceID, typ, subjectKind, subjectID string, payload any) (store.Event, error) {
	if err := t.FlushEvents(); err != nil {
		return store.Event{}, err
	}
	ev, err := t.NewEvent(workspaceID, typ, subjectKind, subjectID, payload)
	if err != nil {
		return store.Event{}, err
	}
	// insertEvents sets the id on the slice's copy: return that one.
	evs := []store.Event{ev}
	if err := t.InsertEvents(evs); err != nil {
		return store.Event{}, err
	}
	return evs[0], nil
}

package directory

import (
	"time"

	"github.com/rosterhq/roster/directory/internal/store"
)

func newPageHints(max int, now func() time.Time) *store.PageHints {
	return &store.PageHints{Max: max, Now: now, M: map[store.HintKey]store.Hint{}, Totals: map[string]store.Total{}}
}

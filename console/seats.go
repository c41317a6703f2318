package console

import (
	"net/http"
	"net/url"
	"time"

	"github.com/rosterhq/roster/directory"
	"github.com/rosterhq/roster/web"
)

// seatsData is the Seats page, which the "seat limit reached" email
// links to.
type seatsData struct {
	web.Page
	Base  string
	Seats directory.Seats
	Trial bool
	Full  bool
	// Left is set when a limit applies now.
	Left *int
}

// seats shows the seat limit and who holds the seats.
func (h *Handler) seats(w http.ResponseWriter, r *http.Request) {
	v := h.open(w, r)
	if v == nil {
		return
	}
	if !v.access.Can(directory.PermMembersRead) {
		h.deny(w, r, v, "see the seats")
		return
	}
	s, err := h.dir.SeatUsage(r.Context(), v.actor, v.slug)
	if err != nil {
		h.fail(w, r, v.s, err)
		return
	}
	now := time.Now()
	d := &seatsData{Page: h.frame(r, v, "Seats", navSeats), Base: "/workspaces/" + url.PathEscape(v.access.WorkspaceSlug), Seats: s,
		Trial: s.TrialEndsAt != nil && now.Before(*s.TrialEndsAt), Full: s.Enforced && s.Limit != nil && s.Used >= *s.Limit}
	if s.Enforced && s.Limit != nil {
		left := max(*s.Limit-s.Used, 0)
		d.Left = &left
	}
	h.render(w, r, http.StatusOK, "seats", d)
}

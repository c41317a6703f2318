package main

import (
	"net/http"

	"github.com/rosterhq/roster/scim"
)

// mountSCIM serves the SCIM 2.0 endpoint of every workspace at /scim/v2;
// the bearer token selects the workspace.
func mountSCIM(mux *http.ServeMux, deps serverDeps) error {
	h := scim.NewHandler(deps.Dir, scim.Options{BaseURL: deps.BaseURL + "/scim/v2", Logger: deps.Logger.With("component", "scim"),
		Metrics: deps.Metrics, RateLimit: deps.SCIMRateLimit, RateBurst: deps.SCIMRateBurst})
	deps.Metrics.WatchSCIMLog(func() (written, dropped, rejected int64) {
		s := h.LogStats()
		return s.Written, s.Dropped, s.Rejected
	})
	deps.OnStop(func() { h.Close() }) // flush the buffered request log
	mux.Handle("/scim/v2/", http.StripPrefix("/scim/v2", h))
	mux.Handle("/scim/v2", http.StripPrefix("/scim/v2", h))
	return nil
}

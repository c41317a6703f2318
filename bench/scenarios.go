package bench

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"sync"
	"sync/atomic"
	"time"
)

// pageSize is the page size IdPs use when importing (Okta: count=100).
const pageSize = 100

// runSync replays Okta's provisioning of new users: an existence check by
// userName with paging parameters, then a POST. One operation is one user.
func runSync(ctx context.Context, c *client, cfg Config, rep *Report) error {
	n := cfg.N
	if n == 0 {
		n = 1000
	}
	run := runID()
	measure(ctx, cfg, n, rep, func(ctx context.Context, _, i int) error {
		name := fmt.Sprintf("bench-%s-sync-%d@example.com", run, i)
		var l listResponse
		f := query("filter", `userName eq "`+name+`"`, "startIndex", "1", "count", "100")
		if err := c.do(ctx, http.MethodGet, "/Users?"+f, nil, &l, http.StatusOK); err != nil {
			return err
		}
		if l.TotalResults != 0 {
			return fmt.Errorf("existence check for new user %s found %d", name, l.TotalResults)
		}
		return c.do(ctx, http.MethodPost, "/Users", userBody(name, fmt.Sprintf("00ubench%s%d", run, i)), nil, http.StatusCreated)
	})
	return ctx.Err()
}

// runLookup measures userName eq lookups of random existing users in a
// workspace of at least cfg.Population users, seeding it first if needed.
func runLookup(ctx context.Context, c *client, cfg Config, rep *Report) error {
	start := time.Now()
	total, err := countUsers(ctx, c)
	if err != nil {
		return err
	}
	if total < cfg.Population {
		if _, err := seed(ctx, c, cfg, cfg.Population-total, rep); err != nil {
			return err
		}
		if total, err = countUsers(ctx, c); err != nil {
			return err
		}
	}
	// Sample userNames from random pages across the whole list, so lookups
	// hit users created at any time, not just the newest.
	var starts []int
	for range min(50, (total+pageSize-1)/pageSize) {
		starts = append(starts, 1+rand.IntN(max(1, total-pageSize+1)))
	}
	users, err := fetchPages(ctx, c, cfg.Concurrency, starts)
	if err != nil {
		return err
	}
	var names []string
	for _, u := range users {
		if u.UserName != "" {
			names = append(names, u.UserName)
		}
	}
	if len(names) == 0 {
		return errors.New("lookup: no userNames found to look up")
	}
	rep.Setup = time.Since(start)
	cfg.Logger.Info("lookup: measuring", "users", total, "sample", len(names))

	n := cfg.N
	if n == 0 {
		n = 10000
	}
	measure(ctx, cfg, n, rep, func(ctx context.Context, _, _ int) error {
		name := names[rand.IntN(len(names))]
		var l listResponse
		if err := c.do(ctx, http.MethodGet, "/Users?"+query("filter", `userName eq "`+name+`"`), nil, &l, http.StatusOK); err != nil {
			return err
		}
		if l.TotalResults != 1 || len(l.Resources) != 1 {
			return fmt.Errorf("userName eq %q: totalResults %d, %d Resources; want 1", name, l.TotalResults, len(l.Resources))
		}
		return nil
	})
	return ctx.Err()
}

// runGroupChurn grows a new group to cfg.Members members with batched PATCH
// adds, then measures single-member add and remove PATCHes against it: the
// cost of one membership change in a large group, as IdPs push them.
func runGroupChurn(ctx context.Context, c *client, cfg Config, rep *Report) error {
	start := time.Now()
	need := cfg.Members + cfg.Concurrency // members plus one churn user per worker
	total, err := countUsers(ctx, c)
	if err != nil {
		return err
	}
	if total < need {
		if _, err := seed(ctx, c, cfg, need-total, rep); err != nil {
			return err
		}
	}
	var starts []int
	for s := 1; s <= need; s += pageSize {
		starts = append(starts, s)
	}
	users, err := fetchPages(ctx, c, cfg.Concurrency, starts)
	if err != nil {
		return err
	}
	seen := map[string]bool{}
	var ids []string
	for _, u := range users {
		if u.ID != "" && !seen[u.ID] {
			seen[u.ID] = true
			ids = append(ids, u.ID)
		}
	}
	if len(ids) < need {
		return fmt.Errorf("group-churn: found %d distinct users, need %d", len(ids), need)
	}
	members, churners := ids[:cfg.Members], ids[cfg.Members:need]

	var g struct {
		ID string `json:"id"`
	}
	group := map[string]any{
		"schemas":     []string{"urn:ietf:params:scim:schemas:core:2.0:Group"},
		"displayName": "bench-" + runID() + "-churn",
		"members":     []any{},
	}
	if err := c.do(ctx, http.MethodPost, "/Groups", group, &g, http.StatusCreated); err != nil {
		return fmt.Errorf("group-churn: create group: %w", err)
	}
	if g.ID == "" {
		return errors.New("group-churn: created group has no id")
	}
	gpath := "/Groups/" + url.PathEscape(g.ID)
	defer func() {
		// Remove the group even if ctx was cancelled; the users stay.
		dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
		defer cancel()
		if err := c.do(dctx, http.MethodDelete, gpath, nil, nil, http.StatusNoContent, http.StatusOK); err != nil {
			cfg.Logger.Warn("group-churn: delete group", "id", g.ID, "err", err)
		}
	}()

	// Grow sequentially: concurrent PATCHes of one group during setup would
	// measure lock contention rather than build the group.
	for i := 0; i < len(members); i += cfg.Batch {
		batch := members[i:min(i+cfg.Batch, len(members))]
		vals := make([]any, len(batch))
		for j, id := range batch {
			vals[j] = map[string]any{"value": id}
		}
		body := patchBody(map[string]any{"op": "add", "path": "members", "value": vals})
		if err := c.do(ctx, http.MethodPatch, gpath, body, nil, http.StatusOK, http.StatusNoContent); err != nil {
			return fmt.Errorf("group-churn: grow group to %d: %w", i+len(batch), err)
		}
		cfg.Logger.Info("group-churn: growing", "members", i+len(batch), "of", len(members))
	}
	rep.GroupSize = len(members)
	rep.Setup = time.Since(start)

	n := cfg.N
	if n == 0 {
		n = 1000
	}
	in := make([]bool, cfg.Concurrency) // per worker: is its churn user a member now?
	measure(ctx, cfg, n, rep, func(ctx context.Context, w, _ int) error {
		id := churners[w]
		var body map[string]any
		if in[w] {
			body = patchBody(map[string]any{"op": "remove", "path": `members[value eq "` + id + `"]`})
		} else {
			body = patchBody(map[string]any{"op": "add", "path": "members", "value": []any{map[string]any{"value": id}}})
		}
		err := c.do(ctx, http.MethodPatch, gpath, body, nil, http.StatusOK, http.StatusNoContent)
		if err == nil {
			in[w] = !in[w]
		}
		return err
	})
	return ctx.Err()
}

// runList pages through every user with count=100, as an IdP import does,
// with cfg.Concurrency pages in flight (1 is exactly Okta's sequential import).
func runList(ctx context.Context, c *client, cfg Config, rep *Report) error {
	total, err := countUsers(ctx, c)
	if err != nil {
		return err
	}
	pages := (total + pageSize - 1) / pageSize
	if cfg.N > 0 {
		pages = min(pages, cfg.N)
	}
	var items atomic.Int64
	var mu sync.Mutex
	distinct := map[string]struct{}{}
	measure(ctx, cfg, max(pages, 1), rep, func(ctx context.Context, _, i int) error {
		var l listResponse
		q := query("startIndex", fmt.Sprint(i*pageSize+1), "count", fmt.Sprint(pageSize))
		if err := c.do(ctx, http.MethodGet, "/Users?"+q, nil, &l, http.StatusOK); err != nil {
			return err
		}
		if l.ItemsPerPage != len(l.Resources) {
			return fmt.Errorf("page at %d: itemsPerPage %d but %d Resources", i*pageSize+1, l.ItemsPerPage, len(l.Resources))
		}
		items.Add(int64(len(l.Resources)))
		mu.Lock()
		for _, r := range l.Resources {
			distinct[r.ID] = struct{}{}
		}
		mu.Unlock()
		return nil
	})
	rep.Pages = rep.Count - rep.Errors
	rep.Items = int(items.Load())
	rep.PagesPerSec = rep.OpsPerSec
	if cfg.N == 0 && rep.Errors == 0 && len(distinct) != total {
		rep.ErrorSamples = append(rep.ErrorSamples,
			fmt.Sprintf("saw %d distinct users of totalResults %d: page order unstable or users changed during the run", len(distinct), total))
	}
	return ctx.Err()
}

// countUsers returns totalResults of GET /Users.
func countUsers(ctx context.Context, c *client) (int, error) {
	var l listResponse
	if err := c.do(ctx, http.MethodGet, "/Users?"+query("startIndex", "1", "count", "1"), nil, &l, http.StatusOK); err != nil {
		return 0, fmt.Errorf("count users: %w", err)
	}
	return l.TotalResults, nil
}

// listedUser is one entry of a user page.
type listedUser struct{ ID, UserName string }

// fetchPages GETs the user pages starting at each of starts, conc at a time.
func fetchPages(ctx context.Context, c *client, conc int, starts []int) ([]listedUser, error) {
	var mu sync.Mutex
	var out []listedUser
	var firstErr error
	sem := make(chan struct{}, conc)
	var wg sync.WaitGroup
	for _, s := range starts {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			var l listResponse
			err := c.do(ctx, http.MethodGet, "/Users?"+query("startIndex", fmt.Sprint(s), "count", fmt.Sprint(pageSize)), nil, &l, http.StatusOK)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				firstErr = cmpErr(firstErr, err)
				return
			}
			for _, r := range l.Resources {
				out = append(out, listedUser{r.ID, r.UserName})
			}
		}()
	}
	wg.Wait()
	if firstErr != nil {
		return nil, fmt.Errorf("list users: %w", firstErr)
	}
	return out, nil
}

func cmpErr(first, err error) error {
	if first != nil {
		return first
	}
	return err
}

// seed creates count users concurrently through POST /Users. It gives up
// when errors exceed 1% (at least 10): a server refusing writes would
// otherwise turn a benchmark into a long stream of failures.
func seed(ctx context.Context, c *client, cfg Config, count int, rep *Report) ([]string, error) {
	run := runID()
	cfg.Logger.Info("seeding users", "count", count, "concurrency", cfg.Concurrency)
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var next, created, failed atomic.Int64
	maxFail := int64(max(10, count/100))
	var mu sync.Mutex
	var ids []string
	var wg sync.WaitGroup
	done := make(chan struct{})
	go func() {
		t := time.NewTicker(5 * time.Second)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				cfg.Logger.Info("seeding users", "created", created.Load(), "of", count, "errors", failed.Load())
			}
		}
	}()
	for range cfg.Concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= count || ctx.Err() != nil {
					return
				}
				name := fmt.Sprintf("bench-%s-seed-%d@example.com", run, i)
				var u struct {
					ID string `json:"id"`
				}
				if err := c.do(ctx, http.MethodPost, "/Users", userBody(name, fmt.Sprintf("00useed%s%d", run, i)), &u, http.StatusCreated); err != nil {
					if failed.Add(1) > maxFail {
						cancel(fmt.Errorf("seeding stopped after %d errors, last: %w", failed.Load(), err))
					}
					continue
				}
				created.Add(1)
				mu.Lock()
				ids = append(ids, u.ID)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	close(done)
	rep.Seeded += int(created.Load())
	if err := context.Cause(ctx); err != nil {
		return ids, err
	}
	cfg.Logger.Info("seeding done", "created", created.Load(), "errors", failed.Load())
	return ids, nil
}

package directory_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/rosterhq/roster/directory"
	"github.com/rosterhq/roster/directory/directorytest"
)

// logWorkspace makes a workspace with a SCIM connection.
func logWorkspace(t *testing.T, d *directory.Directory, slug string) (directory.Workspace, directory.SCIMConnection) {
	t.Helper()
	ctx := context.Background()
	ws, _, err := d.CreateWorkspace(ctx, directory.Operator(), directory.CreateWorkspaceRequest{Name: slug, Slug: slug, OwnerEmail: "owner@" + slug + ".example"})
	if err != nil {
		t.Fatal(err)
	}
	conn, err := d.CreateSCIMConnection(ctx, directory.Operator(), slug, directory.SCIMConnectionRequest{})
	if err != nil {
		t.Fatal(err)
	}
	return ws, conn
}

// One entry the database refuses (its connection is gone) and entries
// with texts PostgreSQL cannot hold (NUL, invalid UTF-8) cost nothing
// but the refused entry itself: every other entry of the batch, of every
// workspace, is stored, and the unstorable texts are stored sanitised.
func TestSCIMRequestLogPoisonedBatch(t *testing.T) {
	directorytest.Run(t, func(t *testing.T, d *directory.Directory) {
		ctx := context.Background()
		a, connA := logWorkspace(t, d, "alpha")
		b, connB := logWorkspace(t, d, "beta")
		now := time.Now().UTC()
		var batch []directory.SCIMRequest
		for i := range 450 {
			ws, conn := a, connA
			if i%3 == 0 {
				ws, conn = b, connB
			}
			batch = append(batch, directory.SCIMRequest{ConnectionID: conn.ID, WorkspaceID: ws.ID, Method: "GET",
				Path: fmt.Sprintf("/Users/%d", i), Status: 200, Action: "read", Duration: time.Millisecond, CreatedAt: now})
		}
		batch[100].ConnectionID = "deleted-meanwhile"
		batch[101].Path = "/Users/a\x00b"
		batch[101].UserAgent = "agent \xff\xfe"
		batch[101].Detail = "detail \x00"
		batch[101].Action = strings.Repeat("x", 5000)

		done, rejected, err := d.WriteSCIMRequests(ctx, batch)
		if err != nil || done != len(batch) || rejected != 1 {
			t.Fatalf("WriteSCIMRequests = %d done, %d rejected, %v; want %d, 1, nil", done, rejected, err, len(batch))
		}
		stored := map[string]directory.SCIMRequest{}
		for _, slug := range []string{"alpha", "beta"} {
			list, err := d.ListSCIMRequests(ctx, directory.Operator(), slug, 0, 1000)
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range list {
				stored[e.Path] = e
			}
		}
		if len(stored) != len(batch)-1 {
			t.Errorf("%d entries stored, want %d (all but the refused one)", len(stored), len(batch)-1)
		}
		for i, e := range batch {
			if i == 100 || i == 101 {
				continue
			}
			if got, ok := stored[e.Path]; !ok || got.WorkspaceID != e.WorkspaceID {
				t.Errorf("entry %d (%s) lost or misfiled: %+v", i, e.Path, got)
			}
		}
		got, ok := stored["/Users/a\uFFFDb"]
		if !ok {
			t.Fatalf("the entry with a NUL in its path is not stored sanitised; stored paths include %v", keys(stored, 3))
		}
		if got.UserAgent != "agent \uFFFD" && got.UserAgent != "agent \uFFFD\uFFFD" {
			t.Errorf("user agent stored as %q", got.UserAgent)
		}
		if got.Detail != "detail \uFFFD" || len([]rune(got.Action)) > 1001 {
			t.Errorf("detail %q, action of %d characters", got.Detail, len([]rune(got.Action)))
		}
	})
}

func keys(m map[string]directory.SCIMRequest, n int) []string {
	var out []string
	for k := range m {
		if len(out) == n {
			break
		}
		out = append(out, k)
	}
	return out
}

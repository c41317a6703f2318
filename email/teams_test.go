package email

import (
	"errors"
	"maps"
	"strings"
	"testing"
)

// TestInvitationListsTeams: the teams an invitation adds the person to
// are named in both parts, escaped in HTML, and absent when there are
// none.
func TestInvitationListsTeams(t *testing.T) {
	for _, name := range []string{"invitation", "invitation_resend"} {
		t.Run(name, func(t *testing.T) {
			data := maps.Clone(samples[name])
			data["teams"] = `["Sales","R&D <EU>","  ","Night\nshift"]`
			m, err := Render(request(name, data))
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(m.Text, "You will also join these teams:\n- Sales\n- R&D <EU>\n- Night shift\n") {
				t.Errorf("text does not list the teams:\n%s", m.Text)
			}
			if !strings.Contains(m.HTML, "<li><strong>Sales</strong></li><li><strong>R&amp;D &lt;EU&gt;</strong></li><li><strong>Night shift</strong></li>") {
				t.Errorf("HTML does not list the teams:\n%s", m.HTML)
			}

			data["teams"] = `["Sales"]`
			if m, err = Render(request(name, data)); err != nil || !strings.Contains(m.Text, "You will also join this team:\n- Sales\n") {
				t.Errorf("one team: %v\n%s", err, m.Text)
			}

			for _, none := range []string{"", "[]"} {
				data["teams"] = none
				m, err := Render(request(name, data))
				if err != nil {
					t.Fatal(err)
				}
				if strings.Contains(m.Text, "also join") || strings.Contains(m.HTML, "also join") || strings.Contains(m.HTML, "<ul>") {
					t.Errorf("teams %q: a team list appears:\n%s\n%s", none, m.Text, m.HTML)
				}
			}

			data["teams"] = "Sales, Engineering"
			if _, err := Render(request(name, data)); !errors.Is(err, ErrInvalidData) {
				t.Errorf("teams not a JSON array: err = %v", err)
			}
		})
	}
}

package console

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/rosterhq/roster/directory"
	"github.com/rosterhq/roster/web"
)

// createdSecretStatus marks the flash item that carries a new webhook's
// signing secret to the page after the POST: sealed in the flash cookie,
// which the first page that renders it deletes, so it is shown once.
const createdSecretStatus = "webhook_secret_created"

// webhooksData is the Webhooks page: the webhooks and the form that adds
// one.
type webhooksData struct {
	web.Page
	Base     string
	Webhooks []webhookRow
	Groups   []eventGroup
	Form     *web.Form
	Full     bool
}

// webhookRow is a webhook with its events in words.
type webhookRow struct {
	directory.Webhook
	Events []string
}

// webhookData is one webhook's page: its settings, test ping, delivery
// log and redelivery.
type webhookData struct {
	web.Page
	Base       string
	Hook       webhookRow
	Groups     []eventGroup
	Form       *web.Form
	Deliveries []deliveryRow
	Failed     int
}

// deliveryRow is a delivery of the log in words.
type deliveryRow struct {
	directory.WebhookDelivery
	Label       string
	StatusLabel string
	StatusClass string
	Code        int
	Retries     int
}

// webhookView opens a webhook page: webhooks need connections.manage, as
// the admin API's webhook routes do (the directory checks it again).
func (h *Handler) webhookView(w http.ResponseWriter, r *http.Request) *view {
	v := h.open(w, r)
	if v != nil && !v.access.Can(directory.PermConnectionsManage) {
		h.deny(w, r, v, "manage webhooks")
		return nil
	}
	return v
}

// eventWords names a webhook's event patterns: a whole group by its
// label, anything else (set through the API) as it is.
func eventWords(types []string) []string {
	if len(types) == 0 || slices.Contains(types, "*") {
		return []string{"Every event"}
	}
	var out []string
	rest := slices.Clone(types)
	for _, g := range eventGroups {
		if all(g.Types, func(t string) bool { return slices.Contains(rest, t) }) {
			out = append(out, g.Label)
			rest = slices.DeleteFunc(rest, func(t string) bool { return slices.Contains(g.Types, t) })
		}
	}
	for _, t := range rest {
		out = append(out, eventLabel(t))
	}
	return out
}

func all[T any](s []T, f func(T) bool) bool {
	for _, x := range s {
		if !f(x) {
			return false
		}
	}
	return true
}

// chosenTypes turns the form's event groups into webhook event types; no
// group chosen, or "all", is every event.
func chosenTypes(form *web.Form) []string {
	if form.Has("events", "all") {
		return []string{"*"}
	}
	var out []string
	for _, g := range eventGroups {
		if form.Has("events", g.Key) {
			out = append(out, g.Types...)
		}
	}
	if len(out) == 0 {
		return []string{"*"}
	}
	return out
}

// groupValues are the form values of a webhook's types.
func groupValues(types []string) []string {
	if len(types) == 0 || slices.Contains(types, "*") {
		return []string{"all"}
	}
	var out []string
	for _, g := range eventGroups {
		if all(g.Types, func(t string) bool { return slices.Contains(types, t) }) {
			out = append(out, g.Key)
		}
	}
	return out
}

func (h *Handler) webhooksPage(r *http.Request, v *view, form *web.Form) (*webhooksData, error) {
	hooks, err := h.dir.ListWebhooks(r.Context(), v.actor, v.slug)
	if err != nil {
		return nil, err
	}
	d := &webhooksData{Page: h.frame(r, v, "Webhooks", navWebhooks), Base: "/workspaces/" + url.PathEscape(v.access.WorkspaceSlug),
		Groups: eventGroups, Form: form, Full: len(hooks) >= directory.MaxWebhooks}
	for _, hk := range hooks {
		d.Webhooks = append(d.Webhooks, webhookRow{Webhook: hk, Events: eventWords(hk.EventTypes)})
	}
	return d, nil
}

// webhooks lists the webhooks with the form to add one.
func (h *Handler) webhooks(w http.ResponseWriter, r *http.Request) {
	v := h.webhookView(w, r)
	if v == nil {
		return
	}
	d, err := h.webhooksPage(r, v, web.NewForm(url.Values{"events": {"all"}}))
	if err != nil {
		h.fail(w, r, v.s, err)
		return
	}
	h.render(w, r, http.StatusOK, "webhooks", d)
}

// webhookFormError puts a directory refusal next to the field it is
// about.
func webhookFormError(form *web.Form, err error) bool {
	if !errors.Is(err, directory.ErrInvalid) && !errors.Is(err, directory.ErrConflict) {
		return false
	}
	msg := sentence(err)
	switch {
	case strings.Contains(err.Error(), "description"):
		form.Fail("description", msg)
	case strings.Contains(err.Error(), "event type"):
		form.Fail("events", msg)
	default:
		form.Fail("url", msg)
	}
	return true
}

// createWebhook adds a webhook with a new signing secret, and shows the
// secret once on the webhook's page.
func (h *Handler) createWebhook(w http.ResponseWriter, r *http.Request) {
	v := h.webhookView(w, r)
	if v == nil || !h.kit.ParseForm(w, r, v.s, 0) {
		return
	}
	form := web.NewForm(r.PostForm)
	if strings.TrimSpace(form.Value("url")) == "" {
		form.Fail("url", "Enter the address Roster should send events to, for example https://hooks.example.com/roster.")
	}
	if form.OK() {
		secret, _ := directory.NewToken()
		secret = "whsec_" + secret
		hook, err := h.dir.CreateWebhook(r.Context(), v.actor, v.slug, directory.WebhookRequest{URL: form.Value("url"),
			Description: form.Value("description"), EventTypes: chosenTypes(form), SealedSecret: h.box.Seal([]byte(secret), directory.WebhookSecretPurpose)})
		if err == nil {
			h.kit.Redirect(w, r, "/workspaces/"+url.PathEscape(v.access.WorkspaceSlug)+"/webhooks/"+url.PathEscape(hook.ID),
				"Webhook added. Copy its signing secret now: it is shown only this once.", web.FlashItem{Label: secret, Status: createdSecretStatus})
			return
		}
		if !webhookFormError(form, err) {
			h.fail(w, r, v.s, err)
			return
		}
	}
	d, err := h.webhooksPage(r, v, form)
	if err != nil {
		h.fail(w, r, v.s, err)
		return
	}
	d.Error = "No webhook was added yet: please check the form."
	h.render(w, r, http.StatusBadRequest, "webhooks", d)
}

// findWebhook loads one webhook of the workspace; another workspace's
// reads as one that does not exist.
func (h *Handler) findWebhook(w http.ResponseWriter, r *http.Request, v *view) (directory.Webhook, bool) {
	hook, err := h.dir.GetWebhook(r.Context(), v.actor, v.slug, r.PathValue("id"))
	if errors.Is(err, directory.ErrNotFound) {
		h.kit.Message(w, r, http.StatusNotFound, v.s, "Webhook not found", "This webhook does not exist in this workspace. Go back to the webhooks.")
		return hook, false
	}
	if err != nil {
		h.fail(w, r, v.s, err)
		return hook, false
	}
	return hook, true
}

func (h *Handler) webhookPage(r *http.Request, v *view, hook directory.Webhook, form *web.Form) (*webhookData, error) {
	list, err := h.dir.ListWebhookDeliveries(r.Context(), v.actor, v.slug, hook.ID, directory.StatusAll, 50)
	if err != nil {
		return nil, err
	}
	title := hook.Description
	if title == "" {
		title = hook.URL
	}
	d := &webhookData{Page: h.frame(r, v, title, navWebhooks), Base: "/workspaces/" + url.PathEscape(v.access.WorkspaceSlug),
		Hook: webhookRow{Webhook: hook, Events: eventWords(hook.EventTypes)}, Groups: eventGroups, Form: form}
	for _, dl := range list {
		row := deliveryRow{WebhookDelivery: dl, Label: eventLabel(dl.EventType)}
		switch dl.Status {
		case "sent":
			row.StatusLabel, row.StatusClass = "Delivered", "active"
		case "failed":
			row.StatusLabel, row.StatusClass = "Failed", "expired"
			d.Failed++
		default:
			row.StatusLabel, row.StatusClass = "Waiting", "invited"
			if len(dl.Attempts) > 0 {
				row.StatusLabel = "Retrying"
			}
		}
		if n := len(dl.Attempts); n > 0 {
			row.Code = dl.Attempts[n-1].StatusCode
			row.Retries = n - 1
		}
		d.Deliveries = append(d.Deliveries, row)
	}
	return d, nil
}

// webhook is one webhook's page.
func (h *Handler) webhook(w http.ResponseWriter, r *http.Request) {
	v := h.webhookView(w, r)
	if v == nil {
		return
	}
	hook, ok := h.findWebhook(w, r, v)
	if !ok {
		return
	}
	form := web.NewForm(url.Values{"url": {hook.URL}, "description": {hook.Description}, "events": groupValues(hook.EventTypes)})
	if hook.Active {
		form.Values.Set("active", "on")
	}
	d, err := h.webhookPage(r, v, hook, form)
	if err != nil {
		h.fail(w, r, v.s, err)
		return
	}
	h.render(w, r, http.StatusOK, "webhook", d)
}

// updateWebhook saves a webhook's address, description, events and
// switch.
func (h *Handler) updateWebhook(w http.ResponseWriter, r *http.Request) {
	v := h.webhookView(w, r)
	if v == nil || !h.kit.ParseForm(w, r, v.s, 0) {
		return
	}
	hook, ok := h.findWebhook(w, r, v)
	if !ok {
		return
	}
	form := web.NewForm(r.PostForm)
	u, desc, active := form.Value("url"), form.Value("description"), form.Value("active") == "on"
	if strings.TrimSpace(u) == "" {
		form.Fail("url", "Enter the address Roster should send events to.")
	}
	if form.OK() {
		_, err := h.dir.UpdateWebhook(r.Context(), v.actor, v.slug, hook.ID, directory.WebhookUpdate{URL: &u, Description: &desc,
			EventTypes: chosenTypes(form), Active: &active})
		if err == nil {
			h.kit.Redirect(w, r, r.URL.Path, "Webhook saved.")
			return
		}
		if !webhookFormError(form, err) {
			h.fail(w, r, v.s, err)
			return
		}
	}
	d, err := h.webhookPage(r, v, hook, form)
	if err != nil {
		h.fail(w, r, v.s, err)
		return
	}
	d.Error = "Nothing was saved yet: please check the form."
	h.render(w, r, http.StatusBadRequest, "webhook", d)
}

// pingWebhook sends a test event to this webhook only.
func (h *Handler) pingWebhook(w http.ResponseWriter, r *http.Request) {
	v := h.webhookView(w, r)
	if v == nil || !h.kit.ParseForm(w, r, v.s, 0) {
		return
	}
	hook, ok := h.findWebhook(w, r, v)
	if !ok {
		return
	}
	if _, err := h.dir.PingWebhook(r.Context(), v.actor, v.slug, hook.ID); err != nil {
		h.fail(w, r, v.s, err)
		return
	}
	h.kit.Redirect(w, r, h.webhookURL(v, hook.ID), "Test ping queued: it appears in the delivery log below once it is sent. Reload to see it.")
}

// redeliverWebhook queues every failed delivery of the webhook again.
func (h *Handler) redeliverWebhook(w http.ResponseWriter, r *http.Request) {
	v := h.webhookView(w, r)
	if v == nil || !h.kit.ParseForm(w, r, v.s, 0) {
		return
	}
	hook, ok := h.findWebhook(w, r, v)
	if !ok {
		return
	}
	n, err := h.dir.RedeliverWebhook(r.Context(), v.actor, v.slug, hook.ID)
	if err != nil {
		h.fail(w, r, v.s, err)
		return
	}
	msg := "No delivery had failed; nothing to send again."
	if n > 0 {
		msg = fmt.Sprintf("%d failed %s queued again: Roster sends %s shortly.", n, plural(n, "delivery", "deliveries"), plural(n, "it", "them"))
	}
	h.kit.Redirect(w, r, h.webhookURL(v, hook.ID), msg)
}

func (h *Handler) webhookURL(v *view, id string) string {
	return "/workspaces/" + url.PathEscape(v.access.WorkspaceSlug) + "/webhooks/" + url.PathEscape(id)
}

// confirmDeleteWebhook says what deleting does before it is done.
func (h *Handler) confirmDeleteWebhook(w http.ResponseWriter, r *http.Request) {
	v := h.webhookView(w, r)
	if v == nil {
		return
	}
	hook, ok := h.findWebhook(w, r, v)
	if !ok {
		return
	}
	d := &confirmData{Page: h.frame(r, v, "Delete this webhook?", navWebhooks), Danger: true, Button: "Delete the webhook",
		Says: "Roster stops sending events to this address at once, deliveries still waiting are dropped, and its delivery log is deleted. " +
			"This cannot be undone; to pause it instead, switch it off on its page.",
		Back: h.webhookURL(v, hook.ID), PostURL: r.URL.Path,
		Details: []detail{{"Address", hook.URL}, {"Description", hook.Description}, {"Added", hook.CreatedAt.UTC().Format("2 Jan 2006")}}}
	if hook.Description == "" {
		d.Details = slices.Delete(d.Details, 1, 2)
	}
	h.render(w, r, http.StatusOK, "confirm", d)
}

// deleteWebhook deletes a webhook after its confirmation.
func (h *Handler) deleteWebhook(w http.ResponseWriter, r *http.Request) {
	v := h.webhookView(w, r)
	if v == nil || !h.kit.ParseForm(w, r, v.s, 0) {
		return
	}
	hook, ok := h.findWebhook(w, r, v)
	if !ok {
		return
	}
	if err := h.dir.DeleteWebhook(r.Context(), v.actor, v.slug, hook.ID); err != nil {
		h.fail(w, r, v.s, err)
		return
	}
	h.kit.Redirect(w, r, "/workspaces/"+url.PathEscape(v.access.WorkspaceSlug)+"/webhooks", "Webhook "+hook.URL+" deleted: Roster no longer sends it events.")
}

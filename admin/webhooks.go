package admin

import (
	"net/http"

	"github.com/rosterhq/roster/directory"
)

func (a *API) webhookRoutes() []route {
	return []route{
		{method: "GET", path: "/workspaces/{ws}/webhooks", handle: a.listWebhooks},
		{method: "POST", path: "/workspaces/{ws}/webhooks", handle: a.createWebhook},
		{method: "GET", path: "/workspaces/{ws}/webhooks/{id}", handle: a.getWebhook},
		{method: "PATCH", path: "/workspaces/{ws}/webhooks/{id}", handle: a.updateWebhook},
		{method: "DELETE", path: "/workspaces/{ws}/webhooks/{id}", handle: a.deleteWebhook},
		{method: "POST", path: "/workspaces/{ws}/webhooks/{id}/rotate-secret", handle: a.rotateWebhookSecret},
		{method: "POST", path: "/workspaces/{ws}/webhooks/{id}/ping", handle: a.pingWebhook},
		{method: "POST", path: "/workspaces/{ws}/webhooks/{id}/redeliver", handle: a.redeliverWebhook},
		{method: "GET", path: "/workspaces/{ws}/webhooks/{id}/deliveries", params: []string{"status", "limit"}, handle: a.webhookDeliveries},
	}
}

// sealSecret checks a chosen secret, or makes one, and seals it: it must be
// recoverable to sign deliveries, so it is encrypted rather than hashed.
// The plain secret is returned to show once.
func (a *API) sealSecret(secret *string, pointer string) (plain, sealed string, err error) {
	if secret == nil || *secret == "" {
		plain, _ = directory.NewToken()
		plain = "whsec_" + plain
	} else {
		plain = *secret
		if err := directory.ValidateWebhookSecret(plain); err != nil {
			return "", "", errValidation(fieldErr(pointer, humanDetail(err)))
		}
	}
	return plain, a.box.Seal([]byte(plain), directory.WebhookSecretPurpose), nil
}

func (a *API) listWebhooks(c *call) (int, any, error) {
	list, err := a.d.ListWebhooks(c.r.Context(), c.actor, c.ws)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, WebhookList{Webhooks: listOf(list, WebhookOf)}, nil
}

func (a *API) createWebhook(c *call) (int, any, error) {
	var b webhookBody
	if err := c.decode(&b); err != nil {
		return 0, nil, err
	}
	var req required
	req.check(b.URL != nil && *b.URL != "", "url", "is required: the https:// address deliveries are POSTed to")
	if err := req.err(); err != nil {
		return 0, nil, err
	}
	plain, sealed, err := a.sealSecret(b.Secret, "secret")
	if err != nil {
		return 0, nil, err
	}
	r := directory.WebhookRequest{URL: *b.URL, EventTypes: b.EventTypes, SealedSecret: sealed, Active: b.Active}
	if b.Description != nil {
		r.Description = *b.Description
	}
	hook, err := a.d.CreateWebhook(c.r.Context(), c.actor, c.ws, r)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, WebhookWithSecret{Webhook: WebhookOf(hook), Secret: plain}, nil
}

func (a *API) getWebhook(c *call) (int, any, error) {
	hook, err := a.d.GetWebhook(c.r.Context(), c.actor, c.ws, c.path("id"))
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, WebhookOf(hook), nil
}

func (a *API) updateWebhook(c *call) (int, any, error) {
	var b webhookBody
	if err := c.decode(&b); err != nil {
		return 0, nil, err
	}
	if b.Secret != nil {
		return 0, nil, errValidation(fieldErr("secret", "change the secret with POST …/rotate-secret, which shows the new one"))
	}
	hook, err := a.d.UpdateWebhook(c.r.Context(), c.actor, c.ws, c.path("id"), directory.WebhookUpdate{URL: b.URL, Description: b.Description, EventTypes: b.EventTypes, Active: b.Active})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, WebhookOf(hook), nil
}

func (a *API) deleteWebhook(c *call) (int, any, error) {
	if err := a.d.DeleteWebhook(c.r.Context(), c.actor, c.ws, c.path("id")); err != nil {
		return 0, nil, err
	}
	return http.StatusNoContent, nil, nil
}

func (a *API) rotateWebhookSecret(c *call) (int, any, error) {
	var b secretBody
	if c.r.ContentLength != 0 {
		if err := c.decode(&b); err != nil {
			return 0, nil, err
		}
	}
	plain, sealed, err := a.sealSecret(b.Secret, "secret")
	if err != nil {
		return 0, nil, err
	}
	hook, err := a.d.UpdateWebhook(c.r.Context(), c.actor, c.ws, c.path("id"), directory.WebhookUpdate{SealedSecret: &sealed})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, WebhookWithSecret{Webhook: WebhookOf(hook), Secret: plain}, nil
}

func (a *API) pingWebhook(c *call) (int, any, error) {
	ev, err := a.d.PingWebhook(c.r.Context(), c.actor, c.ws, c.path("id"))
	if err != nil {
		return 0, nil, err
	}
	return http.StatusAccepted, EventRef{Event: EventOf(ev)}, nil
}

func (a *API) redeliverWebhook(c *call) (int, any, error) {
	n, err := a.d.RedeliverWebhook(c.r.Context(), c.actor, c.ws, c.path("id"))
	if err != nil {
		return 0, nil, err
	}
	return http.StatusAccepted, Requeued{Requeued: n}, nil
}

func (a *API) webhookDeliveries(c *call) (int, any, error) {
	status, err := c.queryEnum("status", directory.StatusAll, "pending", "sent", "failed")
	if err != nil {
		return 0, nil, err
	}
	limit, err := c.queryInt("limit", 50, 1, 500)
	if err != nil {
		return 0, nil, err
	}
	list, err := a.d.ListWebhookDeliveries(c.r.Context(), c.actor, c.ws, c.path("id"), status, limit)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, WebhookDeliveryList{Deliveries: listOf(list, WebhookDeliveryOf)}, nil
}

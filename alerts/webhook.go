package alerts

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"

	freezer "github.com/freezer-manager/freezer"
	"github.com/freezer-manager/freezer/devices"
)

// userAgent names the server in webhook requests.
const userAgent = "freezer-manager"

// IdempotencyKey is the Idempotency-Key header of an alert's webhooks.
func IdempotencyKey(alertID int64) string { return "freezer-alert-" + strconv.FormatInt(alertID, 10) }

// postWebhook posts one alert: its JSON, or for ntfy a line of text with
// ntfy's title, tags and priority headers. Any answer but a 2xx is a failure.
func (a *Job) postWebhook(ctx context.Context, w freezer.WebhookSettings, m devices.AlertMessage) error {
	ctx, cancel := context.WithTimeout(ctx, a.config.SendTimeout)
	defer cancel()
	body, contentType := m.Encode(), "application/json"
	if w.Format == freezer.WebhookNtfy {
		body, contentType = []byte(m.Text()), "text/plain; charset=utf-8"
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.URL, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("webhook: %w", err)
	}
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("User-Agent", userAgent)
	// The same key on every attempt of one alert: a receiver may drop a
	// repeat (a delivery sent by a replica that died before recording it).
	req.Header.Set("Idempotency-Key", IdempotencyKey(m.AlertID))
	if w.Format == freezer.WebhookNtfy {
		title, tags, priority := "Freezer: due soon", "hourglass_flowing_sand", "default"
		if m.EventType == freezer.AlertOverdue {
			title, tags, priority = "Freezer: overdue", "warning", "high"
		}
		req.Header.Set("Title", title)
		req.Header.Set("Tags", tags)
		req.Header.Set("Priority", priority)
	}
	if w.Token != "" {
		req.Header.Set("Authorization", "Bearer "+w.Token)
	}
	resp, err := a.config.HTTPClient.Do(req)
	if err != nil {
		return fmt.Errorf("webhook: %w", err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode < 200 || resp.StatusCode > 299 { // not the remote's own words: the household reads this
		return fmt.Errorf("webhook: answered %d %s", resp.StatusCode, http.StatusText(resp.StatusCode))
	}
	return nil
}

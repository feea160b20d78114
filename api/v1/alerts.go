package v1

import (
	"context"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	freezer "github.com/freezer-manager/freezer"
	"github.com/freezer-manager/freezer/api/httpapi"
)

// alertSettingsRequest changes a household's alert settings. It also takes
// back, and ignores, the read-only fields that GET returns, so that a client
// may send what it read with its changes.
type alertSettingsRequest struct {
	HouseholdID   *int64                               `json:"household_id"` // ignored: the path names the household
	MQTT          *bool                                `json:"mqtt"`
	Webhook       *alertWebhookRequest                 `json:"webhook"`
	Email         *alertEmailRequest                   `json:"email"`
	HomeAssistant *freezer.HomeAssistantSettingsUpdate `json:"home_assistant"`
	UpdatedAt     *time.Time                           `json:"updated_at"` // ignored
}

// alertWebhookRequest changes the webhook; token is write-only ("" removes it).
type alertWebhookRequest struct {
	freezer.WebhookSettingsUpdate
	TokenSet *bool `json:"token_set"` // ignored
}

// alertEmailRequest changes the digest e-mail; smtp_password is write-only ("" removes it).
type alertEmailRequest struct {
	freezer.EmailSettingsUpdate
	PasswordSet *bool `json:"smtp_password_set"` // ignored
}

func (r alertSettingsRequest) update() freezer.AlertSettingsUpdate {
	upd := freezer.AlertSettingsUpdate{MQTT: r.MQTT, HomeAssistant: r.HomeAssistant}
	if r.Webhook != nil {
		upd.Webhook = &r.Webhook.WebhookSettingsUpdate
	}
	if r.Email != nil {
		upd.Email = &r.Email.EmailSettingsUpdate
	}
	return upd
}

func (s *server) v1AlertRoutes() []route {
	return []route{
		{Method: http.MethodGet, Path: "/households/:id/alerts", Summary: "A household's alert channels (MQTT, webhook, e-mail digest) and Home Assistant discovery; secrets are never returned",
			Handler: s.v1GetAlertSettings, Response: freezer.AlertSettings{}},
		{Method: http.MethodPut, Path: "/households/:id/alerts", Summary: "Change a household's alert channels; fields left out keep their value, and a secret left out is kept while its URL or server stays the same",
			Handler: s.v1PutAlertSettings, Request: alertSettingsRequest{}, Response: freezer.AlertSettings{}},
		{Method: http.MethodPost, Path: "/admin/alerts/run", Summary: "Run the alert job now, in this server: record and deliver the new due-soon and overdue alerts",
			Handler: s.v1RunAlerts, Response: freezer.AlertRun{}, Admin: true},
	}
}

// alertSettings returns the service, or 503 when the server has none.
func (s *server) alertSettings() (freezer.AlertSettingsService, error) {
	if s.services.AlertSettings == nil {
		return nil, echo.NewHTTPError(http.StatusServiceUnavailable)
	}
	return s.services.AlertSettings, nil
}

func (s *server) v1GetAlertSettings(c echo.Context) error {
	id, err := httpapi.PathID(c, "id")
	if err != nil {
		return err
	}
	svc, err := s.alertSettings()
	if err != nil {
		return err
	}
	settings, err := svc.FindAlertSettings(httpapi.Ctx(c), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, settings.Public())
}

func (s *server) v1PutAlertSettings(c echo.Context) error {
	id, err := httpapi.PathID(c, "id")
	if err != nil {
		return err
	}
	svc, err := s.alertSettings()
	if err != nil {
		return err
	}
	var req alertSettingsRequest
	if err := s.bind(c, &req); err != nil {
		return err
	}
	if ha := req.HomeAssistant; ha != nil && ha.Prefix != nil {
		if err := freezer.DiscoveryPrefixOverlaps(*ha.Prefix, s.config.MQTTTopics.Root); err != nil {
			return err
		}
	}
	settings, err := svc.UpdateAlertSettings(httpapi.Ctx(c), id, req.update())
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, settings.Public())
}

func (s *server) v1RunAlerts(c echo.Context) error {
	if s.services.Alerts == nil {
		return echo.NewHTTPError(http.StatusServiceUnavailable)
	}
	// The run goes on if the client leaves: stopping half-way would only delay alerts.
	run, err := s.services.Alerts.Run(context.WithoutCancel(httpapi.Ctx(c)))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, run)
}

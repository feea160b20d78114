// Package httpapi holds what the HTTP surfaces of Freezer Manager share:
// the services they use (as interfaces), the mapping of domain errors to
// statuses and JSON error bodies, the request's acting user, strict JSON
// decoding and per-route rate limits.
//
// It imports the root package, devices (the scan ack), internal/throttle
// and Echo: never api, api/legacy, api/v1, api/web, nor a package that
// implements a service (db, hub, alerts, homeassistant, broker).
package httpapi

import (
	"context"
	"strconv"

	"github.com/labstack/echo/v4"

	freezer "github.com/freezer-manager/freezer"
	"github.com/freezer-manager/freezer/devices"
)

// Pinger checks that a dependency answers; the health check calls it.
type Pinger interface {
	Ping(ctx context.Context) error
}

// AlertRunner runs the alert job now, in this server.
type AlertRunner interface {
	Run(ctx context.Context) (*freezer.AlertRun, error)
}

// DeviceDisconnector drops a revoked device's MQTT connection at once.
type DeviceDisconnector interface {
	Disconnect(deviceID string)
}

// Scanner runs a scanner's scan through the hub's pipeline and answers its
// ack, as the hub does for a scan published over MQTT.
type Scanner interface {
	Scan(ctx context.Context, deviceID string, payload []byte) (devices.Ack, error)
}

// Services are the domain services the HTTP layer uses.
type Services struct {
	Database   Pinger
	Users      freezer.UserService
	Tokens     freezer.TokenService
	Households freezer.HouseholdService
	Freezers   freezer.FreezerService
	Products   freezer.ProductService
	Types      freezer.ProductTypeService
	Stats      freezer.StatsService
	Devices    freezer.DeviceService
	Events     freezer.EventService
	Exports    freezer.ExportService
	Sessions   freezer.SessionService   // web sign-ins
	SiteStats  freezer.SiteStatsService // the admin panel's figures
	// AlertSettings are the households' alert channels; Alerts runs the
	// alert job on demand (nil: POST /admin/alerts/run answers 503).
	AlertSettings freezer.AlertSettingsService
	Alerts        AlertRunner
	// Printers and Labels store printers, print jobs and blank labels;
	// Printing prints product labels (nil: the print routes answer 404).
	Printers freezer.PrinterService
	Labels   freezer.LabelService
	Printing freezer.LabelPrinter
	// Disconnector drops revoked devices from the embedded broker; nil
	// with an external broker, where devices authenticate elsewhere.
	Disconnector DeviceDisconnector
	// Scanner runs the scan page's scans through the hub (nil without a
	// broker: the scan route answers 503).
	Scanner Scanner
}

// Ctx returns the request's context.
func Ctx(c echo.Context) context.Context { return c.Request().Context() }

// userKey is where the acting user of a request is kept in the Echo context.
const userKey = "user"

// SetUser makes u the acting user of the request: for handlers (CurrentUser)
// and for the services (the request's context).
func SetUser(c echo.Context, u *freezer.User) {
	c.Set(userKey, u)
	c.SetRequest(c.Request().WithContext(freezer.NewContextWithUser(c.Request().Context(), u)))
}

// CurrentUser returns the acting user of the request, or nil.
func CurrentUser(c echo.Context) *freezer.User {
	u, _ := c.Get(userKey).(*freezer.User)
	return u
}

// PrimaryHousehold returns the household where new freezers and devices go
// when the caller names none: the first one they own, else the first one
// they belong to, else a new one.
func PrimaryHousehold(ctx context.Context, households freezer.HouseholdService) (int64, error) {
	list, err := households.FindHouseholds(ctx)
	if err != nil {
		return 0, err
	}
	userID := freezer.ActorFromContext(ctx).UserID
	for _, h := range list {
		members, err := households.FindMembers(ctx, h.ID)
		if err != nil {
			return 0, err
		}
		for _, m := range members {
			if m.UserID == userID && m.Role == freezer.RoleOwner {
				return h.ID, nil
			}
		}
	}
	if len(list) > 0 {
		return list[0].ID, nil
	}
	h := &freezer.Household{Name: "Home"}
	if err := households.CreateHousehold(ctx, h); err != nil {
		return 0, err
	}
	return h.ID, nil
}

// PathID reads an integer path parameter; anything else is 404.
func PathID(c echo.Context, name string) (int64, error) {
	id, err := strconv.ParseInt(c.Param(name), 10, 64)
	if err != nil || id < 1 {
		return 0, freezer.Errorf(freezer.ENOTFOUND, "Not found.")
	}
	return id, nil
}

package v1

import (
	"net"
	"net/http"

	"github.com/labstack/echo/v4"

	freezer "github.com/freezer-manager/freezer"
	"github.com/freezer-manager/freezer/api/httpapi"
	"github.com/freezer-manager/freezer/devices"
)

// deviceRequest registers a device; without household_id it joins the caller's first household.
type deviceRequest struct {
	HouseholdID int64  `json:"household_id"`
	Name        string `json:"name"`
	Kind        string `json:"kind"`       // scanner (default) or integration
	FreezerID   *int64 `json:"freezer_id"` // the freezer a scanner sits at
	Mode        string `json:"mode"`       // out (default), in or move
}

// newDeviceResponse carries a new device's credentials, shown this once.
type newDeviceResponse struct {
	Device      *freezer.Device     `json:"device"`
	Credentials devices.Credentials `json:"credentials"`
}

func (s *server) v1DeviceRoutes() []route {
	return []route{
		{Method: http.MethodGet, Path: "/devices", Summary: "The MQTT devices of the caller's households, with online state and last seen", Handler: s.v1ListDevices,
			Response: freezer.Device{}, List: true, Query: []param{{"household_id", "integer", "only this household's devices"}}},
		{Method: http.MethodPost, Path: "/devices", Summary: "Register a scanner or an integration; its password is shown once", Handler: s.v1CreateDevice,
			Request: deviceRequest{}, Response: newDeviceResponse{}, Status: http.StatusCreated},
		{Method: http.MethodGet, Path: "/devices/:device_id", Summary: "One device", Handler: s.v1GetDevice, Response: freezer.Device{}},
		{Method: http.MethodPatch, Path: "/devices/:device_id", Summary: "Rename a device, bind it to a freezer (0 unbinds) or set its mode", Handler: s.v1UpdateDevice,
			Request: freezer.DeviceUpdate{}, Response: freezer.Device{}},
		{Method: http.MethodDelete, Path: "/devices/:device_id", Summary: "Revoke a device: its credentials stop working and it is disconnected", Handler: s.v1DeleteDevice},
	}
}

func (s *server) v1ListDevices(c echo.Context) error {
	householdID, err := queryInt64(c, "household_id")
	if err != nil {
		return err
	}
	list, err := s.services.Devices.FindDevices(httpapi.Ctx(c), freezer.DeviceFilter{HouseholdID: householdID})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, listResponse[*freezer.Device]{Items: nonNil(list)})
}

func (s *server) v1CreateDevice(c echo.Context) error {
	var req deviceRequest
	if err := s.bind(c, &req); err != nil {
		return err
	}
	d := &freezer.Device{HouseholdID: req.HouseholdID, Name: req.Name, Kind: req.Kind, FreezerID: req.FreezerID, Mode: req.Mode}
	if d.Kind == "" {
		d.Kind = freezer.DeviceScanner
	}
	if d.HouseholdID == 0 {
		id, err := httpapi.PrimaryHousehold(httpapi.Ctx(c), s.services.Households)
		if err != nil {
			return err
		}
		d.HouseholdID = id
	}
	password, err := s.services.Devices.CreateDevice(httpapi.Ctx(c), d)
	if err != nil {
		return err
	}
	creds := devices.NewCredentials(s.config.MQTTTopics, d.Kind, d.ID, password, s.brokerURL(c))
	return c.JSON(http.StatusCreated, newDeviceResponse{Device: d, Credentials: creds})
}

// brokerURL is the MQTT address devices are told to use: the configured
// one, else the embedded broker's port on the host this request came to.
func (s *server) brokerURL(c echo.Context) string {
	host := c.Request().Host
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	return devices.BrokerURL(s.config.MQTTPublicURL, host, s.config.MQTTPort)
}

func (s *server) v1GetDevice(c echo.Context) error {
	d, err := s.services.Devices.FindDeviceByID(httpapi.Ctx(c), c.Param("device_id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, d)
}

func (s *server) v1UpdateDevice(c echo.Context) error {
	var upd freezer.DeviceUpdate
	if err := s.bind(c, &upd); err != nil {
		return err
	}
	d, err := s.services.Devices.UpdateDevice(httpapi.Ctx(c), c.Param("device_id"), upd)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, d)
}

func (s *server) v1DeleteDevice(c echo.Context) error {
	id := c.Param("device_id")
	if err := s.services.Devices.DeleteDevice(httpapi.Ctx(c), id); err != nil {
		return err
	}
	if s.services.Disconnector != nil {
		s.services.Disconnector.Disconnect(id)
	}
	return c.NoContent(http.StatusNoContent)
}

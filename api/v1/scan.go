package v1

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"image"
	_ "image/jpeg" // camera frames
	_ "image/png"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	freezer "github.com/freezer-manager/freezer"
	"github.com/freezer-manager/freezer/api/httpapi"
	"github.com/freezer-manager/freezer/devices"
	"github.com/freezer-manager/freezer/labels"
)

// scanTimeout bounds how long a scan waits for its batch to commit; a scan
// not answered by then is resent with the same id by the scan page.
const scanTimeout = 15 * time.Second

// imageRequest carries a camera frame, as a data URL or plain base64.
type imageRequest struct {
	Image string `json:"image"` // data:image/jpeg;base64,… or data:image/png;base64,…
}

// scanAnswer is a scan's ack (see devices.Ack), with every member present.
type scanAnswer struct {
	ID       string `json:"id"`
	Status   string `json:"status"` // ok, already, unknown, denied or error
	Op       string `json:"op"`
	Product  string `json:"product"`
	Location string `json:"location"`
	Msg      string `json:"msg"`
}

// codeResponse is the text of the code found in an image.
type codeResponse struct {
	Code string `json:"code"`
}

func (s *server) v1ScanRoutes() []route {
	return []route{
		{Method: http.MethodPost, Path: "/devices/:device_id/scans",
			Summary: "Scan as one of the household's scanners (the phone's scan page): the same pipeline, ack and idempotent message id as over MQTT",
			Handler: s.v1Scan, Request: devices.ScanMessage{}, Response: scanAnswer{}},
		{Method: http.MethodPost, Path: "/scan-image", Summary: "Read the code of a camera frame (JPEG or PNG), for browsers without a barcode detector; 422 when none",
			Handler: s.v1ScanImage, Request: imageRequest{}, Response: codeResponse{}},
	}
}

func (s *server) v1Scan(c echo.Context) error {
	var msg devices.ScanMessage
	if err := s.bind(c, &msg); err != nil {
		return err
	}
	id := c.Param("device_id")
	d, err := s.services.Devices.FindDeviceByID(httpapi.Ctx(c), id)
	if err != nil {
		return err
	}
	if d.Kind != freezer.DeviceScanner {
		return freezer.Errorf(freezer.EINVALID, "Device %q is not a scanner.", id)
	}
	if s.services.Scanner == nil {
		return echo.NewHTTPError(http.StatusServiceUnavailable, "This server runs no scan pipeline (no MQTT broker).")
	}
	payload, err := json.Marshal(msg)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(httpapi.Ctx(c), scanTimeout)
	defer cancel()
	ack, err := s.services.Scanner.Scan(ctx, d.ID, payload)
	if err != nil {
		return echo.NewHTTPError(http.StatusServiceUnavailable, "The scan was not answered in time: send it again with the same id.")
	}
	return c.JSON(http.StatusOK, scanAnswer{ID: ack.ID, Status: ack.Status, Op: ack.Op, Product: ack.Product, Location: ack.Location, Msg: ack.Msg})
}

func (s *server) v1ScanImage(c echo.Context) error {
	var req imageRequest
	if err := s.bind(c, &req); err != nil {
		return err
	}
	data := req.Image
	if rest, ok := strings.CutPrefix(data, "data:"); ok {
		_, data, _ = strings.Cut(rest, ",")
	}
	raw, err := base64.StdEncoding.DecodeString(data)
	if err != nil {
		return freezer.Errorf(freezer.EINVALID, "image must be base64 or a data URL.")
	}
	img, _, err := image.Decode(bytes.NewReader(raw))
	if err != nil {
		return freezer.Errorf(freezer.EINVALID, "image must be a JPEG or PNG picture.")
	}
	if b := img.Bounds(); b.Dx() > maxScanImageSide || b.Dy() > maxScanImageSide {
		return freezer.Errorf(freezer.EINVALID, "image must be at most %d pixels wide and high.", maxScanImageSide)
	}
	select {
	case s.decoding <- struct{}{}:
		defer func() { <-s.decoding }()
	default:
		return echo.NewHTTPError(http.StatusTooManyRequests, "Too many frames at once: send the next one.")
	}
	code, ok := labels.ReadCode(img)
	if !ok {
		return echo.NewHTTPError(http.StatusUnprocessableEntity, "No code found in the image.")
	}
	return c.JSON(http.StatusOK, codeResponse{Code: code})
}

// maxDecodes bounds the frames decoded at once, one per core of a small
// server: a scan page sends its next frame when the last one is answered.
const maxDecodes = 2

// maxScanImageSide bounds a frame's width and height: the scan page sends
// frames of at most 1280 pixels, and decoding costs with the area.
const maxScanImageSide = 2048

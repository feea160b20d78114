package legacy

import (
	"context"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	freezer "github.com/freezer-manager/freezer"
	"github.com/freezer-manager/freezer/api/httpapi"
)

// legacyFreezer is a freezer as the original API lists it.
type legacyFreezer struct {
	FreezerID   int64  `json:"freezer_id"`
	FreezerName string `json:"freezer_name"`
	NumberBoxes int    `json:"number_boxes"`
}

func (s *server) legacyListFreezers(c echo.Context) error {
	ctx, err := s.legacyAuth(c)
	if err != nil {
		return err
	}
	list, err := s.services.Freezers.FindFreezers(ctx, freezer.FreezerFilter{})
	if err != nil {
		return legacyInternal(err)
	}
	out := make([]legacyFreezer, 0, len(list))
	for _, f := range list {
		out = append(out, legacyFreezer{FreezerID: f.ID, FreezerName: f.Name, NumberBoxes: f.NumberBoxes})
	}
	return c.JSON(http.StatusOK, out)
}

func (s *server) legacyCreateFreezer(c echo.Context) error {
	ctx, err := s.legacyAuth(c)
	if err != nil {
		return err
	}
	body, err := s.readLegacyBody(c, legacyFreezerCreateKeys...)
	if err != nil {
		return err
	}
	numBoxes, okBoxes := body.number("num_boxes")
	name, okName := body.text("name")
	f := &freezer.Freezer{Name: name, NumberBoxes: int(numBoxes), HouseholdID: 1}
	if !okBoxes || !okName || f.Validate() != nil {
		return errLegacy(http.StatusBadRequest, legacyBadFormat)
	}
	if f.HouseholdID, err = httpapi.PrimaryHousehold(ctx, s.services.Households); err != nil {
		return legacyInternal(err)
	}
	if err := s.services.Freezers.CreateFreezer(ctx, f); err != nil {
		return legacyFailure(err, legacyBadFormat)
	}
	return c.NoContent(http.StatusOK)
}

// legacyFreezerID reads body["freezer_id"] and checks that the caller may
// see that freezer: BAD_FORMAT otherwise.
func (s *server) legacyFreezerID(ctx context.Context, body legacyBody) (*freezer.Freezer, error) {
	id, ok := body.number("freezer_id")
	if !ok {
		return nil, errLegacy(http.StatusBadRequest, legacyBadFormat)
	}
	f, err := s.services.Freezers.FindFreezerByID(ctx, id)
	if err != nil {
		return nil, legacyFailure(err, legacyBadFormat)
	}
	return f, nil
}

func (s *server) legacyUpdateFreezer(c echo.Context) error {
	ctx, err := s.legacyAuth(c)
	if err != nil {
		return err
	}
	body, err := s.readLegacyBody(c, legacyFreezerUpdateKeys...)
	if err != nil {
		return err
	}
	f, err := s.legacyFreezerID(ctx, body)
	if err != nil {
		return err
	}
	var upd freezer.FreezerUpdate
	if !body.isEmpty("num_boxes") {
		n, ok := body.number("num_boxes")
		boxes := int(n)
		if !ok || freezer.ValidateNumberBoxes(boxes) != nil {
			return errLegacy(http.StatusBadRequest, legacyBadFormat)
		}
		upd.NumberBoxes = &boxes
	}
	if !body.isEmpty("name") {
		name, ok := body.text("name")
		if !ok {
			return errLegacy(http.StatusBadRequest, legacyBadFormat)
		}
		upd.Name = &name
	}
	if _, err := s.services.Freezers.UpdateFreezer(ctx, f.ID, upd); err != nil {
		return legacyFailure(err, legacyBadFormat)
	}
	return c.NoContent(http.StatusOK)
}

func (s *server) legacyDeleteFreezer(c echo.Context) error {
	ctx, err := s.legacyAuth(c)
	if err != nil {
		return err
	}
	body, err := s.readLegacyBody(c, legacyFreezerDeleteKeys...)
	if err != nil {
		return err
	}
	f, err := s.legacyFreezerID(ctx, body)
	if err != nil {
		return err
	}
	if err := s.services.Freezers.DeleteFreezer(ctx, f.ID); err != nil {
		if freezer.ErrorCode(err) == freezer.ECONFLICT {
			return errLegacy(http.StatusBadRequest, legacyDeleteFreezer)
		}
		return legacyFailure(err, legacyBadFormat)
	}
	return c.NoContent(http.StatusOK)
}

func (s *server) legacyNextID(c echo.Context) error {
	ids, err := pathInts(c, "freezer")
	if err != nil {
		return err
	}
	ctx, err := s.legacyAuth(c)
	if err != nil {
		return err
	}
	next, err := s.services.Freezers.NextFreeSlots(ctx, ids[0])
	if err != nil {
		return legacyFailure(err, legacyBadFormat)
	}
	out := make(map[string]int, len(next))
	for box, slot := range next {
		out[strconv.Itoa(box)] = slot
	}
	return c.JSON(http.StatusOK, out)
}

// legacyFailure answers a failed service call: a client error (invalid,
// not found, conflict) with 400 and the given text, anything else with 500.
func legacyFailure(err error, details string) error {
	switch freezer.ErrorCode(err) {
	case freezer.EINVALID, freezer.ENOTFOUND, freezer.ECONFLICT, freezer.EFORBIDDEN:
		return errLegacy(http.StatusBadRequest, details)
	}
	return legacyInternal(err)
}

package v1

import (
	"net/http"

	"github.com/labstack/echo/v4"

	freezer "github.com/freezer-manager/freezer"
	"github.com/freezer-manager/freezer/api/httpapi"
)

// freezerRequest creates a freezer; without household_id it goes to the caller's first household.
type freezerRequest struct {
	HouseholdID int64  `json:"household_id"`
	Name        string `json:"name"`
	NumberBoxes int    `json:"number_boxes"`
}

// boxView is one box of a freezer.
type boxView struct {
	Box          int `json:"box"`
	NextFreeSlot int `json:"next_free_slot"`
}

func (s *server) v1FreezerRoutes() []route {
	return []route{
		{Method: http.MethodGet, Path: "/freezers", Summary: "The freezers of the caller's households", Handler: s.v1ListFreezers,
			Response: freezer.Freezer{}, List: true, Query: []param{
				{"household_id", "integer", "only this household's freezers"},
				{"include_archived", "boolean", "also list archived freezers"},
			}},
		{Method: http.MethodPost, Path: "/freezers", Summary: "Add a freezer", Handler: s.v1CreateFreezer,
			Request: freezerRequest{}, Response: freezer.Freezer{}, Status: http.StatusCreated},
		{Method: http.MethodGet, Path: "/freezers/:id", Summary: "One freezer", Handler: s.v1GetFreezer, Response: freezer.Freezer{}},
		{Method: http.MethodPatch, Path: "/freezers/:id", Summary: "Rename or resize a freezer (never below a box that holds a product)", Handler: s.v1UpdateFreezer,
			Request: freezer.FreezerUpdate{}, Response: freezer.Freezer{}},
		{Method: http.MethodDelete, Path: "/freezers/:id", Summary: "Delete a freezer that never held a product (409 otherwise: archive it)", Handler: s.v1DeleteFreezer},
		{Method: http.MethodPost, Path: "/freezers/:id/archive", Summary: "Archive an empty freezer, keeping its history", Handler: s.v1ArchiveFreezer, Response: freezer.Freezer{}},
		{Method: http.MethodGet, Path: "/freezers/:id/boxes", Summary: "The boxes of a freezer with their next free slot", Handler: s.v1ListBoxes, Response: boxView{}, List: true},
	}
}

func (s *server) v1ListFreezers(c echo.Context) error {
	householdID, err := queryInt64(c, "household_id")
	if err != nil {
		return err
	}
	archived, err := queryBool(c, "include_archived")
	if err != nil {
		return err
	}
	list, err := s.services.Freezers.FindFreezers(httpapi.Ctx(c), freezer.FreezerFilter{HouseholdID: householdID, IncludeArchived: archived})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, listResponse[*freezer.Freezer]{Items: nonNil(list)})
}

func (s *server) v1CreateFreezer(c echo.Context) error {
	var req freezerRequest
	if err := s.bind(c, &req); err != nil {
		return err
	}
	f := &freezer.Freezer{HouseholdID: req.HouseholdID, Name: req.Name, NumberBoxes: req.NumberBoxes}
	if f.HouseholdID == 0 {
		id, err := httpapi.PrimaryHousehold(httpapi.Ctx(c), s.services.Households)
		if err != nil {
			return err
		}
		f.HouseholdID = id
	}
	if err := s.services.Freezers.CreateFreezer(httpapi.Ctx(c), f); err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, f)
}

func (s *server) v1GetFreezer(c echo.Context) error {
	id, err := httpapi.PathID(c, "id")
	if err != nil {
		return err
	}
	f, err := s.services.Freezers.FindFreezerByID(httpapi.Ctx(c), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, f)
}

func (s *server) v1UpdateFreezer(c echo.Context) error {
	id, err := httpapi.PathID(c, "id")
	if err != nil {
		return err
	}
	var upd freezer.FreezerUpdate
	if err := s.bind(c, &upd); err != nil {
		return err
	}
	f, err := s.services.Freezers.UpdateFreezer(httpapi.Ctx(c), id, upd)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, f)
}

func (s *server) v1DeleteFreezer(c echo.Context) error {
	id, err := httpapi.PathID(c, "id")
	if err != nil {
		return err
	}
	if err := s.services.Freezers.DeleteFreezer(httpapi.Ctx(c), id); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

func (s *server) v1ArchiveFreezer(c echo.Context) error {
	id, err := httpapi.PathID(c, "id")
	if err != nil {
		return err
	}
	f, err := s.services.Freezers.ArchiveFreezer(httpapi.Ctx(c), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, f)
}

func (s *server) v1ListBoxes(c echo.Context) error {
	id, err := httpapi.PathID(c, "id")
	if err != nil {
		return err
	}
	next, err := s.services.Freezers.NextFreeSlots(httpapi.Ctx(c), id)
	if err != nil {
		return err
	}
	boxes := make([]boxView, 0, len(next))
	for box := 1; box <= len(next); box++ {
		boxes = append(boxes, boxView{Box: box, NextFreeSlot: next[box]})
	}
	return c.JSON(http.StatusOK, listResponse[boxView]{Items: boxes})
}

package api

import (
	"net/http"

	"github.com/labstack/echo/v4"

	freezer "github.com/freezer-manager/freezer"
)

// memberRequest invites a user by e-mail.
type memberRequest struct {
	Email string `json:"email"`
}

func (s *Server) v1HouseholdRoutes() []route {
	return []route{
		{Method: http.MethodGet, Path: "/households", Summary: "The caller's households", Handler: s.v1ListHouseholds, Response: freezer.Household{}, List: true},
		{Method: http.MethodGet, Path: "/households/:id", Summary: "One household", Handler: s.v1GetHousehold, Response: freezer.Household{}},
		{Method: http.MethodPatch, Path: "/households/:id", Summary: "Rename a household or change its due-soon window", Handler: s.v1UpdateHousehold,
			Request: freezer.HouseholdUpdate{}, Response: freezer.Household{}},
		{Method: http.MethodGet, Path: "/households/:id/members", Summary: "A household's members", Handler: s.v1ListMembers, Response: freezer.Member{}, List: true},
		{Method: http.MethodPost, Path: "/households/:id/members", Summary: "Share the household with a registered user, by e-mail", Handler: s.v1AddMember,
			Request: memberRequest{}, Response: freezer.Member{}, Status: http.StatusCreated},
		{Method: http.MethodDelete, Path: "/households/:id/members/:user_id", Summary: "Remove a member; your own id leaves the household", Handler: s.v1RemoveMember},
	}
}

func (s *Server) v1ListHouseholds(c echo.Context) error {
	list, err := s.services.Households.FindHouseholds(ctxOf(c))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, listResponse[*freezer.Household]{Items: nonNil(list)})
}

func (s *Server) v1GetHousehold(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	h, err := s.services.Households.FindHouseholdByID(ctxOf(c), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, h)
}

func (s *Server) v1UpdateHousehold(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	var upd freezer.HouseholdUpdate
	if err := s.bind(c, &upd); err != nil {
		return err
	}
	h, err := s.services.Households.UpdateHousehold(ctxOf(c), id, upd)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, h)
}

func (s *Server) v1ListMembers(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	list, err := s.services.Households.FindMembers(ctxOf(c), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, listResponse[*freezer.Member]{Items: nonNil(list)})
}

func (s *Server) v1AddMember(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	var req memberRequest
	if err := s.bind(c, &req); err != nil {
		return err
	}
	m, err := s.services.Households.AddMember(ctxOf(c), id, req.Email)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, m)
}

func (s *Server) v1RemoveMember(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	userID, err := pathID(c, "user_id")
	if err != nil {
		return err
	}
	if err := s.services.Households.RemoveMember(ctxOf(c), id, userID); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

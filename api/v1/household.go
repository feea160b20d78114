package v1

import (
	"net/http"

	"github.com/labstack/echo/v4"

	freezer "github.com/freezer-manager/freezer"
	"github.com/freezer-manager/freezer/api/httpapi"
)

// memberRequest invites a user by e-mail.
type memberRequest struct {
	Email string `json:"email"`
}

func (s *server) v1HouseholdRoutes() []route {
	return []route{
		{Method: http.MethodGet, Path: "/households", Summary: "The caller's households", Handler: s.v1ListHouseholds, Response: freezer.Household{}, List: true},
		{Method: http.MethodGet, Path: "/households/:id", Summary: "One household", Handler: s.v1GetHousehold, Response: freezer.Household{}},
		{Method: http.MethodPatch, Path: "/households/:id", Summary: "Rename a household or change its due-soon window", Handler: s.v1UpdateHousehold,
			Request: freezer.HouseholdUpdate{}, Response: freezer.Household{}},
		{Method: http.MethodGet, Path: "/households/:id/members", Summary: "A household's members", Handler: s.v1ListMembers, Response: freezer.Member{}, List: true},
		{Method: http.MethodPost, Path: "/households/:id/members", Summary: "Invite an e-mail address into the household: its user joins on accepting; the answer is the same whether the address has an account",
			Handler: s.v1InviteMember, Request: memberRequest{}, Response: freezer.Invitation{}, Status: http.StatusCreated},
		{Method: http.MethodGet, Path: "/households/:id/invitations", Summary: "A household's pending invitations", Handler: s.v1ListHouseholdInvitations,
			Response: freezer.Invitation{}, List: true},
		{Method: http.MethodGet, Path: "/invitations", Summary: "The invitations of the caller's e-mail address", Handler: s.v1ListInvitations,
			Response: freezer.Invitation{}, List: true},
		{Method: http.MethodPost, Path: "/invitations/:id/accept", Summary: "Accept an invitation: join its household", Handler: s.v1AcceptInvitation,
			Response: freezer.Member{}},
		{Method: http.MethodDelete, Path: "/invitations/:id", Summary: "Decline an invitation, or withdraw one of your household's", Handler: s.v1DeclineInvitation},
		{Method: http.MethodDelete, Path: "/households/:id/members/:user_id", Summary: "Remove a member; your own id leaves the household", Handler: s.v1RemoveMember},
	}
}

func (s *server) v1ListHouseholds(c echo.Context) error {
	list, err := s.services.Households.FindHouseholds(httpapi.Ctx(c))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, listResponse[*freezer.Household]{Items: nonNil(list)})
}

func (s *server) v1GetHousehold(c echo.Context) error {
	id, err := httpapi.PathID(c, "id")
	if err != nil {
		return err
	}
	h, err := s.services.Households.FindHouseholdByID(httpapi.Ctx(c), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, h)
}

func (s *server) v1UpdateHousehold(c echo.Context) error {
	id, err := httpapi.PathID(c, "id")
	if err != nil {
		return err
	}
	var upd freezer.HouseholdUpdate
	if err := s.bind(c, &upd); err != nil {
		return err
	}
	h, err := s.services.Households.UpdateHousehold(httpapi.Ctx(c), id, upd)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, h)
}

func (s *server) v1ListMembers(c echo.Context) error {
	id, err := httpapi.PathID(c, "id")
	if err != nil {
		return err
	}
	list, err := s.services.Households.FindMembers(httpapi.Ctx(c), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, listResponse[*freezer.Member]{Items: nonNil(list)})
}

func (s *server) v1InviteMember(c echo.Context) error {
	id, err := httpapi.PathID(c, "id")
	if err != nil {
		return err
	}
	var req memberRequest
	if err := s.bind(c, &req); err != nil {
		return err
	}
	inv, err := s.services.Households.InviteMember(httpapi.Ctx(c), id, req.Email)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, inv)
}

func (s *server) v1ListHouseholdInvitations(c echo.Context) error {
	id, err := httpapi.PathID(c, "id")
	if err != nil {
		return err
	}
	list, err := s.services.Households.FindHouseholdInvitations(httpapi.Ctx(c), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, listResponse[*freezer.Invitation]{Items: nonNil(list)})
}

func (s *server) v1ListInvitations(c echo.Context) error {
	list, err := s.services.Households.FindInvitations(httpapi.Ctx(c))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, listResponse[*freezer.Invitation]{Items: nonNil(list)})
}

func (s *server) v1AcceptInvitation(c echo.Context) error {
	id, err := httpapi.PathID(c, "id")
	if err != nil {
		return err
	}
	m, err := s.services.Households.AcceptInvitation(httpapi.Ctx(c), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, m)
}

func (s *server) v1DeclineInvitation(c echo.Context) error {
	id, err := httpapi.PathID(c, "id")
	if err != nil {
		return err
	}
	if err := s.services.Households.DeclineInvitation(httpapi.Ctx(c), id); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

func (s *server) v1RemoveMember(c echo.Context) error {
	id, err := httpapi.PathID(c, "id")
	if err != nil {
		return err
	}
	userID, err := httpapi.PathID(c, "user_id")
	if err != nil {
		return err
	}
	if err := s.services.Households.RemoveMember(httpapi.Ctx(c), id, userID); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

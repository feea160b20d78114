package v1

import (
	"net/http"

	"github.com/labstack/echo/v4"

	freezer "github.com/freezer-manager/freezer"
	"github.com/freezer-manager/freezer/api/httpapi"
)

// meResponse is the caller's account.
type meResponse struct {
	User       *freezer.User        `json:"user"`
	Households []*freezer.Household `json:"households"`
	// Today is the server's calendar day (--tz), the "today" of every date
	// rule: the dashboard's default and latest day.
	Today freezer.Date `json:"today"`
}

func (s *server) v1MeRoutes() []route {
	return []route{
		{Method: http.MethodGet, Path: "/me", Summary: "The caller's account and households", Handler: s.v1Me, Response: meResponse{}},
	}
}

func (s *server) v1Me(c echo.Context) error {
	households, err := s.services.Households.FindHouseholds(httpapi.Ctx(c))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, meResponse{User: httpapi.CurrentUser(c), Households: nonNil(households), Today: s.services.Products.Today()})
}

// nonNil turns a nil list into an empty one, so that JSON shows [] not null.
func nonNil[T any](list []T) []T {
	if list == nil {
		return []T{}
	}
	return list
}

// tokenRequest names a new token.
type tokenRequest struct {
	Name string `json:"name"`
}

// newTokenResponse carries a new token's secret, shown this once.
type newTokenResponse struct {
	Token  *freezer.Token `json:"token"`
	Secret string         `json:"secret"`
}

func (s *server) v1TokenRoutes() []route {
	return []route{
		{Method: http.MethodGet, Path: "/tokens", Summary: "The caller's API tokens", Handler: s.v1ListTokens, Response: freezer.Token{}, List: true},
		{Method: http.MethodPost, Path: "/tokens", Summary: "Create a named token; its secret is shown once", Handler: s.v1CreateToken,
			Request: tokenRequest{}, Response: newTokenResponse{}, Status: http.StatusCreated},
		{Method: http.MethodDelete, Path: "/tokens/:id", Summary: "Revoke a token", Handler: s.v1RevokeToken},
	}
}

func (s *server) v1ListTokens(c echo.Context) error {
	list, err := s.services.Tokens.FindTokens(httpapi.Ctx(c))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, listResponse[*freezer.Token]{Items: nonNil(list)})
}

func (s *server) v1CreateToken(c echo.Context) error {
	var req tokenRequest
	if err := s.bind(c, &req); err != nil {
		return err
	}
	tok, secret, err := s.services.Tokens.CreateToken(httpapi.Ctx(c), req.Name)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, newTokenResponse{Token: tok, Secret: secret})
}

func (s *server) v1RevokeToken(c echo.Context) error {
	id, err := httpapi.PathID(c, "id")
	if err != nil {
		return err
	}
	if err := s.services.Tokens.RevokeToken(httpapi.Ctx(c), id); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

func (s *server) v1TypeRoutes() []route {
	return []route{
		{Method: http.MethodGet, Path: "/product-types", Summary: "Every product type", Handler: s.v1ListTypes, Response: freezer.ProductType{}, List: true},
		{Method: http.MethodPost, Path: "/product-types", Summary: "Add a product type (administrators)", Handler: s.v1CreateType,
			Request: freezer.ProductType{}, Response: freezer.ProductType{}, Admin: true, Status: http.StatusCreated},
		{Method: http.MethodPatch, Path: "/product-types/:id", Summary: "Rename a product type (administrators)", Handler: s.v1UpdateType,
			Request: freezer.ProductTypeUpdate{}, Response: freezer.ProductType{}, Admin: true},
	}
}

func (s *server) v1ListTypes(c echo.Context) error {
	list, err := s.services.Types.FindProductTypes(httpapi.Ctx(c))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, listResponse[*freezer.ProductType]{Items: nonNil(list)})
}

func (s *server) v1CreateType(c echo.Context) error {
	var t freezer.ProductType
	if err := s.bind(c, &t); err != nil {
		return err
	}
	if t.ID != 0 {
		return freezer.Errorf(freezer.EINVALID, "id is chosen by the server.")
	}
	if err := s.services.Types.CreateProductType(httpapi.Ctx(c), &t); err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, t)
}

func (s *server) v1UpdateType(c echo.Context) error {
	id, err := httpapi.PathID(c, "id")
	if err != nil {
		return err
	}
	var upd freezer.ProductTypeUpdate
	if err := s.bind(c, &upd); err != nil {
		return err
	}
	t, err := s.services.Types.UpdateProductType(httpapi.Ctx(c), id, upd)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, t)
}

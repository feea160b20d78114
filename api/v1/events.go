package v1

import (
	"net/http"

	"github.com/labstack/echo/v4"

	freezer "github.com/freezer-manager/freezer"
	"github.com/freezer-manager/freezer/api/httpapi"
)

func (s *server) v1EventRoutes() []route {
	return []route{
		{Method: http.MethodGet, Path: "/events", Summary: "The change log of the caller's households, newest first; it keeps the history of deleted products",
			Handler: s.v1ListEvents, Response: freezer.HistoryEvent{}, List: true, Query: []param{
				{"household_id", "integer", "only this household (404 when it is not the caller's)"},
				{"product_id", "integer", "only this product, even deleted"},
				{"limit", "integer", "page size, 1 to 500 (default 50)"},
				{"cursor", "string", "next_cursor of the previous page"},
			}},
	}
}

func (s *server) v1ListEvents(c echo.Context) error {
	var filter freezer.EventFilter
	var err error
	if filter.HouseholdID, err = queryInt64(c, "household_id"); err != nil {
		return err
	}
	if filter.ProductID, err = queryInt64(c, "product_id"); err != nil {
		return err
	}
	pg, err := readPage(c)
	if err != nil {
		return err
	}
	if pg.Offset != 0 {
		return freezer.Errorf(freezer.EINVALID, "cursor is not one this API gave.")
	}
	// The id cursor is the last id of the previous page: newest first, the
	// next page holds smaller ids. One more than asked tells whether there is one.
	filter.BeforeID, filter.Limit = pg.AfterID, pg.Limit+1
	list, err := s.services.Events.FindEvents(httpapi.Ctx(c), filter)
	if err != nil {
		return err
	}
	resp := listResponse[*freezer.HistoryEvent]{}
	if len(list) > pg.Limit {
		list = list[:pg.Limit]
		resp.NextCursor = idCursor(list[len(list)-1].ID)
	}
	resp.Items = nonNil(list)
	return c.JSON(http.StatusOK, resp)
}

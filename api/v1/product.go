package v1

import (
	"context"
	"net/http"

	"github.com/labstack/echo/v4"

	freezer "github.com/freezer-manager/freezer"
	"github.com/freezer-manager/freezer/api/httpapi"
)

// productView is a product with the dates derived from it.
type productView struct {
	*freezer.Product
	UseBy freezer.Date `json:"use_by"`
	Stage string       `json:"stage"` // inside, due_soon, overdue or out
}

// productRequest creates a product. Without slot it takes the next free
// slot of the box; without date_in it went in today; without quantity it
// serves one person.
type productRequest struct {
	FreezerID    int64        `json:"freezer_id"`
	Box          int          `json:"box"`
	Slot         int          `json:"slot"`
	Name         string       `json:"name"`
	Description  string       `json:"description"`
	TypeID       int64        `json:"type_id"`
	Quantity     *int         `json:"quantity"`
	Barcode      string       `json:"barcode"`
	DateIn       freezer.Date `json:"date_in"`
	PeriodMonths int          `json:"period_months"`
	// LabelCode, the code of a blank label printed ahead (FZ-I-000123),
	// gives the product that label's id.
	LabelCode string `json:"label_code"`
}

func (s *server) v1ProductRoutes() []route {
	return []route{
		{Method: http.MethodGet, Path: "/products", Summary: "Products of the caller's households", Handler: s.v1ListProducts,
			Response: productView{}, List: true, Query: []param{
				{"state", "string", "inside (default), out or all"},
				{"freezer_id", "integer", "only this freezer"},
				{"box", "integer", "only this box"},
				{"type_id", "integer", "only this product type"},
				{"stage", "string", "only products inside at this stage: overdue or due_soon"},
				{"q", "string", "text in the name or description"},
				{"barcode", "string", "only this retail barcode"},
				{"sort", "string", "id (default), name, type, place, quantity, date_in, use_by or date_out, each reversed by a leading - (-date_out: the latest out first); or eat_next"},
				{"lang", "string", "the language of the type names sort=type orders by: en (default) or fr"},
				{"limit", "integer", "page size, 1 to 500 (default 50)"},
				{"cursor", "string", "next_cursor of the previous page"},
			}},
		{Method: http.MethodGet, Path: "/products/eat-next", Summary: "What to eat next: overdue first, then due soon, then the oldest inside",
			Handler: s.v1EatNext, Response: productView{}, List: true, Query: []param{
				{"household_id", "integer", "only this household"},
				{"limit", "integer", "how many, 1 to 50 (default 5)"},
			}},
		{Method: http.MethodPost, Path: "/products", Summary: "Put a product in a freezer", Handler: s.v1CreateProduct,
			Request: productRequest{}, Response: productView{}, Status: http.StatusCreated},
		{Method: http.MethodGet, Path: "/products/:id", Summary: "One product", Handler: s.v1GetProduct, Response: productView{}},
		{Method: http.MethodPatch, Path: "/products/:id", Summary: "Change a product; with version, 409 when someone changed it first", Handler: s.v1UpdateProduct,
			Request: freezer.ProductUpdate{}, Response: productView{}},
		{Method: http.MethodPost, Path: "/products/:id/take-out", Summary: "Take a product out; 409 when it is already out", Handler: s.v1TakeOut,
			Request: freezer.TakeOutRequest{}, Response: productView{}},
		{Method: http.MethodPost, Path: "/products/:id/put-back", Summary: "Put a taken-out product back in; 409 when it is inside", Handler: s.v1PutBack,
			Request: freezer.PutBackRequest{}, Response: productView{}},
		{Method: http.MethodPost, Path: "/products/:id/move", Summary: "Move a product to another box (a product out goes back in)", Handler: s.v1Move,
			Request: freezer.MoveRequest{}, Response: productView{}},
		{Method: http.MethodDelete, Path: "/products/:id", Summary: "Delete a product record (its history of scans stays)", Handler: s.v1DeleteProduct},
	}
}

// viewer derives product views with each household's due-soon window.
type viewer struct {
	today  freezer.Date
	window map[int64]int
}

func (s *server) newViewer(ctx context.Context) (*viewer, error) {
	households, err := s.services.Households.FindHouseholds(ctx)
	if err != nil {
		return nil, err
	}
	v := &viewer{today: s.services.Products.Today(), window: make(map[int64]int, len(households))}
	for _, h := range households {
		v.window[h.ID] = h.DueSoonDays
	}
	return v, nil
}

func (v *viewer) view(p *freezer.Product) productView {
	days, ok := v.window[p.HouseholdID]
	if !ok {
		days = freezer.DefaultDueSoonDays
	}
	return productView{Product: p, UseBy: p.UseBy(), Stage: p.Stage(v.today, days)}
}

// respondProduct answers with one product's view.
func (s *server) respondProduct(c echo.Context, status int, p *freezer.Product) error {
	v, err := s.newViewer(httpapi.Ctx(c))
	if err != nil {
		return err
	}
	return c.JSON(status, v.view(p))
}

func (s *server) v1ListProducts(c echo.Context) error {
	filter, err := productFilterOf(c)
	if err != nil {
		return err
	}
	pg, err := readPage(c)
	if err != nil {
		return err
	}
	// One more than asked tells whether there is a next page.
	filter.Limit = pg.Limit + 1
	keyset := filter.Sort == "" || filter.Sort == freezer.SortByID
	if keyset {
		filter.AfterID = pg.AfterID
	} else {
		filter.Offset = pg.Offset
	}
	list, err := s.services.Products.FindProducts(httpapi.Ctx(c), filter)
	if err != nil {
		return err
	}
	resp := listResponse[productView]{Items: make([]productView, 0, min(len(list), pg.Limit))}
	if len(list) > pg.Limit {
		list = list[:pg.Limit]
		if keyset {
			resp.NextCursor = idCursor(list[len(list)-1].ID)
		} else {
			resp.NextCursor = offsetCursor(pg.Offset + pg.Limit)
		}
	}
	v, err := s.newViewer(httpapi.Ctx(c))
	if err != nil {
		return err
	}
	for _, p := range list {
		resp.Items = append(resp.Items, v.view(p))
	}
	return c.JSON(http.StatusOK, resp)
}

// productFilterOf reads the list filters of the query string.
func productFilterOf(c echo.Context) (freezer.ProductFilter, error) {
	var f freezer.ProductFilter
	switch state := c.QueryParam("state"); state {
	case "", "inside":
		inside := true
		f.Inside = &inside
	case "out":
		inside := false
		f.Inside = &inside
	case "all":
	default:
		return f, freezer.Errorf(freezer.EINVALID, "state must be inside, out or all.")
	}
	var err error
	if f.FreezerID, err = queryInt64(c, "freezer_id"); err != nil {
		return f, err
	}
	if f.TypeID, err = queryInt64(c, "type_id"); err != nil {
		return f, err
	}
	box, err := queryInt64(c, "box")
	if err != nil {
		return f, err
	}
	if box != nil {
		b := int(*box)
		f.Box = &b
	}
	switch stage := c.QueryParam("stage"); stage {
	case "":
	case freezer.StageOverdue, freezer.StageDueSoon:
		f.Stage = stage
	default:
		return f, freezer.Errorf(freezer.EINVALID, "stage must be overdue or due_soon.")
	}
	if barcode := c.QueryParam("barcode"); barcode != "" {
		f.Barcode = &barcode
	}
	f.Query = c.QueryParam("q")
	f.Sort = c.QueryParam("sort")
	if !freezer.ValidProductSort(f.Sort) {
		return f, freezer.Errorf(freezer.EINVALID, "sort must be id, name, type, place, quantity, date_in, use_by or date_out, optionally after -, or eat_next.")
	}
	switch f.Language = c.QueryParam("lang"); f.Language {
	case "", freezer.LanguageEnglish, freezer.LanguageFrench:
	default:
		return f, freezer.Errorf(freezer.EINVALID, "lang must be en or fr.")
	}
	return f, nil
}

// eatNextLimits are the default and largest lengths of the eat-next list.
const (
	eatNextDefault = 5
	eatNextMax     = 50
)

func (s *server) v1EatNext(c echo.Context) error {
	householdID, err := queryInt64(c, "household_id")
	if err != nil {
		return err
	}
	limit := int64(eatNextDefault)
	if n, err := queryInt64(c, "limit"); err != nil {
		return err
	} else if n != nil {
		limit = *n
	}
	if limit < 1 || limit > eatNextMax {
		return freezer.Errorf(freezer.EINVALID, "limit must be between 1 and %d.", eatNextMax)
	}
	inside := true
	list, err := s.services.Products.FindProducts(httpapi.Ctx(c), freezer.ProductFilter{HouseholdID: householdID, Inside: &inside,
		Sort: freezer.SortByEatNext, Limit: int(limit)})
	if err != nil {
		return err
	}
	v, err := s.newViewer(httpapi.Ctx(c))
	if err != nil {
		return err
	}
	resp := listResponse[productView]{Items: make([]productView, 0, len(list))}
	for _, p := range list {
		resp.Items = append(resp.Items, v.view(p))
	}
	return c.JSON(http.StatusOK, resp)
}

func (s *server) v1CreateProduct(c echo.Context) error {
	var req productRequest
	if err := s.bind(c, &req); err != nil {
		return err
	}
	p := &freezer.Product{FreezerID: req.FreezerID, Box: req.Box, Slot: req.Slot, Name: req.Name, Description: req.Description,
		TypeID: req.TypeID, Quantity: 1, Barcode: req.Barcode, DateIn: req.DateIn, PeriodMonths: req.PeriodMonths}
	if req.Quantity != nil {
		p.Quantity = *req.Quantity
	}
	if p.DateIn.IsZero() {
		p.DateIn = s.services.Products.Today()
	}
	if err := s.createProduct(httpapi.Ctx(c), p, req.LabelCode); err != nil { // v1_labels.go: blank labels, auto-print
		return err
	}
	return s.respondProduct(c, http.StatusCreated, p)
}

func (s *server) v1GetProduct(c echo.Context) error {
	id, err := httpapi.PathID(c, "id")
	if err != nil {
		return err
	}
	p, err := s.services.Products.FindProductByID(httpapi.Ctx(c), id)
	if err != nil {
		return err
	}
	return s.respondProduct(c, http.StatusOK, p)
}

// changeProduct runs one operation on the product of the path, with the
// request body read into req, and answers with the product.
func changeProduct[R any](s *server, c echo.Context, bind func(echo.Context, any) error, op func(ctx context.Context, id int64, req R) (*freezer.Product, error)) error {
	id, err := httpapi.PathID(c, "id")
	if err != nil {
		return err
	}
	var req R
	if err := bind(c, &req); err != nil {
		return err
	}
	p, err := op(httpapi.Ctx(c), id, req)
	if err != nil {
		return err
	}
	return s.respondProduct(c, http.StatusOK, p)
}

func (s *server) v1UpdateProduct(c echo.Context) error {
	return changeProduct(s, c, s.bind, s.services.Products.UpdateProduct)
}

func (s *server) v1TakeOut(c echo.Context) error {
	return changeProduct(s, c, s.bindOptional, s.services.Products.TakeOutProduct)
}

func (s *server) v1PutBack(c echo.Context) error {
	return changeProduct(s, c, s.bindOptional, s.services.Products.PutBackProduct)
}

func (s *server) v1Move(c echo.Context) error {
	return changeProduct(s, c, s.bind, s.services.Products.MoveProduct)
}

func (s *server) v1DeleteProduct(c echo.Context) error {
	id, err := httpapi.PathID(c, "id")
	if err != nil {
		return err
	}
	if err := s.services.Products.DeleteProduct(httpapi.Ctx(c), id); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// bindOptional is bind for bodies that may be left out entirely.
func (s *server) bindOptional(c echo.Context, dst any) error {
	if c.Request().ContentLength == 0 {
		return nil
	}
	return s.bind(c, dst)
}

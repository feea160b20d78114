package api

import (
	"context"
	"net/http"

	"github.com/labstack/echo/v4"

	freezer "github.com/freezer-manager/freezer"
)

// productView is a product with the dates derived from it.
type productView struct {
	*freezer.Product
	UseBy freezer.Date `json:"use_by"`
	Stage string       `json:"stage"` // inside, due_soon, overdue or out
}

// productRequest creates a product. Without slot it takes the next free
// slot of the box; without date_in it went in today.
type productRequest struct {
	FreezerID    int64        `json:"freezer_id"`
	Box          int          `json:"box"`
	Slot         int          `json:"slot"`
	Name         string       `json:"name"`
	Description  string       `json:"description"`
	TypeID       int64        `json:"type_id"`
	Quantity     int          `json:"quantity"`
	Barcode      string       `json:"barcode"`
	DateIn       freezer.Date `json:"date_in"`
	PeriodMonths int          `json:"period_months"`
	// LabelCode, the code of a blank label printed ahead (FZ-I-000123),
	// gives the product that label's id.
	LabelCode string `json:"label_code"`
}

// takeOutRequest takes a product out on date (default today).
type takeOutRequest struct {
	Date    freezer.Date `json:"date"`
	Version int64        `json:"version"`
}

// putBackRequest puts a product back in, at slot (default: its own, else the next free one).
type putBackRequest struct {
	Slot    int   `json:"slot"`
	Version int64 `json:"version"`
}

// moveRequest moves a product to another box (and freezer); without slot it
// takes the next free slot there.
type moveRequest struct {
	FreezerID int64 `json:"freezer_id"`
	Box       int   `json:"box"`
	Slot      int   `json:"slot"`
	Version   int64 `json:"version"`
}

func (s *Server) v1ProductRoutes() []route {
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
				{"sort", "string", "id (default), date_in, -date_out or use_by"},
				{"limit", "integer", "page size, 1 to 500 (default 50)"},
				{"cursor", "string", "next_cursor of the previous page"},
			}},
		{Method: http.MethodPost, Path: "/products", Summary: "Put a product in a freezer", Handler: s.v1CreateProduct,
			Request: productRequest{}, Response: productView{}, Status: http.StatusCreated},
		{Method: http.MethodGet, Path: "/products/:id", Summary: "One product", Handler: s.v1GetProduct, Response: productView{}},
		{Method: http.MethodPatch, Path: "/products/:id", Summary: "Change a product; with version, 409 when someone changed it first", Handler: s.v1UpdateProduct,
			Request: freezer.ProductUpdate{}, Response: productView{}},
		{Method: http.MethodPost, Path: "/products/:id/take-out", Summary: "Take a product out", Handler: s.v1TakeOut,
			Request: takeOutRequest{}, Response: productView{}},
		{Method: http.MethodPost, Path: "/products/:id/put-back", Summary: "Put a taken-out product back in", Handler: s.v1PutBack,
			Request: putBackRequest{}, Response: productView{}},
		{Method: http.MethodPost, Path: "/products/:id/move", Summary: "Move a product to another box", Handler: s.v1Move,
			Request: moveRequest{}, Response: productView{}},
		{Method: http.MethodDelete, Path: "/products/:id", Summary: "Delete a product record (its history of scans stays)", Handler: s.v1DeleteProduct},
	}
}

// viewer derives product views with each household's due-soon window.
type viewer struct {
	today  freezer.Date
	window map[int64]int
}

func (s *Server) newViewer(ctx context.Context) (*viewer, error) {
	households, err := s.services.Households.FindHouseholds(ctx)
	if err != nil {
		return nil, err
	}
	v := &viewer{today: freezer.Today(s.config.Now(), nil), window: make(map[int64]int, len(households))}
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
func (s *Server) respondProduct(c echo.Context, status int, p *freezer.Product) error {
	v, err := s.newViewer(ctxOf(c))
	if err != nil {
		return err
	}
	return c.JSON(status, v.view(p))
}

func (s *Server) v1ListProducts(c echo.Context) error {
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
	list, err := s.services.Products.FindProducts(ctxOf(c), filter)
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
	v, err := s.newViewer(ctxOf(c))
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
	switch sort := c.QueryParam("sort"); sort {
	case "", freezer.SortByID, freezer.SortByDateIn, freezer.SortByDateOutNew, freezer.SortByUseBy:
		f.Sort = sort
	default:
		return f, freezer.Errorf(freezer.EINVALID, "sort must be id, date_in, -date_out or use_by.")
	}
	return f, nil
}

func (s *Server) v1CreateProduct(c echo.Context) error {
	var req productRequest
	if err := s.bind(c, &req); err != nil {
		return err
	}
	p := &freezer.Product{FreezerID: req.FreezerID, Box: req.Box, Slot: req.Slot, Name: req.Name, Description: req.Description,
		TypeID: req.TypeID, Quantity: req.Quantity, Barcode: req.Barcode, DateIn: req.DateIn, PeriodMonths: req.PeriodMonths}
	if p.DateIn.IsZero() {
		p.DateIn = freezer.Today(s.config.Now(), nil)
	}
	if err := s.createProduct(ctxOf(c), p, req.LabelCode); err != nil { // v1_labels.go: blank labels, auto-print
		return err
	}
	return s.respondProduct(c, http.StatusCreated, p)
}

func (s *Server) v1GetProduct(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	p, err := s.services.Products.FindProductByID(ctxOf(c), id)
	if err != nil {
		return err
	}
	return s.respondProduct(c, http.StatusOK, p)
}

// updateProduct applies upd to the product of the path and answers with it.
func (s *Server) updateProduct(c echo.Context, upd freezer.ProductUpdate) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	p, err := s.services.Products.UpdateProduct(ctxOf(c), id, upd)
	if err != nil {
		return err
	}
	return s.respondProduct(c, http.StatusOK, p)
}

func (s *Server) v1UpdateProduct(c echo.Context) error {
	var upd freezer.ProductUpdate
	if err := s.bind(c, &upd); err != nil {
		return err
	}
	return s.updateProduct(c, upd)
}

func (s *Server) v1TakeOut(c echo.Context) error {
	var req takeOutRequest
	if err := s.bindOptional(c, &req); err != nil {
		return err
	}
	if req.Date.IsZero() {
		req.Date = freezer.Today(s.config.Now(), nil)
	}
	return s.updateProduct(c, freezer.ProductUpdate{DateOut: &req.Date, Version: req.Version})
}

func (s *Server) v1PutBack(c echo.Context) error {
	var req putBackRequest
	if err := s.bindOptional(c, &req); err != nil {
		return err
	}
	upd := freezer.ProductUpdate{DateOut: &freezer.Date{}, Version: req.Version}
	if req.Slot != 0 {
		upd.Slot = &req.Slot
	}
	err := s.updateProduct(c, upd)
	if freezer.ErrorCode(err) == freezer.ECONFLICT && req.Slot == 0 {
		// Its slot was taken meanwhile: the next free one of its box. The
		// version, if any, still applies: a stale one is 409 again.
		next := 0
		upd.Slot = &next
		return s.updateProduct(c, upd)
	}
	return err
}

func (s *Server) v1Move(c echo.Context) error {
	var req moveRequest
	if err := s.bind(c, &req); err != nil {
		return err
	}
	upd := freezer.ProductUpdate{Box: &req.Box, Slot: &req.Slot, Version: req.Version}
	if req.FreezerID != 0 {
		upd.FreezerID = &req.FreezerID
	}
	return s.updateProduct(c, upd)
}

func (s *Server) v1DeleteProduct(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	if err := s.services.Products.DeleteProduct(ctxOf(c), id); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// bindOptional is bind for bodies that may be left out entirely.
func (s *Server) bindOptional(c echo.Context, dst any) error {
	if c.Request().ContentLength == 0 {
		return nil
	}
	return s.bind(c, dst)
}

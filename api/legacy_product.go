package api

import (
	"context"
	"net/http"

	"github.com/labstack/echo/v4"

	freezer "github.com/freezer-manager/freezer"
)

// legacyProduct is a product as the original API lists it. descr_id, the
// id of the original description row, is the product's own id here.
type legacyProduct struct {
	BoxNum      int     `json:"box_num"`
	DateIn      string  `json:"date_formatted_in"`
	DateOut     *string `json:"date_formatted_out"`
	DescrID     int64   `json:"descr_id"`
	FreezerID   int64   `json:"freezer_id"`
	FreezerName string  `json:"freezer_name"`
	Period      int     `json:"period"`
	ProdNum     int     `json:"prod_num"`
	ProductName string  `json:"product_name"`
	Quantity    int     `json:"quantity"`
	TextDescr   string  `json:"text_descr"`
	TypeID      int64   `json:"type_id"`
}

func (s *Server) legacyGetProducts(c echo.Context) error {
	ids, err := pathInts(c, "freezer")
	if err != nil {
		return err
	}
	ctx, err := s.legacyAuth(c)
	if err != nil {
		return err
	}
	var filter freezer.ProductFilter
	inside, outside := true, false
	switch c.Param("param") {
	case "all":
	case "inside":
		filter.Inside = &inside
	case "outside":
		filter.Inside = &outside
	default:
		return errLegacy(http.StatusBadRequest, legacyBadParameter)
	}
	freezers, err := s.services.Freezers.FindFreezers(ctx, freezer.FreezerFilter{IncludeArchived: true})
	if err != nil {
		return legacyInternal(err)
	}
	names := make(map[int64]string, len(freezers))
	for _, f := range freezers {
		names[f.ID] = f.Name
	}
	if id := ids[0]; id != 0 {
		if _, ok := names[id]; !ok {
			return errLegacy(http.StatusBadRequest, legacyBadFormat)
		}
		filter.FreezerID = &id
	}
	products, err := s.services.Products.FindProducts(ctx, filter)
	if err != nil {
		return legacyInternal(err)
	}
	out := make([]legacyProduct, 0, len(products))
	for _, p := range products {
		out = append(out, legacyProduct{
			BoxNum: p.Box, DateIn: p.DateIn.String(), DateOut: optionalDate(p.DateOut), DescrID: p.ID,
			FreezerID: p.FreezerID, FreezerName: names[p.FreezerID], Period: p.PeriodMonths, ProdNum: p.Slot,
			ProductName: p.Name, Quantity: p.Quantity, TextDescr: p.Description, TypeID: p.TypeID,
		})
	}
	return c.JSON(http.StatusOK, out)
}

// placeIsFree reports whether a product may be at (freezerID, box, slot):
// the freezer is the caller's, the box exists, and, when inside is true
// (a product inside, or one that moves), the freezer is in use and no
// product other than exceptID is inside at that slot.
func (s *Server) placeIsFree(ctx context.Context, freezerID int64, box, slot int, exceptID int64, inside bool) (bool, error) {
	f, err := s.services.Freezers.FindFreezerByID(ctx, freezerID)
	if freezer.ErrorCode(err) == freezer.ENOTFOUND {
		return false, nil
	} else if err != nil {
		return false, err
	}
	if freezer.ValidateBox(box, f.NumberBoxes) != nil || slot < 1 {
		return false, nil
	}
	if !inside {
		return true, nil
	}
	if f.ArchivedAt != nil {
		return false, nil
	}
	taken, err := s.services.Products.FindProducts(ctx, freezer.ProductFilter{FreezerID: &freezerID, Box: &box, Slot: &slot, Inside: &inside})
	if err != nil {
		return false, err
	}
	return len(taken) == 0 || (len(taken) == 1 && taken[0].ID == exceptID), nil
}

// typeExists reports whether a product type id exists.
func (s *Server) typeExists(ctx context.Context, id int64) (bool, error) {
	_, err := s.services.Types.FindProductTypeByID(ctx, id)
	if freezer.ErrorCode(err) == freezer.ENOTFOUND {
		return false, nil
	}
	return err == nil, err
}

func (s *Server) legacyAddProduct(c echo.Context) error {
	ctx, err := s.legacyAuth(c)
	if err != nil {
		return err
	}
	body, err := s.readLegacyBody(c, legacyProductAddKeys...)
	if err != nil {
		return err
	}
	p := &freezer.Product{}
	var ok bool
	if p.Name, ok = body.text("product_name"); !ok || freezer.ValidateProductName(p.Name) != nil {
		return errLegacy(http.StatusBadRequest, legacyBadFormat)
	}
	if p.Description, ok = body.text("text_descr"); !ok || freezer.ValidateDescription(p.Description) != nil {
		return errLegacy(http.StatusBadRequest, legacyBadFormat)
	}

	freezerID, ok1 := body.number("freezer_id")
	box, ok2 := body.number("box_num")
	slot, ok3 := body.number("prod_num")
	if !ok1 || !ok2 || !ok3 {
		return errLegacy(http.StatusBadRequest, legacyBadProductEmplacement)
	}
	p.FreezerID, p.Box, p.Slot = freezerID, int(box), int(slot)
	if free, err := s.placeIsFree(ctx, p.FreezerID, p.Box, p.Slot, 0, true); err != nil {
		return legacyInternal(err)
	} else if !free {
		return errLegacy(http.StatusBadRequest, legacyBadProductEmplacement)
	}

	if p.TypeID, ok = body.number("type_id"); !ok {
		return errLegacy(http.StatusBadRequest, legacyBadProductType)
	}
	if exists, err := s.typeExists(ctx, p.TypeID); err != nil {
		return legacyInternal(err)
	} else if !exists {
		return errLegacy(http.StatusBadRequest, legacyBadProductType)
	}

	today := freezer.Today(s.config.Now(), nil)
	if p.DateIn, ok = body.date("date_in"); !ok || p.DateIn.After(today) {
		return errLegacy(http.StatusBadRequest, legacyBadProductDate)
	}
	if err := legacyBoundedNumber(body, "period", freezer.MaxPeriodMonths, legacyBadProductPeriod, &p.PeriodMonths); err != nil {
		return err
	}
	if err := legacyBoundedNumber(body, "quantity", freezer.MaxQuantity, legacyBadProductQuantity, &p.Quantity); err != nil {
		return err
	}
	if err := s.services.Products.CreateProduct(ctx, p); err != nil {
		return legacyProductFailure(err)
	}
	return c.NoContent(http.StatusOK)
}

// legacyBoundedNumber reads body[key] into *dst, answering details when it
// is not a number in 0..max.
func legacyBoundedNumber(body legacyBody, key string, max int, details string, dst *int) error {
	n, ok := body.number(key)
	if !ok || n > int64(max) {
		return errLegacy(http.StatusBadRequest, details)
	}
	*dst = int(n)
	return nil
}

// legacyProductFailure maps a failed product change: a slot taken in the
// meantime is an emplacement error, other client errors a format error.
func legacyProductFailure(err error) error {
	if freezer.ErrorCode(err) == freezer.ECONFLICT {
		return errLegacy(http.StatusBadRequest, legacyBadProductEmplacement)
	}
	return legacyFailure(err, legacyBadFormat)
}

func (s *Server) legacyUpdateProduct(c echo.Context) error {
	ids, err := pathInts(c, "freezer", "box", "prod", "inside")
	if err != nil {
		return err
	}
	ctx, err := s.legacyAuth(c)
	if err != nil {
		return err
	}
	if !isJSONContentType(c.Request().Header.Get(echo.HeaderContentType)) {
		return errLegacy(http.StatusUnsupportedMediaType, legacyBadContentType)
	}
	p, err := s.legacyFindProductAt(ctx, ids[0], int(ids[1]), int(ids[2]), ids[3] > 0)
	if err != nil {
		return err
	}
	body, err := s.readLegacyBody(c, legacyProductUpdateKeys...)
	if err != nil {
		return err
	}
	upd, err := s.legacyProductUpdate(ctx, body, p)
	if err != nil {
		return err
	}
	if _, err := s.services.Products.UpdateProduct(ctx, p.ID, upd); err != nil {
		return legacyProductFailure(err)
	}
	return c.NoContent(http.StatusOK)
}

// legacyFindProductAt returns the caller's product at a place: the one
// inside, or the one taken out most recently. BAD_PARAMETER when none.
func (s *Server) legacyFindProductAt(ctx context.Context, freezerID int64, box, slot int, inside bool) (*freezer.Product, error) {
	filter := freezer.ProductFilter{FreezerID: &freezerID, Box: &box, Slot: &slot, Inside: &inside, Limit: 1}
	if !inside {
		filter.Sort = freezer.SortByDateOutNew
	}
	list, err := s.services.Products.FindProducts(ctx, filter)
	if err != nil {
		return nil, legacyInternal(err)
	}
	if len(list) == 0 {
		return nil, errLegacy(http.StatusBadRequest, legacyBadParameter)
	}
	return list[0], nil
}

// legacyProductUpdate turns an update_product body into a ProductUpdate of
// p, checking its fields in the original order; "" keeps a value.
func (s *Server) legacyProductUpdate(ctx context.Context, body legacyBody, p *freezer.Product) (freezer.ProductUpdate, error) {
	var upd freezer.ProductUpdate
	badFormat := errLegacy(http.StatusBadRequest, legacyBadFormat)
	if !body.isEmpty("product_name") {
		name, ok := body.text("product_name")
		if !ok || freezer.ValidateProductName(name) != nil {
			return upd, badFormat
		}
		upd.Name = &name
	}
	if !body.isEmpty("text_descr") {
		descr, ok := body.text("text_descr")
		if !ok || freezer.ValidateDescription(descr) != nil {
			return upd, badFormat
		}
		upd.Description = &descr
	}

	// The new state, to check the place it ends up in.
	next := *p
	emplacement := errLegacy(http.StatusBadRequest, legacyBadProductEmplacement)
	for _, field := range []struct {
		key string
		set func(n int64)
	}{
		{"freezer_id", func(n int64) { next.FreezerID = n; upd.FreezerID = &next.FreezerID }},
		{"box_num", func(n int64) { next.Box = int(n); upd.Box = &next.Box }},
		{"prod_num", func(n int64) { next.Slot = int(n); upd.Slot = &next.Slot }},
	} {
		if body.isEmpty(field.key) {
			continue
		}
		n, ok := body.number(field.key)
		if !ok {
			return upd, emplacement
		}
		field.set(n)
	}

	if !body.isEmpty("type_id") {
		id, ok := body.number("type_id")
		if !ok {
			return upd, errLegacy(http.StatusBadRequest, legacyBadProductType)
		}
		if exists, err := s.typeExists(ctx, id); err != nil {
			return upd, legacyInternal(err)
		} else if !exists {
			return upd, errLegacy(http.StatusBadRequest, legacyBadProductType)
		}
		upd.TypeID = &id
	}

	badDate := errLegacy(http.StatusBadRequest, legacyBadProductDate)
	today := freezer.Today(s.config.Now(), nil)
	if !body.isEmpty("date_in") {
		d, ok := body.date("date_in")
		if !ok || d.After(today) {
			return upd, badDate
		}
		next.DateIn, upd.DateIn = d, &d
	}
	switch {
	case body.isEmpty("date_out"):
	case body.isNull("date_out"):
		next.DateOut = freezer.Date{}
		upd.DateOut = &next.DateOut
	default:
		d, ok := body.date("date_out")
		if !ok {
			return upd, badDate
		}
		next.DateOut, upd.DateOut = d, &d
	}
	if freezer.ValidateDates(next.DateIn, next.DateOut, today) != nil {
		return upd, badDate
	}

	// A product that moves, or goes back inside, needs a valid and free
	// place: a move onto a place held by a product inside is refused even
	// for a product taken out (or taken out by this request), as the contract says.
	moved := next.FreezerID != p.FreezerID || next.Box != p.Box || next.Slot != p.Slot
	if moved || (next.Inside() && !p.Inside()) {
		if free, err := s.placeIsFree(ctx, next.FreezerID, next.Box, next.Slot, p.ID, next.Inside() || moved); err != nil {
			return upd, legacyInternal(err)
		} else if !free {
			return upd, emplacement
		}
	}

	for _, field := range []struct {
		key, details string
		max          int
		dst          **int
	}{
		{"period", legacyBadProductPeriod, freezer.MaxPeriodMonths, &upd.PeriodMonths},
		{"quantity", legacyBadProductQuantity, freezer.MaxQuantity, &upd.Quantity},
	} {
		if body.isEmpty(field.key) {
			continue
		}
		var v int
		if err := legacyBoundedNumber(body, field.key, field.max, field.details, &v); err != nil {
			return upd, err
		}
		*field.dst = &v
	}
	upd.Version = p.Version
	return upd, nil
}

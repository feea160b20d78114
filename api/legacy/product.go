package legacy

import (
	"context"
	"math"
	"net/http"

	"github.com/labstack/echo/v4"

	freezer "github.com/freezer-manager/freezer"
	"github.com/freezer-manager/freezer/api/httpapi"
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

func (s *server) legacyGetProducts(c echo.Context) error {
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

// The legacy API reports the first failed check in the contract's order:
// place, type, date, period, quantity. The store checks a product in that
// order, and names the field at fault; a field this API cannot read is sent
// as a value that the store refuses for that same field, so that an
// unreadable field does not hide an earlier failure.
var (
	unreadableDate   = freezer.Date{Year: 9999, Month: 12, Day: 31} // "in the future"
	unreadableNumber = int64(-1)                                    // out of every range
)

// legacyNumber reads body[key] as a number of at most max, or unreadableNumber.
func legacyNumber(body legacyBody, key string, max int64) int64 {
	n, ok := body.number(key)
	if !ok || n > max {
		return unreadableNumber
	}
	return n
}

// legacyDate reads body[key] as a date, or unreadableDate.
func legacyDate(body legacyBody, key string) freezer.Date {
	d, ok := body.date(key)
	if !ok {
		return unreadableDate
	}
	return d
}

// legacySlot reads prod_num: 0, which the original refused, is unreadable
// here too (the store reads it as "the next free slot").
func legacySlot(body legacyBody) int {
	n := legacyNumber(body, "prod_num", freezer.MaxSlot+1)
	if n == 0 {
		n = unreadableNumber
	}
	return int(n)
}

func (s *server) legacyAddProduct(c echo.Context) error {
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
	p.FreezerID = max(legacyNumber(body, "freezer_id", math.MaxInt64), 0)
	p.Box = int(legacyNumber(body, "box_num", freezer.MaxBoxes+1))
	p.Slot = legacySlot(body)
	p.TypeID = max(legacyNumber(body, "type_id", math.MaxInt64), 0)
	p.DateIn = legacyDate(body, "date_in")
	p.PeriodMonths = int(legacyNumber(body, "period", freezer.MaxPeriodMonths))
	p.Quantity = int(legacyNumber(body, "quantity", freezer.MaxQuantity))
	if err := s.services.Products.CreateProduct(ctx, p); err != nil {
		return legacyProductFailure(err)
	}
	return c.NoContent(http.StatusOK)
}

// legacyProductFailure maps a failed product change to the error text of
// the field at fault.
func legacyProductFailure(err error) error {
	switch freezer.ErrorField(err) {
	case "freezer_id", "box", "slot":
		return errLegacy(http.StatusBadRequest, legacyBadProductEmplacement)
	case "type_id":
		return errLegacy(http.StatusBadRequest, legacyBadProductType)
	case "date_in", "date_out":
		return errLegacy(http.StatusBadRequest, legacyBadProductDate)
	case "period_months":
		return errLegacy(http.StatusBadRequest, legacyBadProductPeriod)
	case "quantity":
		return errLegacy(http.StatusBadRequest, legacyBadProductQuantity)
	}
	return legacyFailure(err, legacyBadFormat)
}

func (s *server) legacyUpdateProduct(c echo.Context) error {
	ids, err := pathInts(c, "freezer", "box", "prod", "inside")
	if err != nil {
		return err
	}
	ctx, err := s.legacyAuth(c)
	if err != nil {
		return err
	}
	if !httpapi.IsJSONContentType(c.Request().Header.Get(echo.HeaderContentType)) {
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
	upd, err := legacyProductUpdate(body, p)
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
func (s *server) legacyFindProductAt(ctx context.Context, freezerID int64, box, slot int, inside bool) (*freezer.Product, error) {
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
// p; "" keeps a value. The store checks it (see legacyProductFailure).
func legacyProductUpdate(body legacyBody, p *freezer.Product) (freezer.ProductUpdate, error) {
	upd := freezer.ProductUpdate{Version: p.Version}
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
	number := func(key string, max int64) *int64 {
		if body.isEmpty(key) {
			return nil
		}
		n := legacyNumber(body, key, max)
		return &n
	}
	integer := func(key string, max int64) *int {
		if n := number(key, max); n != nil {
			i := int(*n)
			return &i
		}
		return nil
	}
	upd.FreezerID = number("freezer_id", math.MaxInt64)
	upd.Box = integer("box_num", freezer.MaxBoxes+1)
	if !body.isEmpty("prod_num") {
		slot := legacySlot(body)
		upd.Slot = &slot
	}
	upd.TypeID = number("type_id", math.MaxInt64)
	if !body.isEmpty("date_in") {
		d := legacyDate(body, "date_in")
		upd.DateIn = &d
	}
	switch {
	case body.isEmpty("date_out"):
	case body.isNull("date_out"):
		// Back in at its own place, as the original did: a taken slot is
		// an emplacement error, not a move to another slot.
		upd.DateOut = &freezer.Date{}
		if upd.Slot == nil {
			upd.Slot = &p.Slot
		}
	default:
		d := legacyDate(body, "date_out")
		upd.DateOut = &d
	}
	upd.PeriodMonths = integer("period", freezer.MaxPeriodMonths)
	upd.Quantity = integer("quantity", freezer.MaxQuantity)
	return upd, nil
}

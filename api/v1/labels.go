package v1

import (
	"context"
	"fmt"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	freezer "github.com/freezer-manager/freezer"
	"github.com/freezer-manager/freezer/api/httpapi"
	"github.com/freezer-manager/freezer/labels"
)

// printerRequest sets a household's printer. Without token, a webhook
// keeps the token it had, as long as its URL stays the same; "" removes it.
type printerRequest struct {
	Kind      string  `json:"kind"`   // directory, cups, tcp or webhook
	Target    string  `json:"target"` // directory name, CUPS queue, host:port or URL
	Token     *string `json:"token"`  // webhook bearer token; never returned
	Size      string  `json:"size"`   // 62mm (default), 29x90 or 50x25
	DPI       int     `json:"dpi"`    // tcp (ZPL): 203 (default), 300 or 600
	Language  string  `json:"language"`
	AutoPrint *bool   `json:"auto_print"` // default true
}

// Media types of the label routes.
const (
	mimePNG = "image/png"
	mimePDF = "application/pdf"
	mimeZPL = "text/plain"
)

func (s *server) v1LabelRoutes() []route {
	size := param{"size", "string", "62mm (default), 29x90 or 50x25"}
	lang := param{"lang", "string", "en or fr (default: your language)"}
	grid := []param{
		{"cols", "integer", fmt.Sprintf("columns of the A4 grid, 1 to %d", labels.MaxSheetCols)},
		{"rows", "integer", fmt.Sprintf("rows of the A4 grid, 1 to %d", labels.MaxSheetRows)},
		{"margin", "number", "white border of the page, in mm"},
		{"guides", "boolean", "draw thin lines to cut along"},
		lang,
	}
	return []route{
		{Method: http.MethodGet, Path: "/products/:id/label.png", Summary: "A product's label: PNG at 300 dpi", Handler: s.v1ProductLabel(mimePNG),
			Produces: mimePNG, Query: []param{size, lang}},
		{Method: http.MethodGet, Path: "/products/:id/label.pdf", Summary: "A product's label: one PDF page of the label's size", Handler: s.v1ProductLabel(mimePDF),
			Produces: mimePDF, Query: []param{size, lang}},
		{Method: http.MethodGet, Path: "/products/:id/label.zpl", Summary: "A product's label: ZPL for Zebra printers", Handler: s.v1ProductLabel(mimeZPL),
			Produces: mimeZPL, Query: []param{size, lang, {"dpi", "integer", "the printer's resolution: 203 (default), 300 or 600"}}},
		{Method: http.MethodPost, Path: "/products/:id/print", Summary: "Print a product's label on its household's printer; the job tells whether it printed",
			Handler: s.v1PrintProduct, Response: freezer.PrintJob{}, Status: http.StatusCreated},
		{Method: http.MethodGet, Path: "/freezers/:id/box-labels.pdf", Summary: "Labels for every box of a freezer (move targets), on A4 sheets",
			Handler: s.v1BoxLabels, Produces: mimePDF, Query: grid},
		{Method: http.MethodGet, Path: "/labels/commands.pdf", Summary: "The command cards IN, OUT, MOVE and UNDO, on an A4 page",
			Handler: s.v1CommandCards, Produces: mimePDF, Query: grid},
		{Method: http.MethodPost, Path: "/labels/blank", Summary: "Reserve product ids and print blank product labels for them, on A4 sheets; a product created with \"label_code\" takes the id",
			Handler: s.v1BlankLabels, Produces: mimePDF, Status: http.StatusCreated, Query: append([]param{
				{"count", "integer", fmt.Sprintf("how many labels, 1 to %d (default: one page)", freezer.MaxBlankLabels)},
				{"household_id", "integer", "the household (default: the one you own)"},
			}, grid...)},
		{Method: http.MethodGet, Path: "/households/:id/printer", Summary: "A household's label printer (its token is never shown)", Handler: s.v1GetPrinter,
			Response: freezer.PrinterConfig{}},
		{Method: http.MethodPut, Path: "/households/:id/printer", Summary: "Set a household's label printer: a directory, a CUPS queue, a ZPL printer on TCP, or a webhook",
			Handler: s.v1SetPrinter, Request: printerRequest{}, Response: freezer.PrinterConfig{}},
		{Method: http.MethodDelete, Path: "/households/:id/printer", Summary: "Remove a household's label printer", Handler: s.v1DeletePrinter},
		{Method: http.MethodGet, Path: "/print-jobs", Summary: "Print jobs of the caller's households, newest first", Handler: s.v1ListPrintJobs,
			Response: freezer.PrintJob{}, List: true, Query: []param{
				{"household_id", "integer", "only this household's jobs"},
				{"status", "string", "pending, printed or failed"},
				{"limit", "integer", "page size, 1 to 500 (default 50)"},
				{"cursor", "string", "next_cursor of the previous page"},
			}},
		{Method: http.MethodPost, Path: "/print-jobs/:id/retry", Summary: "Print a job's product again on the household's current printer",
			Handler: s.v1RetryPrintJob, Response: freezer.PrintJob{}},
	}
}

// createProduct stores a new product; with a label code, under the id of
// that blank label. The label is then printed when the household's
// printer prints automatically; a print failure is a failed print job,
// never a failed creation.
func (s *server) createProduct(ctx context.Context, p *freezer.Product, labelCode string) error {
	if labelCode == "" {
		if err := s.services.Products.CreateProduct(ctx, p); err != nil {
			return err
		}
	} else {
		code := freezer.ParseCode(labelCode)
		if code.Kind != freezer.CodeProduct {
			return freezer.Errorf(freezer.EINVALID, "label_code must be the code of a blank product label, such as FZ-I-000123.")
		}
		if s.services.Labels == nil {
			return freezer.Errorf(freezer.EINVALID, "This server has no blank labels.")
		}
		if err := s.services.Labels.CreateProductWithLabel(ctx, p, code.ProductID); err != nil {
			return err
		}
	}
	if s.services.Printing != nil {
		if _, err := s.services.Printing.AutoPrint(ctx, p); err != nil {
			s.logger.Error("auto-print", "product", p.ID, "err", err)
		}
	}
	return nil
}

// labelLanguage is ?lang=, or the caller's language.
func labelLanguage(c echo.Context) (string, error) {
	switch lang := c.QueryParam("lang"); lang {
	case freezer.LanguageEnglish, freezer.LanguageFrench:
		return lang, nil
	case "":
		if u := httpapi.CurrentUser(c); u != nil && u.Language != "" {
			return u.Language, nil
		}
		return freezer.LanguageEnglish, nil
	}
	return "", freezer.Errorf(freezer.EINVALID, "lang must be en or fr.")
}

// sendFile answers with a document to show or save under name.
func sendFile(c echo.Context, status int, mediaType, name string, data []byte) error {
	h := c.Response().Header()
	h.Set(echo.HeaderContentDisposition, fmt.Sprintf("inline; filename=%q", name))
	h.Set("Cache-Control", "no-store")
	if mediaType == mimeZPL {
		mediaType += "; charset=utf-8"
	}
	return c.Blob(status, mediaType, data)
}

func (s *server) v1ProductLabel(mediaType string) echo.HandlerFunc {
	return func(c echo.Context) error {
		id, err := httpapi.PathID(c, "id")
		if err != nil {
			return err
		}
		size, err := labels.SizeOf(c.QueryParam("size"))
		if err != nil {
			return err
		}
		lang, err := labelLanguage(c)
		if err != nil {
			return err
		}
		p, err := s.services.Products.FindProductByID(httpapi.Ctx(c), id)
		if err != nil {
			return err
		}
		l := labels.ProductLabel(p, lang)
		var data []byte
		ext := "png"
		switch mediaType {
		case mimePNG:
			data, err = labels.RenderPNG(l, size)
		case mimePDF:
			ext = "pdf"
			data, err = labels.RenderLabelPDF(l, size)
		case mimeZPL:
			ext = "zpl"
			dpi := freezer.DefaultZPLDPI
			if v := c.QueryParam("dpi"); v != "" {
				if dpi, err = strconv.Atoi(v); err != nil || (dpi != 203 && dpi != 300 && dpi != 600) {
					return freezer.Errorf(freezer.EINVALID, "dpi must be 203, 300 or 600.")
				}
			}
			data, err = labels.RenderZPL(l, size, dpi)
		}
		if err != nil {
			return err
		}
		return sendFile(c, http.StatusOK, mediaType, l.Code+"."+ext, data)
	}
}

// sheetOf reads the grid of an A4 sheet from the query, over defaults.
func sheetOf(c echo.Context, sheet labels.Sheet) (labels.Sheet, error) {
	for _, q := range []struct {
		name string
		dst  *int
	}{{"cols", &sheet.Cols}, {"rows", &sheet.Rows}} {
		if v := c.QueryParam(q.name); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil {
				return sheet, freezer.Errorf(freezer.EINVALID, "%s must be a whole number.", q.name)
			}
			*q.dst = n
		}
	}
	if v := c.QueryParam("margin"); v != "" {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return sheet, freezer.Errorf(freezer.EINVALID, "margin must be a number of millimetres.")
		}
		sheet.MarginMM = f
	}
	if v := c.QueryParam("guides"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return sheet, freezer.Errorf(freezer.EINVALID, "guides must be true or false.")
		}
		sheet.Guides = b
	}
	return sheet, sheet.Validate()
}

func (s *server) v1BoxLabels(c echo.Context) error {
	id, err := httpapi.PathID(c, "id")
	if err != nil {
		return err
	}
	sheet, err := sheetOf(c, labels.DefaultSheet)
	if err != nil {
		return err
	}
	lang, err := labelLanguage(c)
	if err != nil {
		return err
	}
	f, err := s.services.Freezers.FindFreezerByID(httpapi.Ctx(c), id)
	if err != nil {
		return err
	}
	data, err := labels.RenderSheet(labels.BoxLabels(f, lang), sheet)
	if err != nil {
		return err
	}
	return sendFile(c, http.StatusOK, mimePDF, fmt.Sprintf("freezer-%d-boxes.pdf", f.ID), data)
}

func (s *server) v1CommandCards(c echo.Context) error {
	sheet, err := sheetOf(c, labels.CommandSheet)
	if err != nil {
		return err
	}
	lang, err := labelLanguage(c)
	if err != nil {
		return err
	}
	data, err := labels.RenderSheet(labels.CommandCards(lang), sheet)
	if err != nil {
		return err
	}
	return sendFile(c, http.StatusOK, mimePDF, "command-cards.pdf", data)
}

func (s *server) v1BlankLabels(c echo.Context) error {
	sheet, err := sheetOf(c, labels.DefaultSheet)
	if err != nil {
		return err
	}
	lang, err := labelLanguage(c)
	if err != nil {
		return err
	}
	count := sheet.PerPage()
	if v := c.QueryParam("count"); v != "" {
		if count, err = strconv.Atoi(v); err != nil || count < 1 || count > freezer.MaxBlankLabels {
			return freezer.Errorf(freezer.EINVALID, "count must be between 1 and %d.", freezer.MaxBlankLabels)
		}
	}
	householdID, err := queryInt64(c, "household_id")
	if err != nil {
		return err
	}
	if householdID == nil {
		id, err := httpapi.PrimaryHousehold(httpapi.Ctx(c), s.services.Households)
		if err != nil {
			return err
		}
		householdID = &id
	}
	if s.services.Labels == nil {
		return freezer.Errorf(freezer.ENOTFOUND, "This server has no blank labels.")
	}
	reserved, err := s.services.Labels.ReserveLabels(httpapi.Ctx(c), *householdID, count)
	if err != nil {
		return err
	}
	list := make([]labels.Label, len(reserved))
	for i, r := range reserved {
		list[i] = labels.BlankLabel(r.ID, lang)
	}
	data, err := labels.RenderSheet(list, sheet)
	if err != nil {
		return err
	}
	first, last := reserved[0].ID, reserved[len(reserved)-1].ID
	c.Response().Header().Set("X-Reserved-Ids", fmt.Sprintf("%d-%d", first, last))
	return sendFile(c, http.StatusCreated, mimePDF, fmt.Sprintf("blank-labels-%d-%d.pdf", first, last), data)
}

// printing returns the label printer, or ENOTFOUND when the server has none.
func (s *server) printing() (freezer.LabelPrinter, error) {
	if s.services.Printing == nil {
		return nil, freezer.Errorf(freezer.ENOTFOUND, "This server does not print labels.")
	}
	return s.services.Printing, nil
}

func (s *server) v1PrintProduct(c echo.Context) error {
	id, err := httpapi.PathID(c, "id")
	if err != nil {
		return err
	}
	lp, err := s.printing()
	if err != nil {
		return err
	}
	j, err := lp.PrintProduct(httpapi.Ctx(c), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, j)
}

func (s *server) v1RetryPrintJob(c echo.Context) error {
	id, err := httpapi.PathID(c, "id")
	if err != nil {
		return err
	}
	lp, err := s.printing()
	if err != nil {
		return err
	}
	j, err := lp.RetryPrintJob(httpapi.Ctx(c), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, j)
}

// printers returns the printer storage, or ENOTFOUND when the server has none.
func (s *server) printers() (freezer.PrinterService, error) {
	if s.services.Printers == nil {
		return nil, freezer.Errorf(freezer.ENOTFOUND, "This server does not print labels.")
	}
	return s.services.Printers, nil
}

func (s *server) v1GetPrinter(c echo.Context) error {
	id, err := httpapi.PathID(c, "id")
	if err != nil {
		return err
	}
	ps, err := s.printers()
	if err != nil {
		return err
	}
	pc, err := ps.FindPrinter(httpapi.Ctx(c), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, pc)
}

func (s *server) v1SetPrinter(c echo.Context) error {
	id, err := httpapi.PathID(c, "id")
	if err != nil {
		return err
	}
	var req printerRequest
	if err := s.bind(c, &req); err != nil {
		return err
	}
	ps, err := s.printers()
	if err != nil {
		return err
	}
	pc := &freezer.PrinterConfig{HouseholdID: id, Kind: req.Kind, Target: req.Target, Size: req.Size, DPI: req.DPI,
		Language: req.Language, AutoPrint: req.AutoPrint == nil || *req.AutoPrint}
	if req.Token != nil {
		pc.Token = *req.Token
	} else if old, err := ps.FindPrinter(httpapi.Ctx(c), id); err == nil && old.Kind == pc.Kind && old.Target == pc.Target {
		pc.Token = old.Token // unchanged: the client never saw it, so it cannot send it back
	} else if err != nil && freezer.ErrorCode(err) != freezer.ENOTFOUND {
		return err
	}
	if err := ps.SetPrinter(httpapi.Ctx(c), pc); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, pc)
}

func (s *server) v1DeletePrinter(c echo.Context) error {
	id, err := httpapi.PathID(c, "id")
	if err != nil {
		return err
	}
	ps, err := s.printers()
	if err != nil {
		return err
	}
	if err := ps.DeletePrinter(httpapi.Ctx(c), id); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

func (s *server) v1ListPrintJobs(c echo.Context) error {
	ps, err := s.printers()
	if err != nil {
		return err
	}
	pg, err := readPage(c)
	if err != nil {
		return err
	}
	filter := freezer.PrintJobFilter{BeforeID: pg.AfterID, Limit: pg.Limit + 1}
	if filter.HouseholdID, err = queryInt64(c, "household_id"); err != nil {
		return err
	}
	switch status := c.QueryParam("status"); status {
	case "":
	case freezer.PrintPending, freezer.PrintDone, freezer.PrintFailed:
		filter.Status = &status
	default:
		return freezer.Errorf(freezer.EINVALID, "status must be pending, printed or failed.")
	}
	list, err := ps.FindPrintJobs(httpapi.Ctx(c), filter)
	if err != nil {
		return err
	}
	resp := listResponse[*freezer.PrintJob]{Items: make([]*freezer.PrintJob, 0, len(list))}
	if len(list) > pg.Limit {
		list = list[:pg.Limit]
		// The cursor's id is an upper bound here: the list goes newest first.
		resp.NextCursor = idCursor(list[len(list)-1].ID)
	}
	resp.Items = append(resp.Items, list...)
	return c.JSON(http.StatusOK, resp)
}

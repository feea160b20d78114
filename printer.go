package freezer

import (
	"context"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Printer kinds: where a household's labels go.
const (
	PrinterDirectory = "directory" // PNG files in a sub-directory of the server's label directory
	PrinterCUPS      = "cups"      // a CUPS queue, through "lp -d QUEUE" (a PDF of the label's size)
	PrinterTCP       = "tcp"       // ZPL over raw TCP, port 9100 by default (Zebra printers)
	PrinterWebhook   = "webhook"   // an HTTP POST of JSON with the label PNG in base64 (brother_ql-style print servers)
)

// Label sizes, by name.
const (
	LabelSize62mm  = "62mm"  // 62 mm continuous tape, cut at 29 mm
	LabelSize29x90 = "29x90" // 29 × 90 mm die-cut labels
	LabelSize50x25 = "50x25" // generic 50 × 25 mm labels
)

// LabelSizes lists the label sizes, the default first.
var LabelSizes = []string{LabelSize62mm, LabelSize29x90, LabelSize50x25}

// ValidateLabelSize returns EINVALID unless size names one of LabelSizes.
func ValidateLabelSize(size string) error {
	for _, s := range LabelSizes {
		if s == size {
			return nil
		}
	}
	return Errorf(EINVALID, "size must be one of %s.", strings.Join(LabelSizes, ", "))
}

// DefaultZPLDPI is the resolution of most Zebra desktop printers, in dots per inch.
const DefaultZPLDPI = 203

// MaxTargetLen bounds a printer's target and token, in bytes.
const MaxTargetLen = 500

// PrinterConfig is a household's default label printer. A household has at
// most one; it prints product labels on demand and, with AutoPrint, each
// product created through the v1 API.
type PrinterConfig struct {
	HouseholdID int64  `json:"household_id"`
	Kind        string `json:"kind"` // one of the Printer kinds
	// Target is where the labels go: a directory name (PrinterDirectory),
	// a CUPS queue (PrinterCUPS), host:port (PrinterTCP) or a URL (PrinterWebhook).
	Target string `json:"target"`
	// Token is sent as "Authorization: Bearer <token>" to a webhook. It is
	// a secret: never returned to clients.
	Token     string    `json:"-"`
	HasToken  bool      `json:"has_token"`
	Size      string    `json:"size"`       // one of LabelSizes
	DPI       int       `json:"dpi"`        // PrinterTCP: the printer's resolution (203, 300 or 600)
	Language  string    `json:"language"`   // the labels' words: en or fr
	AutoPrint bool      `json:"auto_print"` // print each new product's label
	UpdatedAt time.Time `json:"updated_at"`
}

// Normalize fills in the defaults of the fields left empty.
func (c *PrinterConfig) Normalize() {
	c.Kind = strings.TrimSpace(c.Kind)
	c.Target = strings.TrimSpace(c.Target)
	if c.Size == "" {
		c.Size = LabelSize62mm
	}
	if c.DPI == 0 {
		c.DPI = DefaultZPLDPI
	}
	if c.Language == "" {
		c.Language = LanguageEnglish
	}
	if c.Kind == PrinterTCP && c.Target != "" {
		if _, _, err := net.SplitHostPort(c.Target); err != nil {
			c.Target = net.JoinHostPort(strings.Trim(c.Target, "[]"), "9100")
		}
	}
	c.HasToken = c.Token != ""
}

// Validate returns EINVALID when a field is out of range or the target does
// not suit the kind.
func (c *PrinterConfig) Validate() error {
	if c.HouseholdID <= 0 {
		return Errorf(EINVALID, "household_id is required.")
	}
	if err := ValidateLabelSize(c.Size); err != nil {
		return err
	}
	if c.DPI != 203 && c.DPI != 300 && c.DPI != 600 {
		return Errorf(EINVALID, "dpi must be 203, 300 or 600.")
	}
	if c.Language != LanguageEnglish && c.Language != LanguageFrench {
		return Errorf(EINVALID, "language must be en or fr.")
	}
	if len(c.Target) > MaxTargetLen || len(c.Token) > MaxTargetLen {
		return Errorf(EINVALID, "target and token must have at most %d characters.", MaxTargetLen)
	}
	if c.Token != "" && c.Kind != PrinterWebhook {
		return Errorf(EINVALID, "only a webhook printer takes a token.")
	}
	if strings.ContainsFunc(c.Token, func(r rune) bool { return r < 0x21 || r > 0x7e }) {
		return Errorf(EINVALID, "token must be printable ASCII without spaces.")
	}
	switch c.Kind {
	case PrinterDirectory:
		return validateDirectoryName(c.Target)
	case PrinterCUPS:
		return validateQueue(c.Target)
	case PrinterTCP:
		return validateHostPort(c.Target)
	case PrinterWebhook:
		return validateWebhookURL(c.Target)
	}
	return Errorf(EINVALID, "kind must be %s, %s, %s or %s.", PrinterDirectory, PrinterCUPS, PrinterTCP, PrinterWebhook)
}

// validateDirectoryName accepts a relative path of plain names: the
// printer writes below the server's label directory, never elsewhere.
func validateDirectoryName(dir string) error {
	if dir == "" {
		return Errorf(EINVALID, "target must name a directory, such as \"kitchen\".")
	}
	for _, part := range strings.Split(dir, "/") {
		if part == "" || part == "." || part == ".." || strings.HasPrefix(part, ".") ||
			strings.ContainsFunc(part, func(r rune) bool { return !isNameRune(r) }) {
			return Errorf(EINVALID, "target must be a relative directory of letters, digits, '-', '_' and '.', such as \"kitchen\".")
		}
	}
	return nil
}

// validateQueue accepts a CUPS destination ("queue" or "queue/instance")
// that lp cannot mistake for an option.
func validateQueue(q string) error {
	if q == "" || strings.HasPrefix(q, "-") || strings.ContainsFunc(q, func(r rune) bool { return !isNameRune(r) && r != '/' && r != '@' }) {
		return Errorf(EINVALID, "target must be a CUPS queue name of letters, digits, '-', '_', '.', '@' and '/'.")
	}
	return nil
}

func isNameRune(r rune) bool {
	return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.'
}

func validateHostPort(target string) error {
	host, port, err := net.SplitHostPort(target)
	n, convErr := strconv.Atoi(port)
	if err != nil || host == "" || convErr != nil || n < 1 || n > 65535 || strings.ContainsAny(host, " /") {
		return Errorf(EINVALID, "target must be host:port, such as 192.168.1.50:9100.")
	}
	return nil
}

func validateWebhookURL(target string) error {
	u, err := url.Parse(target)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil {
		return Errorf(EINVALID, "target must be an http or https URL without credentials (send a token instead).")
	}
	return nil
}

// Print job states.
const (
	PrintPending = "pending" // being sent
	PrintDone    = "printed" // the printer accepted it
	PrintFailed  = "failed"  // see Error; may be retried
)

// PrintJob records one label sent to a household's printer, so that a
// failure is reported and can be retried.
type PrintJob struct {
	ID          int64     `json:"id"`
	HouseholdID int64     `json:"household_id"`
	ProductID   *int64    `json:"product_id"` // nil once the product is deleted
	Code        string    `json:"code"`       // the printed payload, FZ-I-<id>
	Printer     string    `json:"printer"`    // the printer kind used last
	Size        string    `json:"size"`
	Status      string    `json:"status"` // PrintPending, PrintDone or PrintFailed
	Error       string    `json:"error"`  // why it failed
	Attempts    int       `json:"attempts"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
}

// PrintJobFilter selects print jobs among those the actor may see, newest first.
type PrintJobFilter struct {
	HouseholdID *int64
	Status      *string
	BeforeID    int64 // a cursor: only jobs with a smaller id
	Limit       int   // 0 means no limit
}

// PrinterService stores households' printers and print jobs. Every method
// sees only the actor's households: others are ENOTFOUND.
type PrinterService interface {
	// FindPrinter returns a household's printer, secret included (ENOTFOUND
	// for an unknown household or when none is set).
	FindPrinter(ctx context.Context, householdID int64) (*PrinterConfig, error)
	// SetPrinter creates or replaces a household's printer (EINVALID, ENOTFOUND).
	SetPrinter(ctx context.Context, c *PrinterConfig) error
	// DeletePrinter removes a household's printer (ENOTFOUND).
	DeletePrinter(ctx context.Context, householdID int64) error
	// CreatePrintJob records a job (EINVALID, ENOTFOUND).
	CreatePrintJob(ctx context.Context, j *PrintJob) error
	// FindPrintJobByID returns one job (ENOTFOUND).
	FindPrintJobByID(ctx context.Context, id int64) (*PrintJob, error)
	// FindPrintJobs returns the jobs matching filter, newest first.
	FindPrintJobs(ctx context.Context, filter PrintJobFilter) ([]*PrintJob, error)
	// FinishPrintJob records an attempt's outcome: status, error text, the
	// printer and size used; it counts the attempt (ENOTFOUND).
	FinishPrintJob(ctx context.Context, j *PrintJob) error
}

// LabelPrinter prints product labels on their household's printer. A
// failed print is a job with status PrintFailed, not an error.
type LabelPrinter interface {
	// PrintProduct prints a product's label now and returns its job
	// (ENOTFOUND, ECONFLICT when the household has no printer).
	PrintProduct(ctx context.Context, productID int64) (*PrintJob, error)
	// AutoPrint starts printing a new product's label when its household's
	// printer prints automatically; it returns the pending job, or nil.
	AutoPrint(ctx context.Context, p *Product) (*PrintJob, error)
	// RetryPrintJob prints a job's product again on the household's current
	// printer (ENOTFOUND, ECONFLICT).
	RetryPrintJob(ctx context.Context, id int64) (*PrintJob, error)
}

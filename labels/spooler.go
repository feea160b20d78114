package labels

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	freezer "github.com/freezer-manager/freezer"
)

var _ freezer.LabelPrinter = (*Spooler)(nil)

// SpoolerConfig holds the spooler's settings; zero values mean the defaults.
type SpoolerConfig struct {
	PrinterOptions
	Timeout time.Duration // bounds one print (default 20 s)
	Logger  *slog.Logger
}

// Spooler prints product labels on their household's printer and records
// every attempt as a print job: a print that fails is a failed job, never a
// failed request, and can be retried.
type Spooler struct {
	printers freezer.PrinterService
	products freezer.ProductService
	config   SpoolerConfig
	wg       sync.WaitGroup
}

// NewSpooler returns a spooler over the printer and product services.
func NewSpooler(printers freezer.PrinterService, products freezer.ProductService, cfg SpoolerConfig) *Spooler {
	if cfg.Timeout <= 0 {
		cfg.Timeout = printTimeout
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &Spooler{printers: printers, products: products, config: cfg}
}

// PrintProduct prints a product's label now (ENOTFOUND for an unknown
// product, ECONFLICT when its household has no printer).
func (s *Spooler) PrintProduct(ctx context.Context, productID int64) (*freezer.PrintJob, error) {
	p, err := s.products.FindProductByID(ctx, productID)
	if err != nil {
		return nil, err
	}
	c, err := s.printer(ctx, p.HouseholdID)
	if err != nil {
		return nil, err
	}
	j, err := s.newJob(ctx, p, c)
	if err != nil {
		return nil, err
	}
	return j, s.send(ctx, j, p, c)
}

// AutoPrint starts printing a new product's label in the background when
// its household's printer prints automatically, and returns the pending
// job; nil when there is nothing to print.
func (s *Spooler) AutoPrint(ctx context.Context, p *freezer.Product) (*freezer.PrintJob, error) {
	c, err := s.printers.FindPrinter(ctx, p.HouseholdID)
	if freezer.ErrorCode(err) == freezer.ENOTFOUND {
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	if !c.AutoPrint {
		return nil, nil
	}
	j, err := s.newJob(ctx, p, c)
	if err != nil {
		return nil, err
	}
	pending := *j
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		// The request that created the product may end first: keep its actor, not its deadline.
		if err := s.send(context.WithoutCancel(ctx), j, p, c); err != nil {
			s.config.Logger.Error("auto-print: cannot record the print job", "job", j.ID, "err", err)
		}
	}()
	return &pending, nil
}

// RetryPrintJob prints a job's product again, as it is now, on its
// household's current printer (ENOTFOUND, ECONFLICT when the product was
// deleted or the household has no printer).
func (s *Spooler) RetryPrintJob(ctx context.Context, id int64) (*freezer.PrintJob, error) {
	j, err := s.printers.FindPrintJobByID(ctx, id)
	if err != nil {
		return nil, err
	}
	if j.ProductID == nil {
		return nil, freezer.Errorf(freezer.ECONFLICT, "The product of print job %d was deleted.", id)
	}
	p, err := s.products.FindProductByID(ctx, *j.ProductID)
	if err != nil {
		return nil, err
	}
	c, err := s.printer(ctx, j.HouseholdID)
	if err != nil {
		return nil, err
	}
	return j, s.send(ctx, j, p, c)
}

// Wait returns once the prints started in the background are done.
func (s *Spooler) Wait() { s.wg.Wait() }

// printer returns a household's printer, ECONFLICT when it has none. The
// caller has seen the household (through a product or a job), so
// ENOTFOUND means no printer.
func (s *Spooler) printer(ctx context.Context, householdID int64) (*freezer.PrinterConfig, error) {
	c, err := s.printers.FindPrinter(ctx, householdID)
	if freezer.ErrorCode(err) == freezer.ENOTFOUND {
		return nil, freezer.Errorf(freezer.ECONFLICT, "Household %d has no printer: set one with PUT /api/v1/households/%d/printer.", householdID, householdID)
	}
	return c, err
}

func (s *Spooler) newJob(ctx context.Context, p *freezer.Product, c *freezer.PrinterConfig) (*freezer.PrintJob, error) {
	id := p.ID
	j := &freezer.PrintJob{HouseholdID: p.HouseholdID, ProductID: &id, Code: freezer.ProductCode(p.ID), Printer: c.Kind, Size: c.Size,
		Status: freezer.PrintPending}
	if err := s.printers.CreatePrintJob(ctx, j); err != nil {
		return nil, err
	}
	return j, nil
}

// send prints p's label on c and records the outcome in j. It returns an
// error only when the outcome cannot be recorded.
func (s *Spooler) send(ctx context.Context, j *freezer.PrintJob, p *freezer.Product, c *freezer.PrinterConfig) error {
	err := s.print(ctx, j, p, c)
	j.Status, j.Error, j.Printer, j.Size = freezer.PrintDone, "", c.Kind, c.Size
	if err != nil {
		j.Status, j.Error = freezer.PrintFailed, err.Error()
		s.config.Logger.Warn("print failed", "job", j.ID, "household", j.HouseholdID, "printer", c.Kind, "err", err)
	}
	if err := s.printers.FinishPrintJob(ctx, j); err != nil {
		return fmt.Errorf("record print job %d: %w", j.ID, err)
	}
	return nil
}

func (s *Spooler) print(ctx context.Context, j *freezer.PrintJob, p *freezer.Product, c *freezer.PrinterConfig) error {
	printer, err := NewPrinter(c, s.config.PrinterOptions)
	if err != nil {
		return err
	}
	size, err := SizeOf(c.Size)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, s.config.Timeout)
	defer cancel()
	return printer.Print(ctx, Job{Name: fmt.Sprintf("%s-%d", j.Code, j.ID), Label: ProductLabel(p, c.Language), Size: size, DPI: c.DPI, Product: p})
}

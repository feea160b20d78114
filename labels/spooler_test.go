package labels_test

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	freezer "github.com/freezer-manager/freezer"
	"github.com/freezer-manager/freezer/internal/labeltest"
	"github.com/freezer-manager/freezer/labels"
)

// memPrinters keeps one household's printer and its jobs in memory.
type memPrinters struct {
	mu      sync.Mutex
	printer *freezer.PrinterConfig
	jobs    []*freezer.PrintJob
}

func (m *memPrinters) FindPrinter(_ context.Context, householdID int64) (*freezer.PrinterConfig, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.printer == nil || m.printer.HouseholdID != householdID {
		return nil, freezer.Errorf(freezer.ENOTFOUND, "No printer.")
	}
	c := *m.printer
	return &c, nil
}

func (m *memPrinters) SetPrinter(_ context.Context, c *freezer.PrinterConfig) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	c.Normalize()
	if err := c.Validate(); err != nil {
		return err
	}
	cp := *c
	m.printer = &cp
	return nil
}

func (m *memPrinters) DeletePrinter(context.Context, int64) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.printer = nil
	return nil
}

func (m *memPrinters) CreatePrintJob(_ context.Context, j *freezer.PrintJob) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	j.ID = int64(len(m.jobs) + 1)
	cp := *j
	m.jobs = append(m.jobs, &cp)
	return nil
}

func (m *memPrinters) FindPrintJobByID(_ context.Context, id int64) (*freezer.PrintJob, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if id < 1 || int(id) > len(m.jobs) {
		return nil, freezer.Errorf(freezer.ENOTFOUND, "No job.")
	}
	cp := *m.jobs[id-1]
	return &cp, nil
}

func (m *memPrinters) FindPrintJobs(context.Context, freezer.PrintJobFilter) ([]*freezer.PrintJob, error) {
	return nil, nil
}

func (m *memPrinters) FinishPrintJob(_ context.Context, j *freezer.PrintJob) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	stored := m.jobs[j.ID-1]
	stored.Status, stored.Error, stored.Printer, stored.Size = j.Status, j.Error, j.Printer, j.Size
	stored.Attempts++
	*j = *stored
	return nil
}

func (m *memPrinters) job(id int64) freezer.PrintJob {
	m.mu.Lock()
	defer m.mu.Unlock()
	return *m.jobs[id-1]
}

// oneProduct serves a single product.
type oneProduct struct {
	freezer.ProductService
	p *freezer.Product
}

func (o oneProduct) FindProductByID(_ context.Context, id int64) (*freezer.Product, error) {
	if id != o.p.ID {
		return nil, freezer.Errorf(freezer.ENOTFOUND, "Product %d not found.", id)
	}
	cp := *o.p
	return &cp, nil
}

func TestSpooler(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	printers := &memPrinters{}
	s := labels.NewSpooler(printers, oneProduct{p: frenchProduct}, labels.SpoolerConfig{
		PrinterOptions: labels.PrinterOptions{LabelsDir: root}, Timeout: 5 * time.Second})

	t.Run("ErrConflictNoPrinter", func(t *testing.T) {
		if _, err := s.PrintProduct(ctx, frenchProduct.ID); freezer.ErrorCode(err) != freezer.ECONFLICT {
			t.Errorf("err = %v, want ECONFLICT", err)
		}
		if j, err := s.AutoPrint(ctx, frenchProduct); j != nil || err != nil {
			t.Errorf("AutoPrint without printer = %v, %v; want nothing", j, err)
		}
		if _, err := s.PrintProduct(ctx, 999); freezer.ErrorCode(err) != freezer.ENOTFOUND {
			t.Errorf("unknown product: err = %v, want ENOTFOUND", err)
		}
	})

	t.Run("AutoPrint", func(t *testing.T) {
		printers.SetPrinter(ctx, &freezer.PrinterConfig{HouseholdID: 1, Kind: freezer.PrinterDirectory, Target: "door", AutoPrint: true, Size: freezer.LabelSize50x25})
		j, err := s.AutoPrint(ctx, frenchProduct)
		if err != nil || j == nil || j.Status != freezer.PrintPending {
			t.Fatalf("AutoPrint = %+v, %v; want a pending job", j, err)
		}
		s.Wait()
		if got := printers.job(j.ID); got.Status != freezer.PrintDone || got.Attempts != 1 || got.Error != "" {
			t.Errorf("job = %+v, want printed at the first attempt", got)
		}
		data, err := os.ReadFile(filepath.Join(root, "household-1", "door", "FZ-I-000123-1.png"))
		if err != nil {
			t.Fatal(err)
		}
		if r := labeltest.MustDecodePNG(t, data); r.Text != "FZ-I-000123" {
			t.Errorf("printed %q", r.Text)
		}

		printers.SetPrinter(ctx, &freezer.PrinterConfig{HouseholdID: 1, Kind: freezer.PrinterDirectory, Target: "door", AutoPrint: false})
		if j, err := s.AutoPrint(ctx, frenchProduct); j != nil || err != nil {
			t.Errorf("AutoPrint turned off = %v, %v; want nothing", j, err)
		}
	})

	t.Run("FailThenRetry", func(t *testing.T) {
		ln, _ := net.Listen("tcp", "127.0.0.1:0")
		addr := ln.Addr().String()
		ln.Close() // nobody listens
		printers.SetPrinter(ctx, &freezer.PrinterConfig{HouseholdID: 1, Kind: freezer.PrinterTCP, Target: addr})
		j, err := s.PrintProduct(ctx, frenchProduct.ID)
		if err != nil {
			t.Fatalf("a failed print is a failed job, not an error: %v", err)
		}
		if j.Status != freezer.PrintFailed || !strings.Contains(j.Error, "connect") || j.Attempts != 1 || j.Printer != freezer.PrinterTCP {
			t.Errorf("job = %+v, want failed with the reason", j)
		}
		live, got := listenZPL(t)
		printers.SetPrinter(ctx, &freezer.PrinterConfig{HouseholdID: 1, Kind: freezer.PrinterTCP, Target: live})
		j, err = s.RetryPrintJob(ctx, j.ID)
		if err != nil || j.Status != freezer.PrintDone || j.Error != "" || j.Attempts != 2 {
			t.Fatalf("retry = %+v, %v; want printed at the second attempt", j, err)
		}
		if zpl := <-got; !strings.Contains(zpl, "^FDQA,FZ-I-000123^FS") {
			t.Errorf("the retried job sent:\n%s", zpl)
		}
	})

	t.Run("ErrConflictRetryDeletedProduct", func(t *testing.T) {
		printers.CreatePrintJob(ctx, &freezer.PrintJob{HouseholdID: 1, Code: "FZ-I-000404", Printer: freezer.PrinterTCP, Status: freezer.PrintFailed})
		if _, err := s.RetryPrintJob(ctx, int64(len(printers.jobs))); freezer.ErrorCode(err) != freezer.ECONFLICT {
			t.Errorf("err = %v, want ECONFLICT", err)
		}
	})
}

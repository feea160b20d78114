package labels

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	freezer "github.com/freezer-manager/freezer"
	"github.com/freezer-manager/freezer/internal/netguard"
)

// Job is one label on its way to a printer.
type Job struct {
	Name    string // unique: a file name, a CUPS title ("FZ-I-000123-17")
	Label   Label
	Size    Size
	DPI     int              // ZPL printers' resolution
	Product *freezer.Product // the product labelled, for the fields a webhook receives
}

// Printer sends labels to a printer.
type Printer interface {
	// Print prints one label, or says why it could not.
	Print(ctx context.Context, job Job) error
}

// PrinterOptions are the server's settings that every household's printers share.
type PrinterOptions struct {
	// LabelsDir is where directory printers write, each household in its
	// own sub-directory; "" refuses directory printers.
	LabelsDir string
	// LPCommand is the CUPS client (default "lp", found on PATH).
	LPCommand string
	// HTTPClient posts to webhooks (default: the Guard's client, bounded
	// by the print's context).
	HTTPClient *http.Client
	// Guard refuses network printers and webhooks on addresses a household
	// must not reach (nil: any address; freezerd always sets one).
	Guard *netguard.Guard
}

// NewPrinter returns the printer a household configured.
func NewPrinter(c *freezer.PrinterConfig, opts PrinterOptions) (Printer, error) {
	switch c.Kind {
	case freezer.PrinterDirectory:
		if opts.LabelsDir == "" {
			return nil, fmt.Errorf("directory printers are turned off on this server (no label directory)")
		}
		return DirectoryPrinter{Dir: filepath.Join(opts.LabelsDir, fmt.Sprintf("household-%d", c.HouseholdID), filepath.FromSlash(c.Target))}, nil
	case freezer.PrinterCUPS:
		return CUPSPrinter{Queue: c.Target, Command: opts.LPCommand}, nil
	case freezer.PrinterTCP:
		return TCPPrinter{Addr: c.Target, Dial: opts.Guard.DialContext}, nil
	case freezer.PrinterWebhook:
		client := opts.HTTPClient
		if client == nil {
			client = opts.Guard.HTTPClient(0)
		}
		return WebhookPrinter{URL: c.Target, Token: c.Token, Client: client}, nil
	}
	return nil, fmt.Errorf("unknown printer kind %q", c.Kind)
}

// DirectoryPrinter writes each label as a PNG file, for a print server or
// a synchronised folder to pick up.
type DirectoryPrinter struct {
	Dir string
}

// Print writes <job name>.png, whole or not at all: a watcher never sees half a file.
func (p DirectoryPrinter) Print(ctx context.Context, job Job) error {
	data, err := RenderPNG(job.Label, job.Size)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(p.Dir, 0o750); err != nil {
		return fmt.Errorf("label directory: %w", err)
	}
	tmp, err := os.CreateTemp(p.Dir, ".label-*.tmp")
	if err != nil {
		return fmt.Errorf("label file: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("write label file: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write label file: %w", err)
	}
	if err := os.Chmod(tmp.Name(), 0o640); err != nil {
		return fmt.Errorf("label file: %w", err)
	}
	if err := os.Rename(tmp.Name(), filepath.Join(p.Dir, job.Name+".png")); err != nil {
		return fmt.Errorf("label file: %w", err)
	}
	return nil
}

// CUPSPrinter hands a PDF of the label's size to a CUPS queue with "lp -d QUEUE".
type CUPSPrinter struct {
	Queue   string
	Command string // default "lp"
}

// Print runs lp with the PDF on its standard input.
func (p CUPSPrinter) Print(ctx context.Context, job Job) error {
	data, err := RenderLabelPDF(job.Label, job.Size)
	if err != nil {
		return err
	}
	command := p.Command
	if command == "" {
		command = "lp"
	}
	cmd := exec.CommandContext(ctx, command, "-d", p.Queue, "-t", job.Name)
	cmd.Stdin = bytes.NewReader(data)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("lp -d %s: %v: %s", p.Queue, err, clipText(strings.TrimSpace(string(out)), 200))
	}
	return nil
}

// TCPPrinter sends ZPL to a Zebra printer's raw port (9100).
type TCPPrinter struct {
	Addr string
	// Dial connects (default: a plain net.Dialer).
	Dial func(ctx context.Context, network, address string) (net.Conn, error)
}

// Print connects, writes the ZPL and closes.
func (p TCPPrinter) Print(ctx context.Context, job Job) error {
	dpi := job.DPI
	if dpi == 0 {
		dpi = freezer.DefaultZPLDPI
	}
	data, err := RenderZPL(job.Label, job.Size, dpi)
	if err != nil {
		return err
	}
	dial := p.Dial
	if dial == nil {
		dial = new(net.Dialer).DialContext
	}
	conn, err := dial(ctx, "tcp", p.Addr)
	if err != nil {
		return fmt.Errorf("connect to printer: %w", err)
	}
	defer conn.Close()
	if deadline, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(deadline)
	}
	if _, err := conn.Write(data); err != nil {
		return fmt.Errorf("send to printer: %w", err)
	}
	if err := conn.Close(); err != nil {
		return fmt.Errorf("send to printer: %w", err)
	}
	return nil
}

// WebhookPayload is the JSON a webhook printer receives: the label as a
// PNG in base64, and its fields for servers that lay labels out themselves.
type WebhookPayload struct {
	Code       string  `json:"code"`
	Name       string  `json:"name"`
	Location   string  `json:"location"`     // "F2 · B3 · S7"
	FreezerID  int64   `json:"freezer_id"`   //
	Box        int     `json:"box"`          //
	Slot       int     `json:"slot"`         //
	DateIn     string  `json:"date_in"`      // YYYY-MM-DD
	UseBy      string  `json:"use_by"`       // YYYY-MM-DD
	UseByMonth string  `json:"use_by_month"` // YYYY-MM
	Quantity   int     `json:"quantity"`
	ProductID  int64   `json:"product_id"`
	Size       string  `json:"size"` // 62mm, 29x90 or 50x25
	WidthMM    float64 `json:"width_mm"`
	HeightMM   float64 `json:"height_mm"`
	Width      int     `json:"width_px"`
	Height     int     `json:"height_px"`
	DPI        int     `json:"dpi"`
	PNG        string  `json:"png"` // base64 (standard, padded)
}

// WebhookPrinter posts each label to a URL, with an optional bearer token.
type WebhookPrinter struct {
	URL    string
	Token  string
	Client *http.Client
}

// Print posts the label and wants a 2xx answer.
func (p WebhookPrinter) Print(ctx context.Context, job Job) error {
	data, err := RenderPNG(job.Label, job.Size)
	if err != nil {
		return err
	}
	payload := WebhookPayload{Code: job.Label.Code, Name: job.Label.Title, Size: job.Size.Name,
		WidthMM: job.Size.WidthMM, HeightMM: job.Size.HeightMM, Width: job.Size.Width, Height: job.Size.Height, DPI: job.Size.DPI,
		PNG: base64.StdEncoding.EncodeToString(data)}
	if pr := job.Product; pr != nil {
		payload.ProductID, payload.Name, payload.Quantity = pr.ID, pr.Name, pr.Quantity
		payload.FreezerID, payload.Box, payload.Slot = pr.FreezerID, pr.Box, pr.Slot
		payload.Location = Location(pr.FreezerID, pr.Box, pr.Slot)
		payload.DateIn, payload.UseBy, payload.UseByMonth = pr.DateIn.String(), pr.UseBy().String(), UseByMonth(pr)
	}
	body, err := json.Marshal(payload)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.URL, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("webhook: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "freezer-manager-labels")
	if p.Token != "" {
		req.Header.Set("Authorization", "Bearer "+p.Token)
	}
	client := p.Client
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("webhook: %w", err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	// The answer's body and reason phrase are not repeated: the print
	// job's error is shown to the household, who must not read through
	// the server what a host it cannot reach answers.
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("webhook answered %d %s", resp.StatusCode, http.StatusText(resp.StatusCode))
	}
	return nil
}

// clipText shortens s to at most n bytes on a rune boundary.
func clipText(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8RuneStart(s[n]) {
		n--
	}
	return s[:n] + Ellipsis
}

func utf8RuneStart(b byte) bool { return b&0xC0 != 0x80 }

// printTimeout bounds one print unless the spooler is told otherwise.
const printTimeout = 20 * time.Second

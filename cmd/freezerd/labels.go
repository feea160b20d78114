package main

import (
	"path/filepath"

	"github.com/freezer-manager/freezer/api"
	"github.com/freezer-manager/freezer/labels"
)

// openLabels gives the API a label spooler whose directory printers write
// under --labels-dir (default <data-dir>/labels).
func (m *Server) openLabels(services *api.Services) {
	dir := m.Config.LabelsDir
	if dir == "" {
		dir = filepath.Join(m.Config.DataDir, "labels")
	}
	m.Spooler = labels.NewSpooler(m.DB, m.DB, labels.SpoolerConfig{PrinterOptions: labels.PrinterOptions{LabelsDir: dir, Guard: m.guard}, Logger: m.Logger})
	services.Printing = m.Spooler
}

// closeLabels waits for the labels still printing in the background; each
// print is bounded by the spooler's timeout.
func (m *Server) closeLabels() {
	if m.Spooler != nil {
		m.Spooler.Wait()
		m.Spooler = nil
	}
}

package hub_test

import (
	"testing"

	freezer "github.com/freezer-manager/freezer"
	"github.com/freezer-manager/freezer/hub"
)

// The WASTE card puts a scanner in discard mode: its product scans take
// products out as thrown away, undo puts them back, and OUT returns to
// taking them out as eaten.
func TestDiscardMode(t *testing.T) {
	eachDB(t, func(t *testing.T, fx *fixture) {
		thrown, eaten := fx.product(t, 1, 1), fx.product(t, 1, 2)
		fx.start(t, nil, hub.Config{})
		a := fx.scanOne(t, fx.dev.ID, scanPayload("1", freezer.CommandCode(freezer.CommandWaste), ""))
		if a.Status != freezer.ScanOK || a.Op != freezer.OpMode || a.Msg != "mode discard" {
			t.Fatalf("WASTE ack = %+v, want mode discard", a)
		}
		if d, err := fx.store.FindDeviceByID(sys, fx.dev.ID); err != nil || d.Mode != freezer.ModeDiscard {
			t.Fatalf("device mode = %v (%v), want discard", d, err)
		}
		a = fx.scanOne(t, fx.dev.ID, scanPayload("2", freezer.ProductCode(thrown.ID), ""))
		if a.Status != freezer.ScanOK || a.Op != freezer.OpOut || a.Msg != "thrown away" {
			t.Errorf("scan in discard mode: ack %+v, want ok out thrown away", a)
		}
		if p := fx.find(t, thrown.ID); p.Inside() || p.Outcome != freezer.OutcomeDiscarded {
			t.Errorf("after a scan in discard mode: inside %v, outcome %q; want out, discarded", p.Inside(), p.Outcome)
		}

		a = fx.scanOne(t, fx.dev.ID, scanPayload("3", freezer.CommandCode(freezer.CommandUndo), ""))
		if a.Status != freezer.ScanOK {
			t.Fatalf("undo ack = %+v", a)
		}
		if p := fx.find(t, thrown.ID); !p.Inside() || p.Outcome != "" {
			t.Errorf("after undo: inside %v, outcome %q; want inside, no outcome", p.Inside(), p.Outcome)
		}

		fx.scanOne(t, fx.dev.ID, scanPayload("4", freezer.CommandCode(freezer.CommandOut), ""))
		a = fx.scanOne(t, fx.dev.ID, scanPayload("5", freezer.ProductCode(eaten.ID), ""))
		if a.Msg != "taken out" {
			t.Errorf("scan in out mode: ack %+v, want taken out", a)
		}
		if p := fx.find(t, eaten.ID); p.Outcome != freezer.OutcomeEaten {
			t.Errorf("after OUT: outcome %q, want eaten", p.Outcome)
		}
		// A scan's own mode applies to that scan only.
		a = fx.scanOne(t, fx.dev.ID, scanPayload("6", freezer.ProductCode(thrown.ID), freezer.ModeDiscard))
		if a.Msg != "thrown away" || fx.find(t, thrown.ID).Outcome != freezer.OutcomeDiscarded {
			t.Errorf("a scan with mode discard: ack %+v", a)
		}
	})
}

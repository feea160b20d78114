package hub

import (
	"context"
	"fmt"
	"time"
	"unicode/utf8"

	freezer "github.com/freezer-manager/freezer"
	"github.com/freezer-manager/freezer/devices"
)

// job is one scan on its way through the hub.
type job struct {
	deviceID  string
	msg       devices.ScanMessage
	decodeErr error
	code      freezer.Code // msg.Code parsed
	received  time.Time
	seq       uint64 // the hub's number for this scan: unique with received
	done      func()

	// Results, set by apply; apply may run more than once if the batch is retried.
	ack      devices.Ack
	setMode  string
	reusedID string // when the id was already used for another code: that code
}

// maxStoredCode bounds the code kept in a scan event.
const maxStoredCode = 255

// apply processes one scan inside tx: it checks for a duplicate, performs
// the operation, records the event and prepares the ack.
func (h *Hub) apply(ctx context.Context, tx freezer.ScanTx, j *job) error {
	j.ack, j.setMode, j.reusedID = devices.Ack{ID: j.msg.ID}, "", ""
	dev, err := tx.FindDevice(ctx, j.deviceID)
	if freezer.ErrorCode(err) == freezer.ENOTFOUND {
		j.ack.Status, j.ack.Msg = freezer.ScanDenied, "unknown device"
		return nil
	} else if err != nil {
		return err
	}
	if dev.Kind != freezer.DeviceScanner {
		j.ack.Status, j.ack.Msg = freezer.ScanDenied, "this device may not scan"
		return nil
	}

	e := &freezer.ScanEvent{DeviceID: dev.ID, MsgID: j.msg.ID, Code: truncate(j.msg.Code, maxStoredCode), Mode: dev.Mode}
	if j.msg.Mode != "" {
		e.Mode = j.msg.Mode
	}
	if j.decodeErr != nil {
		e.MsgID = fmt.Sprintf("bad-%d-%d", j.received.UnixNano(), j.seq)
		e.Status, e.Message = freezer.ScanError, truncate(j.decodeErr.Error(), 200)
		return h.record(ctx, tx, j, e)
	}
	if e.MsgID != "" {
		prev, err := tx.FindScanEvent(ctx, dev.ID, e.MsgID)
		if err != nil {
			return err
		}
		if prev != nil {
			// The stored code is cut to maxStoredCode like e.Code: a resend
			// carries the same code, so both are cut the same way.
			if prev.Code != e.Code {
				// Not a resend: the device gave a new scan an old id. Applying
				// it would break "each id once"; answering the old ack would
				// lose the scan while the device shows success.
				j.ack = devices.Ack{ID: j.msg.ID, Status: freezer.ScanError, Msg: "id already used for another code"}
				j.reusedID = prev.Code
				return nil
			}
			j.ack = ackOf(prev) // a resend: the same answer, applied once
			return nil
		}
	} else {
		prev, err := tx.FindRecentScan(ctx, dev.ID, e.Code, j.received.Add(-h.config.RawDupWindow))
		if err != nil {
			return err
		}
		if prev != nil {
			j.ack = devices.Ack{Status: freezer.ScanAlready, Op: prev.Op, Product: prev.Product, Location: prev.Location, Msg: "same code scanned twice"}
			return nil
		}
		e.MsgID = fmt.Sprintf("raw-%d-%d", j.received.UnixNano(), j.seq)
	}

	op := &operation{hub: h, tx: tx, dev: dev, event: e, job: j}
	if err := op.run(ctx, j.code); err != nil {
		return err
	}
	return h.record(ctx, tx, j, e)
}

// record stores the event and makes the ack from it.
func (h *Hub) record(ctx context.Context, tx freezer.ScanTx, j *job, e *freezer.ScanEvent) error {
	if err := tx.InsertScanEvent(ctx, e); err != nil {
		return err
	}
	j.ack = ackOf(e)
	j.ack.ID = j.msg.ID // not the name given to a raw or bad scan
	return nil
}

func ackOf(e *freezer.ScanEvent) devices.Ack {
	return devices.Ack{ID: e.MsgID, Status: e.Status, Op: e.Op, Product: e.Product, Location: e.Location, Msg: e.Message}
}

// operation is the work of one scan on one device.
type operation struct {
	hub   *Hub
	tx    freezer.ScanTx
	dev   *freezer.Device
	event *freezer.ScanEvent
	job   *job
}

func (o *operation) result(status, op, msg string) error {
	o.event.Status, o.event.Op, o.event.Message = status, op, msg
	return nil
}

// run performs what code means in the event's mode.
func (o *operation) run(ctx context.Context, code freezer.Code) error {
	switch code.Kind {
	case freezer.CodeCommand:
		return o.command(ctx, code.Command)
	case freezer.CodeProduct:
		p, err := o.product(ctx, code.ProductID)
		if p == nil || err != nil {
			return err
		}
		switch o.event.Mode {
		case freezer.ModeIn:
			return o.putBack(ctx, p)
		case freezer.ModeMove:
			o.describe(p)
			// The device keeps its mode: a scan's own mode applies to that scan only.
			if err := o.tx.SetDeviceScanState(ctx, o.dev.ID, o.dev.Mode, p.ID); err != nil {
				return err
			}
			return o.result(freezer.ScanOK, freezer.OpMove, "now scan the box to put it in")
		}
		return o.takeOut(ctx, p)
	case freezer.CodeBox:
		return o.moveToBox(ctx, code.FreezerID, code.Box)
	case freezer.CodeBarcode:
		if o.event.Mode != freezer.ModeOut && o.event.Mode != freezer.ModeDiscard {
			return o.result(freezer.ScanError, "", "a retail barcode only takes products out")
		}
		var bound int64
		if o.dev.FreezerID != nil {
			bound = *o.dev.FreezerID
		}
		p, err := o.tx.FindOldestInsideByBarcode(ctx, o.dev.HouseholdID, code.Barcode, bound)
		if err != nil {
			return err
		}
		if p == nil {
			return o.result(freezer.ScanUnknown, freezer.OpOut, "no product with this barcode inside")
		}
		return o.takeOut(ctx, p)
	}
	return o.result(freezer.ScanUnknown, "", "unknown code")
}

// product loads the product a label names for the device's household: its
// own product with that id, else the one an alias names (an imported
// product whose id was taken here); for any other it records the outcome
// and returns nil.
func (o *operation) product(ctx context.Context, id int64) (*freezer.Product, error) {
	p, err := o.tx.FindProduct(ctx, id)
	if err != nil && freezer.ErrorCode(err) != freezer.ENOTFOUND {
		return nil, err
	}
	if p == nil || p.HouseholdID != o.dev.HouseholdID {
		if aliased, err := o.aliased(ctx, id); aliased != nil || err != nil {
			return aliased, err
		}
	}
	if p == nil {
		if blank, err := o.blankLabel(ctx, id); blank || err != nil {
			return nil, err
		}
		return nil, o.result(freezer.ScanUnknown, "", "no such product")
	}
	if p.HouseholdID != o.dev.HouseholdID {
		return nil, o.result(freezer.ScanDenied, "", "not a product of this household")
	}
	return p, nil
}

// aliased returns the product a label id of the device's household names
// through an alias, or nil.
func (o *operation) aliased(ctx context.Context, id int64) (*freezer.Product, error) {
	return o.tx.FindAliasedProduct(ctx, o.dev.HouseholdID, id)
}

// blankLabel records the outcome when id is a blank label of the device's
// household that no product claimed yet (see labels.BlankLabel).
func (o *operation) blankLabel(ctx context.Context, id int64) (bool, error) {
	r, err := o.tx.FindLabelReservation(ctx, id)
	if err != nil || r == nil || r.HouseholdID != o.dev.HouseholdID || r.ClaimedAt != nil {
		return false, err
	}
	return true, o.result(freezer.ScanUnknown, "", "blank label not used yet")
}

// describe names the product and its place in the event.
func (o *operation) describe(p *freezer.Product) {
	o.event.ProductID = &p.ID
	o.event.Product = truncate(p.Name, freezer.MaxNameLength)
	o.event.Location = freezer.PlaceOf(p).Location()
}

// outcome records what a product operation of the store answered. A
// refusal by a rule of the product's life is the scan's outcome, not a
// failure of the batch.
func (o *operation) outcome(p *freezer.Product, err error, op, done string) error {
	if p != nil {
		o.describe(p)
	}
	switch reason := freezer.ErrorReason(err); {
	case err == nil:
		return o.result(freezer.ScanOK, op, done)
	case reason == freezer.ReasonAlreadyOut:
		return o.result(freezer.ScanAlready, op, "already taken out on "+p.DateOut.String())
	case reason == freezer.ReasonAlreadyInside:
		return o.result(freezer.ScanAlready, op, "already inside")
	case reason == freezer.ReasonBoxUnavailable && op == freezer.OpUndo:
		return o.result(freezer.ScanError, op, "its box is no longer in use")
	case reason == freezer.ReasonBoxUnavailable:
		return o.result(freezer.ScanError, op, "its box is no longer in use: move it with a box label")
	case reason == freezer.ReasonSlotTaken:
		return o.result(freezer.ScanError, op, "its slot is taken now")
	case freezer.ErrorCode(err) == freezer.ENOTFOUND:
		return o.result(freezer.ScanUnknown, op, "no such product")
	}
	return err
}

// takeOut takes a product out, as thrown away in discard mode.
func (o *operation) takeOut(ctx context.Context, p *freezer.Product) error {
	outcome, done := freezer.OutcomeEaten, "taken out"
	if o.event.Mode == freezer.ModeDiscard {
		outcome, done = freezer.OutcomeDiscarded, "thrown away"
	}
	undo := freezer.PlaceOf(p)
	p, err := o.tx.TakeOut(ctx, p.ID, outcome)
	if err == nil {
		o.event.Undo = &undo
	}
	return o.outcome(p, err, freezer.OpOut, done)
}

// putBack returns a product to its slot, or to the next free slot of its
// box when its slot was taken meanwhile.
func (o *operation) putBack(ctx context.Context, p *freezer.Product) error {
	undo := freezer.PlaceOf(p)
	p, err := o.tx.PutBack(ctx, p.ID)
	if err == nil {
		o.event.Undo = &undo
	}
	return o.outcome(p, err, freezer.OpIn, "put back")
}

func (o *operation) moveToBox(ctx context.Context, freezerID int64, box int) error {
	f, err := o.tx.FindFreezer(ctx, freezerID)
	if freezer.ErrorCode(err) == freezer.ENOTFOUND {
		return o.result(freezer.ScanUnknown, freezer.OpMove, "no such freezer")
	} else if err != nil {
		return err
	}
	if f.HouseholdID != o.dev.HouseholdID {
		return o.result(freezer.ScanDenied, freezer.OpMove, "not a freezer of this household")
	}
	if freezer.CheckBox(f, box) != nil {
		return o.result(freezer.ScanUnknown, freezer.OpMove, "no such box")
	}
	if o.event.Mode != freezer.ModeMove || o.dev.MovingProductID == 0 {
		return o.result(freezer.ScanError, freezer.OpMove, "in move mode, scan a product first")
	}
	p, err := o.product(ctx, o.dev.MovingProductID)
	if p == nil || err != nil {
		return err
	}
	undo := freezer.PlaceOf(p)
	p, err = o.tx.Move(ctx, p.ID, freezer.Destination{FreezerID: f.ID, Box: box})
	if err != nil {
		return o.outcome(p, err, freezer.OpMove, "")
	}
	if err := o.tx.SetDeviceScanState(ctx, o.dev.ID, o.dev.Mode, 0); err != nil {
		return err
	}
	o.event.Undo = &undo
	return o.outcome(p, nil, freezer.OpMove, "moved")
}

func (o *operation) command(ctx context.Context, command string) error {
	if command == freezer.CommandUndo {
		return o.undo(ctx)
	}
	mode := map[string]string{freezer.CommandIn: freezer.ModeIn, freezer.CommandOut: freezer.ModeOut, freezer.CommandMove: freezer.ModeMove,
		freezer.CommandWaste: freezer.ModeDiscard}[command]
	if err := o.tx.SetDeviceScanState(ctx, o.dev.ID, mode, 0); err != nil {
		return err
	}
	o.event.Mode, o.job.setMode = mode, mode
	return o.result(freezer.ScanOK, freezer.OpMode, "mode "+mode)
}

// undo reverts the device's last operation within the undo window.
func (o *operation) undo(ctx context.Context) error {
	last, err := o.tx.FindLastUndoable(ctx, o.dev.ID, o.job.received.Add(-o.hub.config.UndoWindow))
	if err != nil {
		return err
	}
	if last == nil || last.ProductID == nil || last.Undo == nil {
		return o.result(freezer.ScanError, freezer.OpUndo, "nothing to undo")
	}
	p, err := o.product(ctx, *last.ProductID)
	if p == nil || err != nil {
		return err
	}
	p, err = o.tx.Restore(ctx, p.ID, *last.Undo)
	if err != nil {
		return o.outcome(p, err, freezer.OpUndo, "")
	}
	if err := o.tx.MarkUndone(ctx, last.ID); err != nil {
		return err
	}
	return o.outcome(p, nil, freezer.OpUndo, "undid "+last.Op)
}

// truncate shortens s to at most n characters, keeping UTF-8 valid.
func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n])
}

package changes

import (
	"context"
	"testing"

	freezer "github.com/freezer-manager/freezer"
)

// modeRecorder records what the watched services report.
type modeRecorder struct {
	changed []int64
	modes   []string
}

func (r *modeRecorder) Changed(h int64) { r.changed = append(r.changed, h) }
func (r *modeRecorder) ModeChanged(deviceID, mode string) {
	r.modes = append(r.modes, deviceID+"="+mode)
}
func (r *modeRecorder) reset() { r.changed, r.modes = nil, nil }

// fakeDevices answers UpdateDevice with the update applied to device d1 of household 7.
type fakeDevices struct{ freezer.DeviceService }

func (fakeDevices) UpdateDevice(_ context.Context, id string, upd freezer.DeviceUpdate) (*freezer.Device, error) {
	d := &freezer.Device{ID: id, HouseholdID: 7, Mode: freezer.ModeOut, Name: "door"}
	if upd.Mode != nil {
		d.Mode = *upd.Mode
	}
	return d, nil
}

// TestWatchDevicesMode: a mode set through the services reaches the
// scanner's set/mode topic; a rename does not send a mode.
func TestWatchDevicesMode(t *testing.T) {
	var r modeRecorder
	s := WatchDevices(fakeDevices{}, &r, &r)
	in := freezer.ModeIn
	if _, err := s.UpdateDevice(context.Background(), "d1", freezer.DeviceUpdate{Mode: &in}); err != nil {
		t.Fatal(err)
	}
	if len(r.modes) != 1 || r.modes[0] != "d1=in" || len(r.changed) != 1 || r.changed[0] != 7 {
		t.Fatalf("modes %v, changed %v; want d1=in and household 7", r.modes, r.changed)
	}
	r.reset()
	name := "garage"
	if _, err := s.UpdateDevice(context.Background(), "d1", freezer.DeviceUpdate{Name: &name}); err != nil {
		t.Fatal(err)
	}
	if len(r.modes) != 0 {
		t.Errorf("a rename sent a mode: %v", r.modes)
	}
}

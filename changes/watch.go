// Package changes wraps the services the HTTP layer uses so that each
// successful change tells a Watcher which household it touched, and a
// ModeWatcher which scanner's mode was set: what is published over MQTT
// follows changes made through the API at once, while the API knows
// nothing of MQTT. It imports the root package only.
package changes

import (
	"context"

	freezer "github.com/freezer-manager/freezer"
)

// Watcher is told which household changed through the services, so that
// what is published for it follows at once (the Home Assistant publisher).
type Watcher interface {
	Changed(householdID int64)
}

// ModeWatcher is told when a scanner's mode is set through the services, so
// that the scanner hears it on its set/mode topic as it does after a
// command card (the hub).
type ModeWatcher interface {
	ModeChanged(deviceID, mode string)
}

// The Watch functions wrap a service so that each successful change tells w
// which household it touched.

// WatchFreezers reports freezers created, renamed, resized, archived or deleted.
func WatchFreezers(s freezer.FreezerService, w Watcher) freezer.FreezerService {
	return watchedFreezers{s, w}
}

type watchedFreezers struct {
	freezer.FreezerService
	w Watcher
}

func (s watchedFreezers) CreateFreezer(ctx context.Context, f *freezer.Freezer) error {
	err := s.FreezerService.CreateFreezer(ctx, f)
	if err == nil {
		s.w.Changed(f.HouseholdID)
	}
	return err
}

func (s watchedFreezers) UpdateFreezer(ctx context.Context, id int64, upd freezer.FreezerUpdate) (*freezer.Freezer, error) {
	f, err := s.FreezerService.UpdateFreezer(ctx, id, upd)
	if err == nil {
		s.w.Changed(f.HouseholdID)
	}
	return f, err
}

func (s watchedFreezers) ArchiveFreezer(ctx context.Context, id int64) (*freezer.Freezer, error) {
	f, err := s.FreezerService.ArchiveFreezer(ctx, id)
	if err == nil {
		s.w.Changed(f.HouseholdID)
	}
	return f, err
}

func (s watchedFreezers) DeleteFreezer(ctx context.Context, id int64) error {
	f, err := s.FreezerService.FindFreezerByID(ctx, id)
	if err != nil {
		return s.FreezerService.DeleteFreezer(ctx, id) // its own error
	}
	if err := s.FreezerService.DeleteFreezer(ctx, id); err != nil {
		return err
	}
	s.w.Changed(f.HouseholdID)
	return nil
}

// WatchDevices reports devices registered, changed or revoked to w, and a
// scanner's mode set to modes (nil: to none).
func WatchDevices(s freezer.DeviceService, w Watcher, modes ModeWatcher) freezer.DeviceService {
	return watchedDevices{s, w, modes}
}

type watchedDevices struct {
	freezer.DeviceService
	w     Watcher
	modes ModeWatcher
}

func (s watchedDevices) CreateDevice(ctx context.Context, d *freezer.Device) (string, error) {
	password, err := s.DeviceService.CreateDevice(ctx, d)
	if err == nil {
		s.w.Changed(d.HouseholdID)
	}
	return password, err
}

func (s watchedDevices) UpdateDevice(ctx context.Context, id string, upd freezer.DeviceUpdate) (*freezer.Device, error) {
	d, err := s.DeviceService.UpdateDevice(ctx, id, upd)
	if err == nil {
		s.w.Changed(d.HouseholdID)
		if s.modes != nil && upd.Mode != nil {
			s.modes.ModeChanged(d.ID, d.Mode)
		}
	}
	return d, err
}

func (s watchedDevices) DeleteDevice(ctx context.Context, id string) error {
	d, err := s.DeviceService.FindDeviceByID(ctx, id)
	if err != nil {
		return s.DeviceService.DeleteDevice(ctx, id)
	}
	if err := s.DeviceService.DeleteDevice(ctx, id); err != nil {
		return err
	}
	s.w.Changed(d.HouseholdID)
	return nil
}

// WatchProducts reports products created, changed or deleted.
func WatchProducts(s freezer.ProductService, w Watcher) freezer.ProductService {
	return watchedProducts{s, w}
}

type watchedProducts struct {
	freezer.ProductService
	w Watcher
}

func (s watchedProducts) CreateProduct(ctx context.Context, p *freezer.Product) error {
	err := s.ProductService.CreateProduct(ctx, p)
	if err == nil {
		s.w.Changed(p.HouseholdID)
	}
	return err
}

func (s watchedProducts) UpdateProduct(ctx context.Context, id int64, upd freezer.ProductUpdate) (*freezer.Product, error) {
	return s.changed(ctx, id, func() (*freezer.Product, error) { return s.ProductService.UpdateProduct(ctx, id, upd) })
}

func (s watchedProducts) TakeOutProduct(ctx context.Context, id int64, req freezer.TakeOutRequest) (*freezer.Product, error) {
	return s.changed(ctx, id, func() (*freezer.Product, error) { return s.ProductService.TakeOutProduct(ctx, id, req) })
}

func (s watchedProducts) PutBackProduct(ctx context.Context, id int64, req freezer.PutBackRequest) (*freezer.Product, error) {
	return s.changed(ctx, id, func() (*freezer.Product, error) { return s.ProductService.PutBackProduct(ctx, id, req) })
}

func (s watchedProducts) MoveProduct(ctx context.Context, id int64, req freezer.MoveRequest) (*freezer.Product, error) {
	return s.changed(ctx, id, func() (*freezer.Product, error) { return s.ProductService.MoveProduct(ctx, id, req) })
}

// changed runs a change of product id and reports its household, and the
// one it left if it moved to another.
func (s watchedProducts) changed(ctx context.Context, id int64, change func() (*freezer.Product, error)) (*freezer.Product, error) {
	before, _ := s.ProductService.FindProductByID(ctx, id)
	p, err := change()
	if err == nil {
		s.w.Changed(p.HouseholdID)
		if before != nil && before.HouseholdID != p.HouseholdID {
			s.w.Changed(before.HouseholdID)
		}
	}
	return p, err
}

func (s watchedProducts) DeleteProduct(ctx context.Context, id int64) error {
	p, err := s.ProductService.FindProductByID(ctx, id)
	if err != nil {
		return s.ProductService.DeleteProduct(ctx, id)
	}
	if err := s.ProductService.DeleteProduct(ctx, id); err != nil {
		return err
	}
	s.w.Changed(p.HouseholdID)
	return nil
}

// WatchHouseholds reports households renamed or given another due-soon window.
func WatchHouseholds(s freezer.HouseholdService, w Watcher) freezer.HouseholdService {
	return watchedHouseholds{s, w}
}

type watchedHouseholds struct {
	freezer.HouseholdService
	w Watcher
}

func (s watchedHouseholds) UpdateHousehold(ctx context.Context, id int64, upd freezer.HouseholdUpdate) (*freezer.Household, error) {
	h, err := s.HouseholdService.UpdateHousehold(ctx, id, upd)
	if err == nil {
		s.w.Changed(h.ID)
	}
	return h, err
}

// WatchAlertSettings reports alert settings changed: discovery on or off, another prefix.
func WatchAlertSettings(s freezer.AlertSettingsService, w Watcher) freezer.AlertSettingsService {
	return watchedAlertSettings{s, w}
}

type watchedAlertSettings struct {
	freezer.AlertSettingsService
	w Watcher
}

func (s watchedAlertSettings) UpdateAlertSettings(ctx context.Context, id int64, upd freezer.AlertSettingsUpdate) (*freezer.AlertSettings, error) {
	settings, err := s.AlertSettingsService.UpdateAlertSettings(ctx, id, upd)
	if err == nil {
		s.w.Changed(id)
	}
	return settings, err
}

package homeassistant

import (
	"context"
	"fmt"
	"testing"
	"time"

	freezer "github.com/freezer-manager/freezer"
	"github.com/freezer-manager/freezer/devices"
	"github.com/freezer-manager/freezer/internal/testdb"
)

// nopBus takes every message and drops it.
type nopBus struct{}

func (nopBus) Subscribe(string, func(devices.Message)) error { return nil }
func (nopBus) Unsubscribe(string) error                      { return nil }
func (nopBus) Publish(string, []byte, bool) error            { return nil }

// BenchmarkPublisherAfterScan measures the publisher's work after a batch
// of scans that changed products, in a household with 2000 products inside:
// its scan event and the freezer states.
func BenchmarkPublisherAfterScan(b *testing.B) {
	for _, dialect := range []struct {
		name string
		dsn  func(testing.TB) string
	}{{"sqlite", testdb.SQLiteDSN}, {"mysql", testdb.MySQLDSN}} {
		b.Run(dialect.name, func(b *testing.B) {
			store := testdb.MustOpen(b, dialect.dsn(b))
			ctx := freezer.SystemContext(context.Background())
			reg, err := store.RegisterUser(ctx, freezer.Registration{Email: "bench@example.com", Password: "password1"})
			if err != nil {
				b.Fatal(err)
			}
			f := &freezer.Freezer{HouseholdID: reg.Household.ID, Name: "chest", NumberBoxes: 20}
			if err := store.CreateFreezer(ctx, f); err != nil {
				b.Fatal(err)
			}
			for i := range 2000 {
				p := &freezer.Product{FreezerID: f.ID, Box: i%20 + 1, Name: fmt.Sprint("p", i), TypeID: 1,
					DateIn: freezer.MustParseDate("2026-01-01").AddDays(i % 60), PeriodMonths: 3 + i%4}
				if err := store.CreateProduct(ctx, p); err != nil {
					b.Fatal(err)
				}
			}
			dev := &freezer.Device{Kind: freezer.DeviceScanner, HouseholdID: reg.Household.ID, Name: "door"}
			if _, err := store.CreateDevice(ctx, dev); err != nil {
				b.Fatal(err)
			}
			pub := New(Config{Location: time.UTC, Now: func() time.Time { return testdb.Now }}, store, nopBus{}, nil)
			pub.Sync(context.Background())
			b.ReportAllocs()
			b.ResetTimer()
			for i := range b.N {
				pub.ScanAnswered(dev.ID, devices.Ack{ID: fmt.Sprint("s-", i), Status: freezer.ScanOK, Op: freezer.OpOut})
				pub.process(context.Background())
			}
		})
	}
}

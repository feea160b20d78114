package db_test

import (
	"testing"
	"time"

	"github.com/freezer-manager/freezer"
	"github.com/freezer-manager/freezer/db"
	"github.com/freezer-manager/freezer/internal/testdb"
)

// TestClaimTakenOverWithinAMinute: a claim that its process stops renewing
// (it died) is taken over a minute after its last renewal; one that is
// renewed is not.
func TestClaimTakenOverWithinAMinute(t *testing.T) {
	testdb.EachDB(t, func(t *testing.T, store *db.DB) {
		alice := MustRegister(t, store, "alice@example.com")
		f := MustCreateFreezer(t, store, alice, "Chest", 2)
		p := MustCreateProduct(t, regCtx(alice), store, newProduct(f, 1, 0))
		sys := systemCtx()
		a := &freezer.Alert{HouseholdID: p.HouseholdID, ProductID: p.ID, Stage: freezer.AlertOverdue, UseBy: p.UseBy()}
		if _, err := store.RecordAlert(sys, a, []string{freezer.ChannelWebhook}); err != nil {
			t.Fatal(err)
		}
		webhook := []string{freezer.ChannelWebhook}
		now := testdb.Now
		list, err := store.ClaimDeliveries(sys, webhook, now, 10)
		if err != nil || len(list) != 1 {
			t.Fatalf("claim: %v, %v; want one", list, err)
		}
		renewed := now.Add(50 * time.Second)
		if err := store.RenewClaims(sys, []int64{list[0].ID}, renewed); err != nil {
			t.Fatal(err)
		}
		if held, _ := store.ClaimDeliveries(sys, webhook, now.Add(70*time.Second), 10); len(held) != 0 {
			t.Errorf("a renewed claim was taken over: %v", held)
		}
		if took, _ := store.ClaimDeliveries(sys, webhook, renewed.Add(db.ClaimLease+time.Second), 10); len(took) != 1 {
			t.Errorf("a claim not renewed for a minute was not taken over: %v", took)
		}
		assertCode(t, store.RenewClaims(regCtx(alice), []int64{list[0].ID}, now), freezer.EFORBIDDEN)
	})
}

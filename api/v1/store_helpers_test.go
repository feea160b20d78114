package v1_test

import (
	"testing"

	freezer "github.com/freezer-manager/freezer"
	"github.com/freezer-manager/freezer/api/apitest"
)

// storeFreezer creates a freezer in u's household through the store.
func storeFreezer(tb testing.TB, e *apitest.Env, u *apitest.User, name string, boxes int) *freezer.Freezer {
	tb.Helper()
	f := &freezer.Freezer{HouseholdID: u.Household, Name: name, NumberBoxes: boxes}
	if err := e.Store.CreateFreezer(u.Ctx, f); err != nil {
		tb.Fatalf("create freezer %q: %v", name, err)
	}
	return f
}

// storeProduct stores p through the store as u (quantity and type 1 unless set).
func storeProduct(tb testing.TB, e *apitest.Env, u *apitest.User, p *freezer.Product) *freezer.Product {
	tb.Helper()
	if p.Quantity == 0 {
		p.Quantity = 1
	}
	if p.TypeID == 0 {
		p.TypeID = 1
	}
	if err := e.Store.CreateProduct(u.Ctx, p); err != nil {
		tb.Fatalf("create product %+v: %v", *p, err)
	}
	return p
}

// listPage is a v1 list answer.
type listPage[T any] struct {
	Items      []T     `json:"items"`
	NextCursor *string `json:"next_cursor"`
}

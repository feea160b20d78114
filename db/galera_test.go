package db_test

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/freezer-manager/freezer"
	"github.com/freezer-manager/freezer/db"
	"github.com/freezer-manager/freezer/internal/galeratest"
	"github.com/freezer-manager/freezer/internal/testdb"
)

// TestMain stops the Galera cluster that the Galera tests share.
func TestMain(m *testing.M) { galeratest.Main(m) }

// galeraStores opens the store on each node of the shared cluster, in one
// new database migrated through node 1. Reads wait until the node has
// applied what the cluster committed before them (wsrep_sync_wait=1), as
// docs/galera.md advises for replicas on different nodes.
func galeraStores(t *testing.T) [galeratest.Size]*db.DB {
	t.Helper()
	dsns := galeratest.Shared(t).Database(t, "wsrep_sync_wait=1")
	var stores [galeratest.Size]*db.DB
	for i, dsn := range dsns {
		stores[i] = testdb.MustOpen(t, dsn) // the migrations of the others find the schema done
	}
	return stores
}

// The storage's key cases on one node of a Galera cluster: a product's
// life and a batch of scans whose events get the ids they are stored under
// (each node numbers rows in steps of the cluster's size).
func TestGaleraStore(t *testing.T) {
	stores := galeraStores(t)
	store := stores[0]
	t.Run("Product life", func(t *testing.T) {
		alice := MustRegister(t, store, "alice@example.com")
		ctx := regCtx(alice)
		f := MustCreateFreezer(t, store, alice, "garage", 4)
		p := MustCreateProduct(t, ctx, store, newProduct(f, 1, 0))
		out := MustTakeOut(t, ctx, store, p.ID, today)
		if out.Inside() || out.Version != 2 {
			t.Fatalf("taken out: inside %v, version %d", out.Inside(), out.Version)
		}
		_, err := store.TakeOutProduct(ctx, p.ID, freezer.TakeOutRequest{})
		assertCode(t, err, freezer.ECONFLICT)
		back, err := store.PutBackProduct(ctx, p.ID, freezer.PutBackRequest{})
		if err != nil || !back.Inside() || back.Slot != p.Slot || back.Version != 3 {
			t.Fatalf("put back: %+v, %v", back, err)
		}
		// Node 3 reads what node 1 wrote.
		if got := MustFindProduct(t, ctx, stores[2], p.ID); got.Version != 3 {
			t.Fatalf("node 3 reads version %d, want 3", got.Version)
		}
	})
	t.Run("Scan event ids", func(t *testing.T) {
		dsn := galeratest.Shared(t).Database(t, "")[0]
		checkScanEventIDs(t, testdb.MustOpen(t, dsn), MustOpenRaw(t, dsn))
	})
}

// Two nodes taking out the same products at once: on each product exactly
// one wins, the other is told it is already out (the conflict certified
// between nodes is retried, never reported); products created and blank
// labels reserved through all three nodes at once are all created, with
// distinct ids.
func TestGaleraConcurrentWrites(t *testing.T) {
	stores := galeraStores(t)
	alice := MustRegister(t, stores[0], "alice@example.com")
	ctx := regCtx(alice)
	f := MustCreateFreezer(t, stores[0], alice, "garage", freezer.MaxBoxes)

	t.Run("Create through every node", func(t *testing.T) {
		const each = 30
		var wg sync.WaitGroup
		var mu sync.Mutex
		ids := map[int64]bool{}
		for n, store := range stores {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range each {
					p := &freezer.Product{FreezerID: f.ID, Box: 1 + i%3, // the same few boxes: the nodes choose slots at once
						Name: fmt.Sprintf("n%d-%d", n, i), TypeID: 1,
						DateIn: today, PeriodMonths: 6}
					if err := store.CreateProduct(ctx, p); err != nil {
						t.Errorf("node %d: create %s: %v", n+1, p.Name, err)
						continue
					}
					mu.Lock()
					if ids[p.ID] {
						t.Errorf("id %d given twice", p.ID)
					}
					ids[p.ID] = true
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		inside, err := stores[1].FindProducts(ctx, freezer.ProductFilter{FreezerID: &f.ID})
		if err != nil {
			t.Fatal(err)
		}
		if got, want := len(inside), len(stores)*each; got != want || len(ids) != want {
			t.Fatalf("%d products stored, %d created; want %d", got, len(ids), want)
		}
	})

	t.Run("Reserve labels through every node", func(t *testing.T) {
		const each = 10
		var wg sync.WaitGroup
		var mu sync.Mutex
		ids := map[int64]bool{}
		for n, store := range stores {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for range each {
					list, err := store.ReserveLabels(ctx, alice.Household.ID, 3)
					if err != nil {
						t.Errorf("node %d: reserve labels: %v", n+1, err)
						continue
					}
					mu.Lock()
					for _, r := range list {
						if ids[r.ID] {
							t.Errorf("id %d reserved twice", r.ID)
						}
						ids[r.ID] = true
					}
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		if got, want := len(ids), len(stores)*each*3; got != want {
			t.Fatalf("%d ids reserved, want %d", got, want)
		}
	})

	t.Run("Take out on two nodes", func(t *testing.T) {
		const products = 40
		ids := make([]int64, products)
		for i := range ids {
			ids[i] = MustCreateProduct(t, ctx, stores[0], newProduct(f, 1+i%f.NumberBoxes, 0)).ID
		}
		var wins [products]int
		var mu sync.Mutex
		var wg sync.WaitGroup
		for _, store := range stores[1:] {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i, id := range ids {
					_, err := store.TakeOutProduct(ctx, id, freezer.TakeOutRequest{})
					switch {
					case err == nil:
						mu.Lock()
						wins[i]++
						mu.Unlock()
					case freezer.ErrorReason(err) != freezer.ReasonAlreadyOut:
						t.Errorf("take out %d: %v", id, err)
					}
				}
			}()
		}
		wg.Wait()
		for i, id := range ids {
			if p := MustFindProduct(t, ctx, stores[0], id); wins[i] != 1 || p.Inside() || p.Version != 2 {
				t.Errorf("product %d: %d wins, inside %v, version %d; want 1 win, out, version 2", id, wins[i], p.Inside(), p.Version)
			}
		}
	})
}

// A background job's lock holds across the cluster: while a replica on
// node 1 holds it, a replica on node 2 cannot take it, and can once it is
// released (MySQL's GET_LOCK would hold on one node only).
func TestGaleraJobLockHoldsAcrossNodes(t *testing.T) {
	stores := galeraStores(t)
	ctx := systemCtx()
	unlock, err := stores[0].LockJob(ctx, "galera-test", 0)
	if err != nil {
		t.Fatalf("node 1 takes the lock: %v", err)
	}
	if unlock2, err := stores[1].LockJob(ctx, "galera-test", 0); err == nil {
		unlock2()
		t.Fatal("node 2 took the lock node 1 holds")
	} else {
		assertCode(t, err, freezer.ECONFLICT)
	}
	unlock()
	unlock2, err := stores[1].LockJob(ctx, "galera-test", 5*time.Second)
	if err != nil {
		t.Fatalf("node 2 takes the lock released: %v", err)
	}
	unlock2()
}

package db_test

import (
	"testing"

	"github.com/freezer-manager/freezer"
	"github.com/freezer-manager/freezer/db"
	"github.com/freezer-manager/freezer/internal/testdb"
)

func TestPrinter(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		testdb.EachDB(t, func(t *testing.T, store *db.DB) {
			alice := MustRegister(t, store, "alice@example.com")
			ctx := regCtx(alice)
			_, err := store.FindPrinter(ctx, alice.Household.ID)
			assertCode(t, err, freezer.ENOTFOUND)

			c := &freezer.PrinterConfig{HouseholdID: alice.Household.ID, Kind: freezer.PrinterWebhook, Target: "http://printer.lan:8013/api/print",
				Token: "s3cret", AutoPrint: true}
			if err := store.SetPrinter(ctx, c); err != nil {
				t.Fatal(err)
			}
			got, err := store.FindPrinter(ctx, alice.Household.ID)
			if err != nil {
				t.Fatal(err)
			}
			want := freezer.PrinterConfig{HouseholdID: alice.Household.ID, Kind: freezer.PrinterWebhook, Target: "http://printer.lan:8013/api/print",
				Token: "s3cret", HasToken: true, Size: freezer.LabelSize62mm, DPI: 203, Language: "en", AutoPrint: true, UpdatedAt: testdb.Now}
			got.UpdatedAt = got.UpdatedAt.UTC()
			if *got != want {
				t.Errorf("printer = %+v\nwant      %+v", *got, want)
			}

			// Replaced as a whole.
			c = &freezer.PrinterConfig{HouseholdID: alice.Household.ID, Kind: freezer.PrinterTCP, Target: "zebra.lan", Size: freezer.LabelSize50x25, DPI: 300, Language: "fr"}
			if err := store.SetPrinter(ctx, c); err != nil {
				t.Fatal(err)
			}
			got, err = store.FindPrinter(ctx, alice.Household.ID)
			if err != nil || got.Target != "zebra.lan:9100" || got.Token != "" || got.HasToken || got.AutoPrint || got.DPI != 300 || got.Language != "fr" {
				t.Errorf("replaced printer = %+v, %v", got, err)
			}
			if err := store.DeletePrinter(ctx, alice.Household.ID); err != nil {
				t.Fatal(err)
			}
			_, err = store.FindPrinter(ctx, alice.Household.ID)
			assertCode(t, err, freezer.ENOTFOUND)
			assertCode(t, store.DeletePrinter(ctx, alice.Household.ID), freezer.ENOTFOUND)
		})
	})

	t.Run("ErrInvalid", func(t *testing.T) {
		testdb.EachDB(t, func(t *testing.T, store *db.DB) {
			alice := MustRegister(t, store, "alice@example.com")
			h := alice.Household.ID
			for _, c := range []freezer.PrinterConfig{
				{Kind: "fax", Target: "x"},
				{Kind: ""},
				{Kind: freezer.PrinterDirectory, Target: ""},
				{Kind: freezer.PrinterDirectory, Target: "../etc"},
				{Kind: freezer.PrinterDirectory, Target: "/var/spool"},
				{Kind: freezer.PrinterDirectory, Target: "a/../../b"},
				{Kind: freezer.PrinterDirectory, Target: ".hidden"},
				{Kind: freezer.PrinterCUPS, Target: "-o"},
				{Kind: freezer.PrinterCUPS, Target: "queue name"},
				{Kind: freezer.PrinterCUPS, Target: "q;rm"},
				{Kind: freezer.PrinterTCP, Target: "host:0"},
				{Kind: freezer.PrinterTCP, Target: "host:99999"},
				{Kind: freezer.PrinterTCP, Target: ":9100"},
				{Kind: freezer.PrinterWebhook, Target: "ftp://host/print"},
				{Kind: freezer.PrinterWebhook, Target: "http://user:pw@host/print"},
				{Kind: freezer.PrinterWebhook, Target: "printer.lan"},
				{Kind: freezer.PrinterWebhook, Target: "http://h/p", Token: "two words"},
				{Kind: freezer.PrinterCUPS, Target: "ql", Token: "t"},
				{Kind: freezer.PrinterCUPS, Target: "ql", Size: "A4"},
				{Kind: freezer.PrinterTCP, Target: "zebra", DPI: 150},
				{Kind: freezer.PrinterCUPS, Target: "ql", Language: "de"},
			} {
				c.HouseholdID = h
				assertCode(t, store.SetPrinter(regCtx(alice), &c), freezer.EINVALID)
			}
		})
	})

	t.Run("ErrNotFoundOtherHousehold", func(t *testing.T) {
		testdb.EachDB(t, func(t *testing.T, store *db.DB) {
			alice := MustRegister(t, store, "alice@example.com")
			bob := MustRegister(t, store, "bob@example.com")
			c := &freezer.PrinterConfig{HouseholdID: alice.Household.ID, Kind: freezer.PrinterCUPS, Target: "ql"}
			if err := store.SetPrinter(regCtx(alice), c); err != nil {
				t.Fatal(err)
			}
			_, err := store.FindPrinter(regCtx(bob), alice.Household.ID)
			assertCode(t, err, freezer.ENOTFOUND)
			c.HouseholdID = alice.Household.ID
			assertCode(t, store.SetPrinter(regCtx(bob), c), freezer.ENOTFOUND)
			assertCode(t, store.DeletePrinter(regCtx(bob), alice.Household.ID), freezer.ENOTFOUND)
		})
	})
}

func TestPrintJobs(t *testing.T) {
	testdb.EachDB(t, func(t *testing.T, store *db.DB) {
		alice := MustRegister(t, store, "alice@example.com")
		bob := MustRegister(t, store, "bob@example.com")
		ctx := regCtx(alice)
		f := MustCreateFreezer(t, store, alice, "Kitchen", 2)
		p := MustCreateProduct(t, ctx, store, newProduct(f, 1, 0))
		var jobs []*freezer.PrintJob
		for range 3 {
			j := &freezer.PrintJob{HouseholdID: alice.Household.ID, ProductID: &p.ID, Code: "FZ-I-1", Printer: freezer.PrinterTCP, Size: "62mm"}
			if err := store.CreatePrintJob(ctx, j); err != nil {
				t.Fatal(err)
			}
			if j.ID == 0 || j.Status != freezer.PrintPending || j.Attempts != 0 {
				t.Fatalf("created job = %+v", j)
			}
			jobs = append(jobs, j)
		}
		j := *jobs[1]
		j.Status, j.Error, j.Printer = freezer.PrintFailed, "connect to printer: connection refused", freezer.PrinterCUPS
		if err := store.FinishPrintJob(ctx, &j); err != nil {
			t.Fatal(err)
		}
		if j.Attempts != 1 || j.Status != freezer.PrintFailed || j.Printer != freezer.PrinterCUPS {
			t.Errorf("finished job = %+v", j)
		}
		got, err := store.FindPrintJobByID(ctx, j.ID)
		if err != nil || got.Status != freezer.PrintFailed || got.Error != j.Error || got.Attempts != 1 || *got.ProductID != p.ID {
			t.Errorf("stored job = %+v, %v", got, err)
		}

		list, err := store.FindPrintJobs(ctx, freezer.PrintJobFilter{})
		if err != nil || len(list) != 3 || list[0].ID != jobs[2].ID || list[2].ID != jobs[0].ID {
			t.Errorf("jobs = %v, %v; want newest first", list, err)
		}
		failed := freezer.PrintFailed
		if list, _ := store.FindPrintJobs(ctx, freezer.PrintJobFilter{Status: &failed}); len(list) != 1 || list[0].ID != j.ID {
			t.Errorf("failed jobs = %v", list)
		}
		if list, _ := store.FindPrintJobs(ctx, freezer.PrintJobFilter{BeforeID: jobs[2].ID, Limit: 1}); len(list) != 1 || list[0].ID != jobs[1].ID {
			t.Errorf("page after the newest = %v", list)
		}

		// Other households see nothing.
		if list, _ := store.FindPrintJobs(regCtx(bob), freezer.PrintJobFilter{}); len(list) != 0 {
			t.Errorf("bob sees %d jobs", len(list))
		}
		_, err = store.FindPrintJobByID(regCtx(bob), j.ID)
		assertCode(t, err, freezer.ENOTFOUND)
		assertCode(t, store.FinishPrintJob(regCtx(bob), &freezer.PrintJob{ID: j.ID, Status: freezer.PrintDone}), freezer.ENOTFOUND)
		assertCode(t, store.CreatePrintJob(regCtx(bob), &freezer.PrintJob{HouseholdID: alice.Household.ID, Code: "x", Printer: "tcp"}), freezer.ENOTFOUND)

		// A deleted product leaves its jobs, without the product.
		if err := store.DeleteProduct(ctx, p.ID); err != nil {
			t.Fatal(err)
		}
		got, err = store.FindPrintJobByID(ctx, j.ID)
		if err != nil || got.ProductID != nil {
			t.Errorf("job of a deleted product = %+v, %v", got, err)
		}
	})
}

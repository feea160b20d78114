package db_test

import (
	"context"
	"testing"

	"github.com/freezer-manager/freezer"
	"github.com/freezer-manager/freezer/db"
	"github.com/freezer-manager/freezer/internal/testdb"
)

func TestFindHouseholds(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		testdb.EachDB(t, func(t *testing.T, store *db.DB) {
			alice := MustRegister(t, store, "alice@example.com")
			MustRegister(t, store, "bob@example.com")
			list, err := store.FindHouseholds(regCtx(alice))
			if err != nil {
				t.Fatal(err)
			}
			if got, want := len(list), 1; got != want {
				t.Fatalf("households = %d, want %d", got, want)
			}
			if got, want := list[0].ID, alice.Household.ID; got != want {
				t.Errorf("household = %d, want %d", got, want)
			}
			h, err := store.FindHouseholdByID(regCtx(alice), alice.Household.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got, want := h.Name, "Home"; got != want {
				t.Errorf("name = %q, want %q", got, want)
			}
			// The system sees both.
			all, err := store.FindHouseholds(systemCtx())
			if err != nil {
				t.Fatal(err)
			}
			if got, want := len(all), 2; got != want {
				t.Errorf("households seen by the system = %d, want %d", got, want)
			}
		})
	})

	t.Run("ErrNotFoundOtherHousehold", func(t *testing.T) {
		testdb.EachDB(t, func(t *testing.T, store *db.DB) {
			alice := MustRegister(t, store, "alice@example.com")
			bob := MustRegister(t, store, "bob@example.com")
			_, err := store.FindHouseholdByID(regCtx(alice), bob.Household.ID)
			assertCode(t, err, freezer.ENOTFOUND)
			_, err = store.FindHouseholdByID(regCtx(alice), bob.Household.ID+1000)
			assertCode(t, err, freezer.ENOTFOUND)
			_, err = store.FindMembers(regCtx(alice), bob.Household.ID)
			assertCode(t, err, freezer.ENOTFOUND)
			_, err = store.UpdateHousehold(regCtx(alice), bob.Household.ID, freezer.HouseholdUpdate{Name: ptr("Mine now")})
			assertCode(t, err, freezer.ENOTFOUND)
			_, err = store.InviteMember(regCtx(alice), bob.Household.ID, "alice@example.com")
			assertCode(t, err, freezer.ENOTFOUND)
			assertCode(t, store.RemoveMember(regCtx(alice), bob.Household.ID, bob.User.ID), freezer.ENOTFOUND)

			h, err := store.FindHouseholdByID(regCtx(bob), bob.Household.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got, want := h.Name, "Home"; got != want {
				t.Errorf("bob's household name = %q, want %q", got, want)
			}
		})
	})

	t.Run("ErrUnauthorized", func(t *testing.T) {
		testdb.EachDB(t, func(t *testing.T, store *db.DB) {
			alice := MustRegister(t, store, "alice@example.com")
			_, err := store.FindHouseholds(context.Background())
			assertCode(t, err, freezer.EUNAUTHORIZED)
			_, err = store.FindHouseholdByID(context.Background(), alice.Household.ID)
			assertCode(t, err, freezer.EUNAUTHORIZED)
		})
	})
}

func TestCreateHousehold(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		testdb.EachDB(t, func(t *testing.T, store *db.DB) {
			alice := MustRegister(t, store, "alice@example.com")
			h := &freezer.Household{Name: "Holiday cottage"}
			if err := store.CreateHousehold(regCtx(alice), h); err != nil {
				t.Fatal(err)
			}
			if got, want := h.DueSoonDays, freezer.DefaultDueSoonDays; got != want {
				t.Errorf("due_soon_days = %d, want %d", got, want)
			}
			list, err := store.FindHouseholds(regCtx(alice))
			if err != nil {
				t.Fatal(err)
			}
			if got, want := len(list), 2; got != want {
				t.Fatalf("households = %d, want %d", got, want)
			}
			if got, want := list[1].Name, "Holiday cottage"; got != want {
				t.Errorf("second household = %q, want %q", got, want)
			}
		})
	})

	t.Run("ErrInvalid", func(t *testing.T) {
		testdb.EachDB(t, func(t *testing.T, store *db.DB) {
			alice := MustRegister(t, store, "alice@example.com")
			assertCode(t, store.CreateHousehold(regCtx(alice), &freezer.Household{Name: ""}), freezer.EINVALID)
			assertCode(t, store.CreateHousehold(regCtx(alice), &freezer.Household{Name: "x", DueSoonDays: -1}), freezer.EINVALID)
			assertCode(t, store.CreateHousehold(context.Background(), &freezer.Household{Name: "x"}), freezer.EUNAUTHORIZED)
		})
	})
}

func TestUpdateHousehold(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		testdb.EachDB(t, func(t *testing.T, store *db.DB) {
			alice := MustRegister(t, store, "alice@example.com")
			h, err := store.UpdateHousehold(regCtx(alice), alice.Household.ID, freezer.HouseholdUpdate{Name: ptr("Smiths"), DueSoonDays: ptr(30)})
			if err != nil {
				t.Fatal(err)
			}
			if got, want := h.Name, "Smiths"; got != want {
				t.Errorf("name = %q, want %q", got, want)
			}
			h, err = store.FindHouseholdByID(regCtx(alice), alice.Household.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got, want := h.Name, "Smiths"; got != want {
				t.Errorf("stored name = %q, want %q", got, want)
			}
			if got, want := h.DueSoonDays, 30; got != want {
				t.Errorf("stored due_soon_days = %d, want %d", got, want)
			}
			// Zero days is a valid window; only the name stays.
			h, err = store.UpdateHousehold(regCtx(alice), alice.Household.ID, freezer.HouseholdUpdate{DueSoonDays: ptr(0)})
			if err != nil {
				t.Fatal(err)
			}
			if got, want := h.DueSoonDays, 0; got != want {
				t.Errorf("due_soon_days = %d, want %d", got, want)
			}
			if got, want := h.Name, "Smiths"; got != want {
				t.Errorf("name = %q, want %q", got, want)
			}
		})
	})

	t.Run("ErrInvalid", func(t *testing.T) {
		testdb.EachDB(t, func(t *testing.T, store *db.DB) {
			alice := MustRegister(t, store, "alice@example.com")
			_, err := store.UpdateHousehold(regCtx(alice), alice.Household.ID, freezer.HouseholdUpdate{DueSoonDays: ptr(-1)})
			assertCode(t, err, freezer.EINVALID)
			_, err = store.UpdateHousehold(regCtx(alice), alice.Household.ID, freezer.HouseholdUpdate{Name: ptr(" ")})
			assertCode(t, err, freezer.EINVALID)
			h, err := store.FindHouseholdByID(regCtx(alice), alice.Household.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got, want := h.Name, "Home"; got != want {
				t.Errorf("name = %q, want %q", got, want)
			}
			if got, want := h.DueSoonDays, freezer.DefaultDueSoonDays; got != want {
				t.Errorf("due_soon_days = %d, want %d", got, want)
			}
		})
	})
}

func TestAddMember(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		testdb.EachDB(t, func(t *testing.T, store *db.DB) {
			alice := MustRegister(t, store, "alice@example.com")
			bob := MustRegister(t, store, "bob@example.com")
			f := MustCreateFreezer(t, store, alice, "Garage", 4)
			p := MustCreateProduct(t, regCtx(alice), store, newProduct(f, 1, 0))

			inv, err := store.InviteMember(regCtx(alice), alice.Household.ID, "  BOB@example.com")
			if err != nil {
				t.Fatal(err)
			}
			m, err := store.AcceptInvitation(regCtx(bob), inv.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got, want := m.UserID, bob.User.ID; got != want {
				t.Errorf("member = %d, want %d", got, want)
			}
			if got, want := m.Role, freezer.RoleMember; got != want {
				t.Errorf("role = %q, want %q", got, want)
			}

			// Bob now sees the household, its freezers and its products.
			households, err := store.FindHouseholds(regCtx(bob))
			if err != nil {
				t.Fatal(err)
			}
			if got, want := len(households), 2; got != want {
				t.Fatalf("bob's households = %d, want %d", got, want)
			}
			if got, want := households[0].ID, alice.Household.ID; got != want {
				t.Errorf("bob's first household = %d, want %d", got, want)
			}
			freezers, err := store.FindFreezers(regCtx(bob), freezer.FreezerFilter{})
			if err != nil {
				t.Fatal(err)
			}
			if got, want := len(freezers), 1; got != want {
				t.Fatalf("bob's freezers = %d, want %d", got, want)
			}
			if got, want := freezers[0].ID, f.ID; got != want {
				t.Errorf("bob's freezer = %d, want %d", got, want)
			}
			if got, want := MustFindProduct(t, regCtx(bob), store, p.ID).Name, p.Name; got != want {
				t.Errorf("bob sees product %q, want %q", got, want)
			}
			// And may put something in it.
			MustCreateProduct(t, regCtx(bob), store, newProduct(f, 1, 0))

			members, err := store.FindMembers(regCtx(bob), alice.Household.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got, want := len(members), 2; got != want {
				t.Fatalf("members = %d, want %d", got, want)
			}
			if got, want := members[0].Email, "alice@example.com"; got != want {
				t.Errorf("first member = %q, want the owner %q", got, want)
			}
			if got, want := members[1].Email, "bob@example.com"; got != want {
				t.Errorf("second member = %q, want %q", got, want)
			}
		})
	})

	t.Run("ErrConflictTwice", func(t *testing.T) {
		testdb.EachDB(t, func(t *testing.T, store *db.DB) {
			alice := MustRegister(t, store, "alice@example.com")
			MustRegister(t, store, "bob@example.com")
			mustJoin(t, store, alice, alice.Household.ID, "bob@example.com")
			_, err := store.InviteMember(regCtx(alice), alice.Household.ID, "Bob@Example.com")
			assertCode(t, err, freezer.ECONFLICT)
			// The owner is a member already.
			_, err = store.InviteMember(regCtx(alice), alice.Household.ID, "alice@example.com")
			assertCode(t, err, freezer.ECONFLICT)
			members, err := store.FindMembers(regCtx(alice), alice.Household.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got, want := len(members), 2; got != want {
				t.Errorf("members = %d, want %d", got, want)
			}
		})
	})

	t.Run("ErrForbiddenForUsers", func(t *testing.T) {
		testdb.EachDB(t, func(t *testing.T, store *db.DB) {
			alice := MustRegister(t, store, "alice@example.com")
			MustRegister(t, store, "bob@example.com")
			_, err := store.AddMember(regCtx(alice), alice.Household.ID, "bob@example.com")
			assertCode(t, err, freezer.EFORBIDDEN)
		})
	})
}

// mustJoin has the user with email accept an invitation of inviter's into household h.
func mustJoin(t *testing.T, store *db.DB, inviter *freezer.RegisteredUser, h int64, email string) *freezer.Member {
	t.Helper()
	inv, err := store.InviteMember(regCtx(inviter), h, email)
	if err != nil {
		t.Fatal(err)
	}
	u, err := store.FindUsers(systemCtx(), freezer.UserFilter{Email: &email})
	if err != nil || len(u) != 1 {
		t.Fatalf("find %s: %v", email, err)
	}
	m, err := store.AcceptInvitation(userCtx(u[0]), inv.ID)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestInvitations: nobody becomes a member without accepting, and inviting
// tells nothing of whether an address has an account.
func TestInvitations(t *testing.T) {
	testdb.EachDB(t, func(t *testing.T, store *db.DB) {
		alice := MustRegister(t, store, "alice@example.com")
		bob := MustRegister(t, store, "bob@example.com")
		carol := MustRegister(t, store, "carol@example.com")
		h := alice.Household.ID

		inv, err := store.InviteMember(regCtx(alice), h, "bob@example.com")
		if err != nil {
			t.Fatal(err)
		}
		ghost, err := store.InviteMember(regCtx(alice), h, "nobody@example.com")
		if err != nil {
			t.Fatalf("inviting an address without an account: %v", err)
		}
		if inv.Email != "bob@example.com" || inv.InvitedBy != "alice@example.com" || inv.HouseholdName != alice.Household.Name ||
			ghost.InvitedBy != inv.InvitedBy || ghost.HouseholdName != inv.HouseholdName {
			t.Errorf("invitations %+v and %+v differ beyond the address", inv, ghost)
		}
		again, err := store.InviteMember(regCtx(alice), h, "BOB@example.com")
		if err != nil || again.ID != inv.ID {
			t.Errorf("inviting again = %+v, %v; want the pending invitation", again, err)
		}
		_, err = store.InviteMember(regCtx(alice), h, "not an address")
		assertCode(t, err, freezer.EINVALID)

		// Not a member before accepting.
		_, err = store.FindHouseholdByID(regCtx(bob), h)
		assertCode(t, err, freezer.ENOTFOUND)
		mine, err := store.FindInvitations(regCtx(bob))
		if err != nil || len(mine) != 1 || mine[0].ID != inv.ID {
			t.Fatalf("bob's invitations = %v, %v", mine, err)
		}
		if list, _ := store.FindInvitations(regCtx(carol)); len(list) != 0 {
			t.Errorf("carol sees %d invitations of others", len(list))
		}
		pending, err := store.FindHouseholdInvitations(regCtx(alice), h)
		if err != nil || len(pending) != 2 {
			t.Errorf("pending = %v, %v; want 2", pending, err)
		}
		_, err = store.FindHouseholdInvitations(regCtx(carol), h)
		assertCode(t, err, freezer.ENOTFOUND)

		// Only the invitee accepts; another user cannot, nor decline it.
		_, err = store.AcceptInvitation(regCtx(carol), inv.ID)
		assertCode(t, err, freezer.ENOTFOUND)
		assertCode(t, store.DeclineInvitation(regCtx(carol), inv.ID), freezer.ENOTFOUND)
		_, err = store.AcceptInvitation(regCtx(alice), inv.ID)
		assertCode(t, err, freezer.ENOTFOUND)
		if _, err := store.AcceptInvitation(regCtx(bob), inv.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := store.FindHouseholdByID(regCtx(bob), h); err != nil {
			t.Errorf("bob after accepting: %v", err)
		}
		_, err = store.AcceptInvitation(regCtx(bob), inv.ID)
		assertCode(t, err, freezer.ENOTFOUND)

		// The invitee declines; a member withdraws.
		c, err := store.InviteMember(regCtx(bob), h, "carol@example.com")
		if err != nil {
			t.Fatal(err)
		}
		if err := store.DeclineInvitation(regCtx(carol), c.ID); err != nil {
			t.Fatal(err)
		}
		_, err = store.AcceptInvitation(regCtx(carol), c.ID)
		assertCode(t, err, freezer.ENOTFOUND)
		if err := store.DeclineInvitation(regCtx(bob), ghost.ID); err != nil {
			t.Fatalf("a member withdraws: %v", err)
		}
		if pending, _ := store.FindHouseholdInvitations(regCtx(alice), h); len(pending) != 0 {
			t.Errorf("pending after all = %v", pending)
		}
	})
}

func TestRemoveMember(t *testing.T) {
	// household returns alice's household with bob and carol as members.
	household := func(t *testing.T, store *db.DB) (alice, bob, carol *freezer.RegisteredUser) {
		alice = MustRegister(t, store, "alice@example.com")
		bob = MustRegister(t, store, "bob@example.com")
		carol = MustRegister(t, store, "carol@example.com")
		for _, email := range []string{"bob@example.com", "carol@example.com"} {
			mustJoin(t, store, alice, alice.Household.ID, email)
		}
		return alice, bob, carol
	}

	t.Run("OK", func(t *testing.T) {
		testdb.EachDB(t, func(t *testing.T, store *db.DB) {
			alice, bob, carol := household(t, store)
			f := MustCreateFreezer(t, store, alice, "Garage", 2)

			// Bob leaves.
			if err := store.RemoveMember(regCtx(bob), alice.Household.ID, bob.User.ID); err != nil {
				t.Fatal(err)
			}
			_, err := store.FindHouseholdByID(regCtx(bob), alice.Household.ID)
			assertCode(t, err, freezer.ENOTFOUND)
			_, err = store.FindFreezerByID(regCtx(bob), f.ID)
			assertCode(t, err, freezer.ENOTFOUND)

			// The owner removes Carol.
			if err := store.RemoveMember(regCtx(alice), alice.Household.ID, carol.User.ID); err != nil {
				t.Fatal(err)
			}
			members, err := store.FindMembers(regCtx(alice), alice.Household.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got, want := len(members), 1; got != want {
				t.Fatalf("members = %d, want %d", got, want)
			}
			if got, want := members[0].UserID, alice.User.ID; got != want {
				t.Errorf("member = %d, want %d", got, want)
			}
		})
	})

	t.Run("ErrConflictLastMember", func(t *testing.T) {
		testdb.EachDB(t, func(t *testing.T, store *db.DB) {
			alice := MustRegister(t, store, "alice@example.com")
			assertCode(t, store.RemoveMember(regCtx(alice), alice.Household.ID, alice.User.ID), freezer.ECONFLICT)
			if _, err := store.FindHouseholdByID(regCtx(alice), alice.Household.ID); err != nil {
				t.Errorf("household after a refused leave: %v", err)
			}
		})
	})

	t.Run("ErrForbiddenNotOwner", func(t *testing.T) {
		testdb.EachDB(t, func(t *testing.T, store *db.DB) {
			alice, bob, carol := household(t, store)
			assertCode(t, store.RemoveMember(regCtx(bob), alice.Household.ID, carol.User.ID), freezer.EFORBIDDEN)
			assertCode(t, store.RemoveMember(regCtx(bob), alice.Household.ID, alice.User.ID), freezer.EFORBIDDEN)
			members, err := store.FindMembers(regCtx(alice), alice.Household.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got, want := len(members), 3; got != want {
				t.Errorf("members = %d, want %d", got, want)
			}
		})
	})

	t.Run("ErrNotFoundNotMember", func(t *testing.T) {
		testdb.EachDB(t, func(t *testing.T, store *db.DB) {
			alice := MustRegister(t, store, "alice@example.com")
			bob := MustRegister(t, store, "bob@example.com")
			assertCode(t, store.RemoveMember(regCtx(alice), alice.Household.ID, bob.User.ID), freezer.ENOTFOUND)
		})
	})
}

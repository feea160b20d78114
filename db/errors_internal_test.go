package db

import (
	"context"
	"errors"
	"path/filepath"
	"testing"

	freezer "github.com/freezer-manager/freezer"
)

// Only "no such row" becomes a validation error: any other failure of the
// lookup (a deadlock, a certification conflict, here a cancelled query) is
// returned as it is, so that the transaction helper retries it or it
// reports an internal error, never a wrong answer to the user.
func TestLookupsTurnOnlyMissingRowsIntoUserErrors(t *testing.T) {
	ctx := context.Background()
	store, err := Open(ctx, "sqlite:"+filepath.Join(t.TempDir(), "freezer.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	if err := store.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	missing := int64(999)
	for _, tc := range []struct {
		desc  string
		check func(ctx context.Context) error
	}{
		{"device freezer", func(ctx context.Context) error { return checkDeviceFreezer(ctx, store.read, 1, &missing) }},
		{"product type", func(ctx context.Context) error { return checkType(ctx, store.read, missing) }},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			if got, want := freezer.ErrorCode(tc.check(ctx)), freezer.EINVALID; got != want {
				t.Errorf("missing row: code %q, want %q", got, want)
			}
			err := tc.check(cancelled)
			if code := freezer.ErrorCode(err); code != freezer.EINTERNAL || !errors.Is(err, context.Canceled) {
				t.Errorf("failed lookup: code %q, err %v; want the driver's error", code, err)
			}
		})
	}
}

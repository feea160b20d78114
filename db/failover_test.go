package db_test

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/freezer-manager/freezer"
	"github.com/freezer-manager/freezer/db"
	"github.com/freezer-manager/freezer/internal/testdb"
	"github.com/freezer-manager/freezer/internal/testnet"
)

// A MySQL DSN may name several hosts of one cluster: the driver's name is
// the first one's.
func TestParseDSNSeveralHosts(t *testing.T) {
	dialect, driverDSN, err := db.ParseDSN("mysql://u:p@node1:3306,node2:3307,node3/freezer?tls=true")
	if err != nil {
		t.Fatal(err)
	}
	if dialect != db.MySQL || !strings.Contains(driverDSN, "tcp(node1:3306)/freezer") || strings.Contains(driverDSN, "node2") {
		t.Errorf("ParseDSN = %s %s, want the first host alone", dialect, driverDSN)
	}
}

// A store on several hosts goes on when the one it used stops answering:
// new connections go to the next host. Two proxies to one MariaDB stand
// for two nodes of a cluster.
func TestOpenFailsOverBetweenHosts(t *testing.T) {
	dsn := testdb.MySQLDSN(t)
	testdb.MustOpen(t, dsn) // migrated
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	first, second := testnet.NewProxy(t, u.Host), testnet.NewProxy(t, u.Host)
	u.Host = first.Addr() + "," + second.Addr()
	store, err := db.Open(context.Background(), u.String())
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	ctx := freezer.SystemContext(context.Background())
	if _, err := store.RegisterUser(ctx, freezer.Registration{Email: "before@example.com", Password: "password1"}); err != nil {
		t.Fatal(err)
	}
	first.Cut() // the node dies: its connections close, new ones are refused
	var last error
	for try := 0; try < 3; try++ { // a connection that was open may fail once
		if _, last = store.RegisterUser(ctx, freezer.Registration{Email: "after" + string(rune('a'+try)) + "@example.com", Password: "password1"}); last == nil {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if last != nil {
		t.Fatalf("after the first host died: %v", last)
	}
	if err := store.Ping(context.Background()); err != nil {
		t.Errorf("ping after the failover: %v", err)
	}
	second.Cut()
	if err := store.Ping(context.Background()); err == nil || !strings.Contains(err.Error(), "no host of the database answers") {
		t.Errorf("ping with no host left = %v, want it to say no host answers", err)
	}
}

package galeratest_test

import (
	"context"
	"database/sql"
	"testing"
	"time"

	"github.com/freezer-manager/freezer/db"
	"github.com/freezer-manager/freezer/internal/galeratest"
)

func TestMain(m *testing.M) { galeratest.Main(m) }

// TestClusterReplicatesAndSurvivesAKill writes on node 1 and reads on node
// 3, kills node 2, writes meanwhile, restarts it and reads the write there.
func TestClusterReplicatesAndSurvivesAKill(t *testing.T) {
	c := galeratest.Shared(t)
	ctx := context.Background()
	for i := 1; i <= galeratest.Size; i++ {
		if size, err := c.Status(ctx, i, "wsrep_cluster_size"); err != nil || size != "3" {
			t.Fatalf("node %d: cluster size %q, %v; want 3", i, size, err)
		}
	}
	dsns := c.Database(t, "wsrep_sync_wait=1")
	conns := make([]*sql.DB, len(dsns))
	for i, dsn := range dsns {
		_, driverDSN, err := db.ParseDSN(dsn)
		if err != nil {
			t.Fatal(err)
		}
		if conns[i], err = sql.Open("mysql", driverDSN); err != nil {
			t.Fatal(err)
		}
		defer conns[i].Close()
	}
	if _, err := conns[0].Exec("CREATE TABLE t (id INT AUTO_INCREMENT PRIMARY KEY, v INT)"); err != nil {
		t.Fatal(err)
	}
	if _, err := conns[0].Exec("INSERT INTO t (v) VALUES (1)"); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := conns[2].QueryRow("SELECT COUNT(*) FROM t").Scan(&n); err != nil || n != 1 {
		t.Fatalf("node 3 reads %d rows, %v; want 1", n, err)
	}

	c.Nodes[1].Kill()
	if _, err := conns[0].Exec("INSERT INTO t (v) VALUES (2)"); err != nil {
		t.Fatalf("insert with node 2 down: %v", err)
	}
	start := time.Now()
	if err := c.Nodes[1].Restart(ctx); err != nil {
		t.Fatal(err)
	}
	t.Logf("node 2 restarted and synced in %v", time.Since(start).Round(time.Millisecond))
	conns[1].SetMaxIdleConns(0) // its old connections died with it
	if err := conns[1].QueryRow("SELECT COUNT(*) FROM t").Scan(&n); err != nil || n != 2 {
		t.Fatalf("restarted node 2 reads %d rows, %v; want 2", n, err)
	}
}

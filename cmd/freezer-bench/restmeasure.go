package main

import (
	"context"
	"fmt"
	"time"

	freezer "github.com/freezer-manager/freezer"
	"github.com/freezer-manager/freezer/db"
)

// measureREST loads the legacy full listing and the v1 list over HTTP at 8
// and 64 clients, and runs the same queries on the database in this
// process: the storage ceiling.
func measureREST(fx *fixture, httpAddr string, d time.Duration) ([]row, error) {
	ctx := context.Background()
	store, err := db.Open(ctx, fx.dsn)
	if err != nil {
		return nil, err
	}
	defer store.Close()
	token := fx.many.token
	u, _, err := store.AuthenticateToken(ctx, token)
	if err != nil {
		return nil, err
	}
	userCtx := freezer.NewContextWithUser(ctx, u)
	const v1Page = 500
	queries := []struct {
		name   string
		url    string
		bearer bool
		direct func() error
	}{
		{"REST: legacy get_product/all/0", "http://" + httpAddr + "/get_product/all/0/" + token, false, func() error {
			_, err := store.FindProducts(userCtx, freezer.ProductFilter{})
			return err
		}},
		{fmt.Sprintf("REST: v1 products, page of %d", v1Page), fmt.Sprintf("http://%s/api/v1/products?state=all&limit=%d", httpAddr, v1Page), true, func() error {
			_, err := store.FindProducts(userCtx, freezer.ProductFilter{Limit: v1Page + 1})
			return err
		}},
	}
	var rows []row
	for _, q := range queries {
		for _, clients := range []int{8, 64} {
			bearer := ""
			if q.bearer {
				bearer = token
			}
			viaHTTP, err := httpLoad(q.url, bearer, clients, d)
			if err != nil {
				return nil, err
			}
			direct, err := concurrentLoad(clients, d, q.direct)
			if err != nil {
				return nil, err
			}
			ratio := viaHTTP.PerSecond() / direct.PerSecond()
			rows = append(rows,
				num(fmt.Sprintf("%s, %d clients", q.name, clients), viaHTTP.PerSecond(), "req/s", "%.0f"),
				num(fmt.Sprintf("%s, %d clients p99", q.name, clients), ms(viaHTTP.P99), "ms", "%.1f"),
				num(fmt.Sprintf("%s, %d clients: storage ceiling", q.name, clients), direct.PerSecond(), "queries/s", "%.0f"),
				num(fmt.Sprintf("%s, %d clients / ceiling", q.name, clients), 100*ratio, "%", "%.0f").target("≥ 50%", ratio >= 0.5),
			)
		}
	}
	dashboard, err := measureDashboard(httpAddr, token, d)
	if err != nil {
		return nil, err
	}
	return append(rows, dashboard...), nil
}

package api

import (
	"sort"

	"github.com/labstack/echo/v4"
)

// Routes returns "METHOD /path" for every route the server answers, in
// Echo's syntax (":id"), sorted; the catch-all not-found routes are left out.
func (s *Server) Routes() []string {
	var list []string
	for _, r := range s.echo.Routes() {
		if r.Method == echo.RouteNotFound {
			continue
		}
		list = append(list, r.Method+" "+r.Path)
	}
	sort.Strings(list)
	return list
}

package v1

import (
	"net/http"

	"github.com/labstack/echo/v4"

	freezer "github.com/freezer-manager/freezer"
	"github.com/freezer-manager/freezer/api/httpapi"
)

func (s *server) v1StatsRoutes() []route {
	household := param{"household_id", "integer", "only this household (default: all of the caller's)"}
	return []route{
		{Method: http.MethodGet, Path: "/stats/tendency/general", Summary: "Products ever stored per type, over all households, most frequent first",
			Handler: s.v1GeneralTendency, Response: freezer.TypeTendency{}, List: true},
		{Method: http.MethodGet, Path: "/stats/tendency/personal", Summary: "Products ever stored per type in the caller's households, the type taken out most recently first",
			Handler: s.v1PersonalTendency, Response: freezer.TypeTendency{}, List: true},
		{Method: http.MethodGet, Path: "/stats/monthly", Summary: "Products put in and taken out per month (YYYY-MM) and type, oldest month first",
			Handler: s.v1MonthlyStats, Response: freezer.MonthFlow{}, List: true, Query: []param{
				household, {"months", "integer", "how many months, the current one included: 1 to 120 (default 12)"},
			}},
		{Method: http.MethodGet, Path: "/stats/time-in-freezer", Summary: "Average days between date_in and date_out of taken-out products, overall and per type",
			Handler: s.v1TimeInFreezer, Response: freezer.TimeInFreezer{}, Query: []param{household}},
		{Method: http.MethodGet, Path: "/stats/late-share", Summary: "Share of taken-out products taken out after their use-by day, overall and per type",
			Handler: s.v1LateShare, Response: freezer.LateShare{}, Query: []param{household}},
		{Method: http.MethodGet, Path: "/stats/waste", Summary: "Waste: products thrown away or taken out after their use-by day, per month (oldest first) and per type",
			Handler: s.v1WasteStats, Response: freezer.Waste{}, Query: []param{
				household, {"months", "integer", "how many months, the current one included: 1 to 120 (default 12)"},
			}},
	}
}

func (s *server) v1GeneralTendency(c echo.Context) error {
	list, err := s.services.Stats.GeneralTendency(httpapi.Ctx(c))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, listResponse[*freezer.TypeTendency]{Items: nonNil(list)})
}

func (s *server) v1PersonalTendency(c echo.Context) error {
	list, err := s.services.Stats.PersonalTendency(httpapi.Ctx(c))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, listResponse[*freezer.TypeTendency]{Items: nonNil(list)})
}

// statsFilterOf reads ?household_id= and ?months=.
func statsFilterOf(c echo.Context) (freezer.StatsFilter, error) {
	var f freezer.StatsFilter
	var err error
	if f.HouseholdID, err = queryInt64(c, "household_id"); err != nil {
		return f, err
	}
	months, err := queryInt64(c, "months")
	if err != nil {
		return f, err
	}
	if months != nil {
		if *months < 1 || *months > freezer.MaxStatsMonths {
			return f, freezer.Errorf(freezer.EINVALID, "months must be between 1 and %d.", freezer.MaxStatsMonths)
		}
		f.Months = int(*months)
	}
	return f, nil
}

func (s *server) v1MonthlyStats(c echo.Context) error {
	filter, err := statsFilterOf(c)
	if err != nil {
		return err
	}
	list, err := s.services.Stats.MonthlyStats(httpapi.Ctx(c), filter)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, listResponse[*freezer.MonthFlow]{Items: nonNil(list)})
}

func (s *server) v1TimeInFreezer(c echo.Context) error {
	filter, err := statsFilterOf(c)
	if err != nil {
		return err
	}
	out, err := s.services.Stats.TimeInFreezer(httpapi.Ctx(c), filter)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, out)
}

func (s *server) v1LateShare(c echo.Context) error {
	filter, err := statsFilterOf(c)
	if err != nil {
		return err
	}
	out, err := s.services.Stats.LateShare(httpapi.Ctx(c), filter)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, out)
}

func (s *server) v1WasteStats(c echo.Context) error {
	filter, err := statsFilterOf(c)
	if err != nil {
		return err
	}
	out, err := s.services.Stats.WasteStats(httpapi.Ctx(c), filter)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, out)
}

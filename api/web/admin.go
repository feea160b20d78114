package web

import (
	"net/http"
	"net/url"
	"strconv"

	"github.com/labstack/echo/v4"

	freezer "github.com/freezer-manager/freezer"
	"github.com/freezer-manager/freezer/api/httpapi"
)

// adminUsersPage is how many users the admin panel lists at once.
const adminUsersPage = 100

// adminData is the admin panel.
type adminData struct {
	Stats     *freezer.SiteStats
	Types     []*freezer.ProductType
	Users     []*freezer.User
	UsersFrom int // offset of the first user listed
	UsersNext int // offset of the next page, 0 when this is the last
	UsersPrev int // offset of the previous page, -1 on the first
}

func (w *webSite) registerAdminRoutes() {
	w.add(http.MethodGet, "/admin", w.adminPage, requireSession, w.requireWebAdmin)
	w.add(http.MethodPost, "/admin/types", w.addType, requireSession, w.requireWebAdmin)
	w.add(http.MethodPost, "/admin/types/:id", w.renameType, requireSession, w.requireWebAdmin)
	w.add(http.MethodPost, "/admin/users/:id", w.changeUser, requireSession, w.requireWebAdmin)
}

// requireWebAdmin answers 403 to signed-in users who are not administrators.
func (w *webSite) requireWebAdmin(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if !sessionOf(c).User.Admin {
			return w.renderError(c, freezer.Errorf(freezer.EFORBIDDEN, "%s", webTexts[sessionOf(c).User.Language]["err_admin_only"]))
		}
		return next(c)
	}
}

// loadAdmin reads what the admin panel shows, users from offset from.
func (w *webSite) loadAdmin(c echo.Context) (*adminData, error) {
	ctx := httpapi.Ctx(c)
	from, _ := strconv.Atoi(c.QueryParam("from"))
	data := &adminData{UsersFrom: max(from, 0), UsersPrev: -1}
	var err error
	if data.Stats, err = w.services.SiteStats.SiteStats(ctx); err != nil {
		return nil, err
	}
	if data.Types, err = w.services.Types.FindProductTypes(ctx); err != nil {
		return nil, err
	}
	// One more than shown tells whether there is a next page.
	if data.Users, err = w.services.Users.FindUsers(ctx, freezer.UserFilter{Offset: data.UsersFrom, Limit: adminUsersPage + 1}); err != nil {
		return nil, err
	}
	if len(data.Users) > adminUsersPage {
		data.Users, data.UsersNext = data.Users[:adminUsersPage], data.UsersFrom+adminUsersPage
	}
	if data.UsersFrom > 0 {
		data.UsersPrev = max(data.UsersFrom-adminUsersPage, 0)
	}
	return data, nil
}

func (w *webSite) adminPage(c echo.Context) error {
	data, err := w.loadAdmin(c)
	if err != nil {
		return w.renderError(c, err)
	}
	return w.render(c, http.StatusOK, "admin", withNotice(c, w.newPage(c, data)))
}

// adminResult ends an admin form: back to the panel's section with a
// notice, or the panel again with the error.
func (w *webSite) adminResult(c echo.Context, err error, done, section string) error {
	if err == nil {
		return c.Redirect(http.StatusSeeOther, "/admin?done="+url.QueryEscape(done)+"#"+section)
	}
	data, loadErr := w.loadAdmin(c)
	if loadErr != nil {
		return w.renderError(c, loadErr)
	}
	p := w.newPage(c, data)
	p.Error = w.errorText(p, err)
	return w.render(c, httpapi.Status(err), "admin", p)
}

func (w *webSite) addType(c echo.Context) error {
	t := &freezer.ProductType{NameEN: c.FormValue("name_en"), NameFR: c.FormValue("name_fr")}
	return w.adminResult(c, w.services.Types.CreateProductType(httpapi.Ctx(c), t), "type_added", "types")
}

func (w *webSite) renameType(c echo.Context) error {
	id, err := httpapi.PathID(c, "id")
	if err == nil {
		en, fr := c.FormValue("name_en"), c.FormValue("name_fr")
		_, err = w.services.Types.UpdateProductType(httpapi.Ctx(c), id, freezer.ProductTypeUpdate{NameEN: &en, NameFR: &fr})
	}
	return w.adminResult(c, err, "type_renamed", "types")
}

// changeUser disables, enables, promotes or demotes a user; admins cannot
// change themselves here, so that nobody locks the last admin out by mistake.
func (w *webSite) changeUser(c echo.Context) error {
	id, err := httpapi.PathID(c, "id")
	if err != nil {
		return w.adminResult(c, err, "", "")
	}
	T := webTexts[sessionOf(c).User.Language]
	if id == sessionOf(c).User.ID {
		return w.adminResult(c, freezer.Errorf(freezer.ECONFLICT, "%s", T["err_change_self"]), "", "")
	}
	yes, no := true, false
	var upd freezer.UserUpdate
	switch c.FormValue("action") {
	case "disable":
		upd.Disabled = &yes
	case "enable":
		upd.Disabled = &no
	case "make_admin":
		upd.Admin = &yes
	case "remove_admin":
		upd.Admin = &no
	default:
		return w.adminResult(c, freezer.Errorf(freezer.EINVALID, "Unknown action."), "", "")
	}
	_, err = w.services.Users.UpdateUser(httpapi.Ctx(c), id, upd)
	return w.adminResult(c, err, "user_updated", "users")
}

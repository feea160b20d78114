package freezer

import "context"

// ProductType is a kind of food, named in English and French.
type ProductType struct {
	ID     int64  `json:"id"`
	NameEN string `json:"name_en"`
	NameFR string `json:"name_fr"`
}

// Validate returns EINVALID when a name is missing or too long.
func (t *ProductType) Validate() error {
	if err := validateName("name_en", t.NameEN); err != nil {
		return err
	}
	return validateName("name_fr", t.NameFR)
}

// ProductTypeUpdate holds the names to change; nil keeps the current value.
type ProductTypeUpdate struct {
	NameEN *string `json:"name_en"`
	NameFR *string `json:"name_fr"`
}

// ProductTypeService manages the shared list of product types. Anybody may
// read it; only admins and the system change it (EFORBIDDEN otherwise).
type ProductTypeService interface {
	// FindProductTypes returns every type, ordered by id.
	FindProductTypes(ctx context.Context) ([]*ProductType, error)
	// FindProductTypeByID returns one type (ENOTFOUND).
	FindProductTypeByID(ctx context.Context, id int64) (*ProductType, error)
	// CreateProductType adds a type (EINVALID, EFORBIDDEN).
	CreateProductType(ctx context.Context, t *ProductType) error
	// UpdateProductType renames a type (ENOTFOUND, EINVALID, EFORBIDDEN).
	UpdateProductType(ctx context.Context, id int64, upd ProductTypeUpdate) (*ProductType, error)
}

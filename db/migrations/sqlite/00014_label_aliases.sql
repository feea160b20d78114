-- +goose Up
-- The printed label of an imported product whose id was taken on this
-- server: within its household, label_id names product_id. A household's
-- own product with id label_id, if any, comes first (see docs/labels.md,
-- "Labels across servers").
CREATE TABLE label_aliases (
    household_id INTEGER  NOT NULL REFERENCES households (id) ON DELETE CASCADE,
    label_id     INTEGER  NOT NULL CHECK (label_id >= 1),
    product_id   INTEGER  NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    created_at   DATETIME NOT NULL,
    PRIMARY KEY (household_id, label_id)
);
CREATE INDEX label_aliases_product ON label_aliases (product_id);

-- +goose Down
DROP TABLE label_aliases;

-- +goose Up
-- The printed label of an imported product whose id was taken on this
-- server: within its household, label_id names product_id. A household's
-- own product with id label_id, if any, comes first (see docs/labels.md,
-- "Labels across servers").
CREATE TABLE label_aliases (
    household_id BIGINT      NOT NULL,
    label_id     BIGINT      NOT NULL CHECK (label_id >= 1),
    product_id   BIGINT      NOT NULL,
    created_at   DATETIME(6) NOT NULL,
    PRIMARY KEY (household_id, label_id),
    KEY label_aliases_product (product_id),
    CONSTRAINT label_aliases_household_fk FOREIGN KEY (household_id) REFERENCES households (id) ON DELETE CASCADE,
    CONSTRAINT label_aliases_product_fk FOREIGN KEY (product_id) REFERENCES products (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- +goose Down
DROP TABLE label_aliases;

-- +goose Up
-- A product's change log is read through the household index, which now
-- carries the product: one index fewer to write per scan (history_product
-- was ordered by product, so every scan changed a page of its own in it).
DROP INDEX history_product;
DROP INDEX history_household;
CREATE INDEX history_household ON history (household_id, id, product_id);

-- +goose Down
DROP INDEX history_household;
CREATE INDEX history_household ON history (household_id, id);
CREATE INDEX history_product ON history (product_id, id);

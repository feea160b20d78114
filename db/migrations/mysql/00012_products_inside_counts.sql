-- +goose Up
-- The household index carries what a freezer's state is counted from
-- (freezer, day in, period), so that counting a household's products
-- inside reads the index alone, in its order, without the rows. It
-- replaces the shorter index (in one statement: the household foreign key
-- always has an index).
ALTER TABLE products DROP INDEX products_household,
    ADD INDEX products_household (household_id, date_out, freezer_id, date_in, period_months);

-- +goose Down
ALTER TABLE products DROP INDEX products_household,
    ADD INDEX products_household (household_id, date_out);

-- +goose Up
-- A household's product list, a page at a time, in id order (all of them,
-- or those inside): read in order, a page stops at its limit instead of
-- sorting every product of the household; and in the order they went in,
-- where what to eat next reads the first of those not due soon.
ALTER TABLE products ADD INDEX products_household_id (household_id, id),
    ADD INDEX products_household_list (household_id, date_out, id),
    ADD INDEX products_household_date_in (household_id, date_out, date_in);

-- +goose Down
ALTER TABLE products DROP INDEX products_household_id, DROP INDEX products_household_list,
    DROP INDEX products_household_date_in;

-- +goose Up
-- A household's product list, a page at a time: in id order, all of them
-- or those inside, and in use-by order (useBySQL of db/product.go, which
-- this expression must match exactly for the index to serve the order,
-- then date_in). Read in order, a page stops at its limit instead of
-- sorting every product of the household. What to eat next reads the
-- first of those due soon in use-by order, and the first of the others in
-- the order they went in.
CREATE INDEX products_household_id ON products (household_id, id);
CREATE INDEX products_household_list ON products (household_id, date_out, id);
CREATE INDEX products_household_date_in ON products (household_id, date_out, date_in);
CREATE INDEX products_household_use_by ON products (household_id, date_out,
    MIN(date(date_in, 'start of month', '+' || period_months || ' months', '+' || (CAST(strftime('%d', date_in) AS INTEGER) - 1) || ' days'), date(date_in, 'start of month', '+' || (period_months + 1) || ' months', '-1 day')),
    date_in);

-- +goose Down
DROP INDEX products_household_use_by;
DROP INDEX products_household_date_in;
DROP INDEX products_household_list;
DROP INDEX products_household_id;

-- +goose Up
-- A household's product list, a page at a time: all of them (or those
-- out) in id order; those inside in id order, in use-by order (useBySQL of
-- db/product.go, which this expression must match exactly for the index
-- to serve the order, then date_in) and in the order they went in (what to
-- eat next reads the first of those not due soon). Read in order, a page
-- stops at its limit instead of sorting every product of the household.
-- The indexes of products inside are partial: taking a product out or
-- putting it back changes one entry of each, not two.
CREATE INDEX products_household_id ON products (household_id, id);
CREATE INDEX products_inside_id ON products (household_id, id) WHERE date_out IS NULL;
CREATE INDEX products_inside_date_in ON products (household_id, date_in) WHERE date_out IS NULL;
CREATE INDEX products_inside_use_by ON products (household_id,
    MIN(date(date_in, 'start of month', '+' || period_months || ' months', '+' || (CAST(strftime('%d', date_in) AS INTEGER) - 1) || ' days'), date(date_in, 'start of month', '+' || (period_months + 1) || ' months', '-1 day')),
    date_in) WHERE date_out IS NULL;

-- +goose Down
DROP INDEX products_inside_use_by;
DROP INDEX products_inside_date_in;
DROP INDEX products_inside_id;
DROP INDEX products_household_id;

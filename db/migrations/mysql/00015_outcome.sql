-- +goose Up
-- What became of a product taken out: eaten or discarded (thrown away).
-- NULL for a product out reads as eaten (every take-out before this one).
ALTER TABLE products ADD COLUMN outcome VARCHAR(16) NULL CHECK (outcome IS NULL OR outcome IN ('eaten', 'discarded'));
-- A scanner in discard mode: its mode is out, and it takes products out as discarded.
ALTER TABLE devices ADD COLUMN discard TINYINT(1) NOT NULL DEFAULT 0 CHECK (discard IN (0, 1));

-- +goose Down
ALTER TABLE devices DROP COLUMN discard;
ALTER TABLE products DROP COLUMN outcome;

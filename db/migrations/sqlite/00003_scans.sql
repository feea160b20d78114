-- +goose Up
ALTER TABLE devices ADD COLUMN moving_product_id INTEGER REFERENCES products (id) ON DELETE SET NULL;
ALTER TABLE scan_events ADD COLUMN product_name TEXT NOT NULL DEFAULT '';
ALTER TABLE scan_events ADD COLUMN location TEXT NOT NULL DEFAULT '';
ALTER TABLE scan_events ADD COLUMN undo_place TEXT;
ALTER TABLE scan_events ADD COLUMN undone INTEGER NOT NULL DEFAULT 0 CHECK (undone IN (0, 1));
CREATE INDEX scan_events_device ON scan_events (device_id, created_at);

-- +goose Down
DROP INDEX scan_events_device;
ALTER TABLE scan_events DROP COLUMN undone;
ALTER TABLE scan_events DROP COLUMN undo_place;
ALTER TABLE scan_events DROP COLUMN location;
ALTER TABLE scan_events DROP COLUMN product_name;
ALTER TABLE devices DROP COLUMN moving_product_id;

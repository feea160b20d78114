-- +goose Up
ALTER TABLE devices ADD COLUMN moving_product_id BIGINT NULL,
    ADD CONSTRAINT devices_moving_product_fk FOREIGN KEY (moving_product_id) REFERENCES products (id) ON DELETE SET NULL;
ALTER TABLE scan_events ADD COLUMN product_name VARCHAR(256) NOT NULL DEFAULT '',
    ADD COLUMN location VARCHAR(64) NOT NULL DEFAULT '',
    ADD COLUMN undo_place VARCHAR(255) NULL,
    ADD COLUMN undone TINYINT(1) NOT NULL DEFAULT 0,
    ADD KEY scan_events_device (device_id, created_at);

-- +goose Down
ALTER TABLE scan_events DROP KEY scan_events_device, DROP COLUMN undone, DROP COLUMN undo_place, DROP COLUMN location, DROP COLUMN product_name;
ALTER TABLE devices DROP FOREIGN KEY devices_moving_product_fk, DROP COLUMN moving_product_id;

-- +goose Up
-- A device's recent events are found through scan_events_created (see
-- findRecentEvent): this index cost one more page written per scan.
DROP INDEX scan_events_device;

-- +goose Down
CREATE INDEX scan_events_device ON scan_events (device_id, created_at);

-- +goose Up
-- A household's alert channels and Home Assistant discovery; a household
-- without a row has the defaults (MQTT and discovery on).
CREATE TABLE alert_settings (
    household_id   INTEGER PRIMARY KEY REFERENCES households (id) ON DELETE CASCADE,
    mqtt           INTEGER NOT NULL DEFAULT 1 CHECK (mqtt IN (0, 1)),
    webhook_url    TEXT    NOT NULL DEFAULT '',
    webhook_format TEXT    NOT NULL DEFAULT 'json' CHECK (webhook_format IN ('json', 'ntfy')),
    webhook_token  TEXT    NOT NULL DEFAULT '',
    email_to       TEXT    NOT NULL DEFAULT '', -- addresses separated by commas
    email_from     TEXT    NOT NULL DEFAULT '',
    smtp_host      TEXT    NOT NULL DEFAULT '',
    smtp_port      INTEGER NOT NULL DEFAULT 587 CHECK (smtp_port BETWEEN 1 AND 65535),
    smtp_username  TEXT    NOT NULL DEFAULT '',
    smtp_password  TEXT    NOT NULL DEFAULT '',
    smtp_tls       TEXT    NOT NULL DEFAULT 'starttls' CHECK (smtp_tls IN ('starttls', 'tls', 'none')),
    ha_discovery   INTEGER NOT NULL DEFAULT 1 CHECK (ha_discovery IN (0, 1)),
    ha_prefix      TEXT    NOT NULL DEFAULT 'homeassistant',
    updated_at     DATETIME NOT NULL
);

-- The outbox of alerts: one row per alert and channel, claimed by the
-- process that sends it, so that replicas never send one twice.
CREATE TABLE alert_deliveries (
    id              INTEGER PRIMARY KEY,
    alert_id        INTEGER NOT NULL REFERENCES alerts (id) ON DELETE CASCADE,
    channel         TEXT    NOT NULL CHECK (channel IN ('mqtt', 'webhook', 'email')),
    status          TEXT    NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sending', 'sent', 'failed', 'skipped')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at DATETIME NOT NULL,
    claimed_at      DATETIME,
    sent_at         DATETIME,
    last_error      TEXT    NOT NULL DEFAULT '',
    created_at      DATETIME NOT NULL
);
CREATE UNIQUE INDEX alert_deliveries_alert_channel ON alert_deliveries (alert_id, channel);
CREATE INDEX alert_deliveries_due ON alert_deliveries (status, next_attempt_at);

-- Background jobs: when each last ran, and (SQLite) the lease of the
-- process running it. MySQL locks with GET_LOCK instead.
CREATE TABLE jobs (
    name        TEXT PRIMARY KEY,
    holder      TEXT NOT NULL DEFAULT '',
    expires_at  DATETIME,
    last_run_at DATETIME
);

-- +goose Down
DROP TABLE jobs;
DROP TABLE alert_deliveries;
DROP TABLE alert_settings;

-- +goose Up
-- A household's alert channels and Home Assistant discovery; a household
-- without a row has the defaults (MQTT and discovery on).
CREATE TABLE alert_settings (
    household_id   BIGINT        NOT NULL PRIMARY KEY,
    mqtt           TINYINT(1)    NOT NULL DEFAULT 1,
    webhook_url    VARCHAR(2048) NOT NULL DEFAULT '',
    webhook_format VARCHAR(8)    NOT NULL DEFAULT 'json' CHECK (webhook_format IN ('json', 'ntfy')),
    webhook_token  VARCHAR(512)  NOT NULL DEFAULT '',
    email_to       VARCHAR(2600) NOT NULL DEFAULT '', -- addresses separated by commas
    email_from     VARCHAR(254)  NOT NULL DEFAULT '',
    smtp_host      VARCHAR(253)  NOT NULL DEFAULT '',
    smtp_port      INT           NOT NULL DEFAULT 587 CHECK (smtp_port BETWEEN 1 AND 65535),
    smtp_username  VARCHAR(512)  NOT NULL DEFAULT '',
    smtp_password  VARCHAR(512)  NOT NULL DEFAULT '',
    smtp_tls       VARCHAR(8)    NOT NULL DEFAULT 'starttls' CHECK (smtp_tls IN ('starttls', 'tls', 'none')),
    ha_discovery   TINYINT(1)    NOT NULL DEFAULT 1,
    ha_prefix      VARCHAR(64)   NOT NULL DEFAULT 'homeassistant',
    updated_at     DATETIME(6)   NOT NULL,
    CONSTRAINT alert_settings_household_fk FOREIGN KEY (household_id) REFERENCES households (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- The outbox of alerts: one row per alert and channel, claimed by the
-- process that sends it, so that replicas never send one twice.
CREATE TABLE alert_deliveries (
    id              BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
    alert_id        BIGINT       NOT NULL,
    channel         VARCHAR(8)   NOT NULL CHECK (channel IN ('mqtt', 'webhook', 'email')),
    status          VARCHAR(8)   NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sending', 'sent', 'failed', 'skipped')),
    attempts        INT          NOT NULL DEFAULT 0,
    next_attempt_at DATETIME(6)  NOT NULL,
    claimed_at      DATETIME(6)  NULL,
    sent_at         DATETIME(6)  NULL,
    last_error      VARCHAR(500) NOT NULL DEFAULT '',
    created_at      DATETIME(6)  NOT NULL,
    UNIQUE KEY alert_deliveries_alert_channel (alert_id, channel),
    KEY alert_deliveries_due (status, next_attempt_at),
    CONSTRAINT alert_deliveries_alert_fk FOREIGN KEY (alert_id) REFERENCES alerts (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Background jobs: when each last ran, and (SQLite) the lease of the
-- process running it. MySQL locks with GET_LOCK instead.
CREATE TABLE jobs (
    name        VARCHAR(64)  CHARACTER SET ascii COLLATE ascii_bin NOT NULL PRIMARY KEY,
    holder      VARCHAR(64)  NOT NULL DEFAULT '',
    expires_at  DATETIME(6)  NULL,
    last_run_at DATETIME(6)  NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- +goose Down
DROP TABLE jobs;
DROP TABLE alert_deliveries;
DROP TABLE alert_settings;

-- +goose Up
-- Household secrets are stored encrypted (AES-256-GCM in base64 after an
-- "enc1:" prefix): a secret of 512 bytes takes 725 characters.
ALTER TABLE printers MODIFY token VARCHAR(1024) NOT NULL DEFAULT '';
ALTER TABLE alert_settings MODIFY webhook_token VARCHAR(1024) NOT NULL DEFAULT '',
    MODIFY smtp_password VARCHAR(1024) NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE printers MODIFY token VARCHAR(500) NOT NULL DEFAULT '';
ALTER TABLE alert_settings MODIFY webhook_token VARCHAR(512) NOT NULL DEFAULT '',
    MODIFY smtp_password VARCHAR(512) NOT NULL DEFAULT '';

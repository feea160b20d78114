-- +goose Up
-- Household secrets are stored encrypted (AES-256-GCM in base64 after an
-- "enc1:" prefix): a secret of 512 bytes takes 725 characters.
ALTER TABLE printers MODIFY token VARCHAR(1024) NOT NULL DEFAULT '';
ALTER TABLE alert_settings MODIFY webhook_token VARCHAR(1024) NOT NULL DEFAULT '',
    MODIFY smtp_password VARCHAR(1024) NOT NULL DEFAULT '';

-- Invitations into a household: a member invites an e-mail address, and
-- only the user with that address, once signed in, may accept or decline.
-- The address need not have an account: inviting tells nothing about it.
CREATE TABLE household_invitations (
    id           BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
    household_id BIGINT       NOT NULL,
    email        VARCHAR(254) NOT NULL,
    invited_by   BIGINT       NULL,
    created_at   DATETIME(6)  NOT NULL,
    UNIQUE KEY household_invitations_household_email (household_id, email),
    KEY household_invitations_email (email),
    CONSTRAINT household_invitations_household_fk FOREIGN KEY (household_id) REFERENCES households (id) ON DELETE CASCADE,
    CONSTRAINT household_invitations_user_fk FOREIGN KEY (invited_by) REFERENCES users (id) ON DELETE SET NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- +goose Down
DROP TABLE household_invitations;
ALTER TABLE printers MODIFY token VARCHAR(500) NOT NULL DEFAULT '';
ALTER TABLE alert_settings MODIFY webhook_token VARCHAR(512) NOT NULL DEFAULT '',
    MODIFY smtp_password VARCHAR(512) NOT NULL DEFAULT '';

-- +goose Up
-- Invitations into a household: a member invites an e-mail address, and
-- only the user with that address, once signed in, may accept or decline.
-- The address need not have an account: inviting tells nothing about it.
CREATE TABLE household_invitations (
    id           INTEGER PRIMARY KEY,
    household_id INTEGER NOT NULL REFERENCES households (id) ON DELETE CASCADE,
    email        TEXT    NOT NULL,
    invited_by   INTEGER REFERENCES users (id) ON DELETE SET NULL,
    created_at   DATETIME NOT NULL,
    UNIQUE (household_id, email)
);
CREATE INDEX household_invitations_email ON household_invitations (email);

-- +goose Down
DROP TABLE household_invitations;

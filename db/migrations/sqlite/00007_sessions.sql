-- +goose Up
-- Web sessions: the browser holds a random secret, the table its SHA-256.
-- dashboard_token_id is the API token the session made for the dashboard;
-- dashboard_token_sealed is that token's secret XOR a key derived from the
-- session secret, so this table alone does not reveal it.
CREATE TABLE sessions (
    id                     TEXT     PRIMARY KEY,
    user_id                INTEGER  NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    csrf_token             TEXT     NOT NULL,
    dashboard_token_id     INTEGER  REFERENCES tokens (id) ON DELETE SET NULL,
    dashboard_token_sealed TEXT     NOT NULL DEFAULT '',
    created_at             DATETIME NOT NULL,
    last_seen_at           DATETIME NOT NULL,
    expires_at             DATETIME NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);
CREATE INDEX sessions_expires ON sessions (expires_at);

-- +goose Down
DROP TABLE sessions;

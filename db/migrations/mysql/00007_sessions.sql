-- +goose Up
-- Web sessions: the browser holds a random secret, the table its SHA-256.
-- dashboard_token_id is the API token the session made for the dashboard;
-- dashboard_token_sealed is that token's secret XOR a key derived from the
-- session secret, so this table alone does not reveal it.
CREATE TABLE sessions (
    id                     CHAR(64)    CHARACTER SET ascii COLLATE ascii_bin NOT NULL PRIMARY KEY,
    user_id                BIGINT      NOT NULL,
    csrf_token             CHAR(64)    CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    dashboard_token_id     BIGINT      NULL,
    dashboard_token_sealed VARCHAR(128) CHARACTER SET ascii COLLATE ascii_bin NOT NULL DEFAULT '',
    created_at             DATETIME(6) NOT NULL,
    last_seen_at           DATETIME(6) NOT NULL,
    expires_at             DATETIME(6) NOT NULL,
    KEY sessions_user (user_id),
    KEY sessions_expires (expires_at),
    CONSTRAINT sessions_user_fk FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE,
    CONSTRAINT sessions_token_fk FOREIGN KEY (dashboard_token_id) REFERENCES tokens (id) ON DELETE SET NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- +goose Down
DROP TABLE sessions;

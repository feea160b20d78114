-- +goose Up
-- The change log of each household. product_id has no foreign key on
-- purpose: the history of a deleted product stays.
CREATE TABLE history (
    id           INTEGER PRIMARY KEY,
    household_id INTEGER NOT NULL REFERENCES households (id) ON DELETE CASCADE,
    product_id   INTEGER,
    actor        TEXT    NOT NULL,
    action       TEXT    NOT NULL CHECK (action IN ('create', 'update', 'take_out', 'put_back', 'move', 'delete', 'scan')),
    summary      TEXT    NOT NULL DEFAULT '',
    created_at   DATETIME NOT NULL
);
CREATE INDEX history_household ON history (household_id, id);
CREATE INDEX history_product ON history (product_id, id);

-- +goose Down
DROP TABLE history;

-- +goose Up
CREATE TABLE households (
    id            INTEGER PRIMARY KEY,
    name          TEXT    NOT NULL,
    due_soon_days INTEGER NOT NULL DEFAULT 14 CHECK (due_soon_days >= 0),
    created_at    DATETIME NOT NULL,
    updated_at    DATETIME NOT NULL
);

CREATE TABLE users (
    id            INTEGER PRIMARY KEY,
    email         TEXT    NOT NULL COLLATE NOCASE,
    password_hash TEXT    NOT NULL,
    language      TEXT    NOT NULL DEFAULT 'en' CHECK (language IN ('en', 'fr')),
    admin         INTEGER NOT NULL DEFAULT 0 CHECK (admin IN (0, 1)),
    disabled      INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1)),
    created_at    DATETIME NOT NULL,
    updated_at    DATETIME NOT NULL
);
CREATE UNIQUE INDEX users_email ON users (email);

CREATE TABLE memberships (
    household_id INTEGER NOT NULL REFERENCES households (id) ON DELETE CASCADE,
    user_id      INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role         TEXT    NOT NULL DEFAULT 'member' CHECK (role IN ('owner', 'member')),
    created_at   DATETIME NOT NULL,
    PRIMARY KEY (household_id, user_id)
);
CREATE INDEX memberships_user ON memberships (user_id);

CREATE TABLE tokens (
    id           INTEGER PRIMARY KEY,
    user_id      INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name         TEXT    NOT NULL,
    hash         TEXT    NOT NULL,
    legacy       INTEGER NOT NULL DEFAULT 0 CHECK (legacy IN (0, 1)),
    created_at   DATETIME NOT NULL,
    last_used_at DATETIME
);
CREATE UNIQUE INDEX tokens_hash ON tokens (hash);
CREATE INDEX tokens_user ON tokens (user_id);

CREATE TABLE product_types (
    id      INTEGER PRIMARY KEY,
    name_en TEXT NOT NULL,
    name_fr TEXT NOT NULL
);

CREATE TABLE freezers (
    id           INTEGER PRIMARY KEY,
    household_id INTEGER NOT NULL REFERENCES households (id),
    name         TEXT    NOT NULL,
    number_boxes INTEGER NOT NULL CHECK (number_boxes >= 1),
    archived_at  DATETIME,
    created_at   DATETIME NOT NULL,
    updated_at   DATETIME NOT NULL
);
CREATE INDEX freezers_household ON freezers (household_id);

CREATE TABLE products (
    id            INTEGER PRIMARY KEY,
    household_id  INTEGER NOT NULL REFERENCES households (id),
    freezer_id    INTEGER NOT NULL REFERENCES freezers (id),
    box           INTEGER NOT NULL CHECK (box >= 1),
    slot          INTEGER NOT NULL CHECK (slot >= 1),
    name          TEXT    NOT NULL,
    description   TEXT    NOT NULL DEFAULT '',
    type_id       INTEGER NOT NULL REFERENCES product_types (id),
    quantity      INTEGER NOT NULL CHECK (quantity >= 0),
    barcode       TEXT,
    date_in       TEXT    NOT NULL CHECK (date_in GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'),
    date_out      TEXT    CHECK (date_out IS NULL OR date_out >= date_in),
    period_months INTEGER NOT NULL CHECK (period_months >= 0),
    version       INTEGER NOT NULL DEFAULT 1,
    created_at    DATETIME NOT NULL,
    updated_at    DATETIME NOT NULL
);
-- At most one product inside per (freezer, box, slot); taken-out products are history.
CREATE UNIQUE INDEX products_inside_slot ON products (freezer_id, box, slot) WHERE date_out IS NULL;
CREATE INDEX products_household ON products (household_id, date_out);
CREATE INDEX products_freezer ON products (freezer_id, box, date_out);
CREATE INDEX products_type ON products (type_id);
CREATE INDEX products_barcode ON products (barcode) WHERE barcode IS NOT NULL;

CREATE TABLE devices (
    id           TEXT    PRIMARY KEY,
    household_id INTEGER NOT NULL REFERENCES households (id) ON DELETE CASCADE,
    kind         TEXT    NOT NULL CHECK (kind IN ('scanner', 'integration')),
    name         TEXT    NOT NULL,
    freezer_id   INTEGER REFERENCES freezers (id) ON DELETE SET NULL,
    mode         TEXT    NOT NULL DEFAULT 'out' CHECK (mode IN ('in', 'out', 'move')),
    secret_hash  TEXT    NOT NULL,
    last_seen_at DATETIME,
    online       INTEGER NOT NULL DEFAULT 0 CHECK (online IN (0, 1)),
    created_at   DATETIME NOT NULL
);
CREATE INDEX devices_household ON devices (household_id);

CREATE TABLE scan_events (
    id         INTEGER PRIMARY KEY,
    device_id  TEXT    NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
    msg_id     TEXT    NOT NULL,
    code       TEXT    NOT NULL,
    mode       TEXT    NOT NULL,
    op         TEXT    NOT NULL DEFAULT '',
    status     TEXT    NOT NULL,
    product_id INTEGER REFERENCES products (id) ON DELETE SET NULL,
    message    TEXT    NOT NULL DEFAULT '',
    created_at DATETIME NOT NULL
);
CREATE UNIQUE INDEX scan_events_msg ON scan_events (device_id, msg_id);
CREATE INDEX scan_events_created ON scan_events (created_at);

CREATE TABLE alerts (
    id           INTEGER PRIMARY KEY,
    household_id INTEGER NOT NULL REFERENCES households (id) ON DELETE CASCADE,
    product_id   INTEGER NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    stage        TEXT    NOT NULL CHECK (stage IN ('due_soon', 'overdue')),
    use_by       TEXT    NOT NULL,
    created_at   DATETIME NOT NULL
);
CREATE UNIQUE INDEX alerts_product_stage ON alerts (product_id, stage);

-- +goose Down
DROP TABLE alerts;
DROP TABLE scan_events;
DROP TABLE devices;
DROP TABLE products;
DROP TABLE freezers;
DROP TABLE product_types;
DROP TABLE tokens;
DROP TABLE memberships;
DROP TABLE users;
DROP TABLE households;

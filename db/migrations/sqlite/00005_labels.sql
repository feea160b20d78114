-- +goose Up
-- New products and blank labels take their ids from this one row, so that a
-- label printed ahead keeps its id for the product that claims it later.
CREATE TABLE product_id_sequence (
    id      INTEGER PRIMARY KEY CHECK (id = 1),
    last_id INTEGER NOT NULL
);
INSERT INTO product_id_sequence (id, last_id) VALUES (1, 0);

-- A product id printed on a blank label; claimed_at is set when a product takes it.
CREATE TABLE label_reservations (
    id           INTEGER PRIMARY KEY,
    household_id INTEGER NOT NULL REFERENCES households (id) ON DELETE CASCADE,
    created_at   DATETIME NOT NULL,
    claimed_at   DATETIME
);
CREATE INDEX label_reservations_household ON label_reservations (household_id);

-- A household's default label printer.
CREATE TABLE printers (
    household_id INTEGER PRIMARY KEY REFERENCES households (id) ON DELETE CASCADE,
    kind         TEXT    NOT NULL CHECK (kind IN ('directory', 'cups', 'tcp', 'webhook')),
    target       TEXT    NOT NULL,
    token        TEXT    NOT NULL DEFAULT '',
    size         TEXT    NOT NULL CHECK (size IN ('62mm', '29x90', '50x25')),
    dpi          INTEGER NOT NULL DEFAULT 203 CHECK (dpi IN (203, 300, 600)),
    language     TEXT    NOT NULL DEFAULT 'en' CHECK (language IN ('en', 'fr')),
    auto_print   INTEGER NOT NULL DEFAULT 1 CHECK (auto_print IN (0, 1)),
    updated_at   DATETIME NOT NULL
);

CREATE TABLE print_jobs (
    id           INTEGER PRIMARY KEY,
    household_id INTEGER NOT NULL REFERENCES households (id) ON DELETE CASCADE,
    product_id   INTEGER REFERENCES products (id) ON DELETE SET NULL,
    code         TEXT    NOT NULL,
    printer      TEXT    NOT NULL,
    size         TEXT    NOT NULL,
    status       TEXT    NOT NULL CHECK (status IN ('pending', 'printed', 'failed')),
    error        TEXT    NOT NULL DEFAULT '',
    attempts     INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    created_at   DATETIME NOT NULL,
    updated_at   DATETIME NOT NULL
);
CREATE INDEX print_jobs_household ON print_jobs (household_id, id);
CREATE INDEX print_jobs_product ON print_jobs (product_id);

-- +goose Down
DROP TABLE print_jobs;
DROP TABLE printers;
DROP TABLE label_reservations;
DROP TABLE product_id_sequence;

-- +goose Up
CREATE TABLE households (
    id            BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
    name          VARCHAR(256) NOT NULL,
    due_soon_days INT          NOT NULL DEFAULT 14 CHECK (due_soon_days >= 0),
    created_at    DATETIME(6)  NOT NULL,
    updated_at    DATETIME(6)  NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE users (
    id            BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
    email         VARCHAR(254) NOT NULL,
    password_hash VARCHAR(255) NOT NULL,
    language      VARCHAR(2)   NOT NULL DEFAULT 'en' CHECK (language IN ('en', 'fr')),
    admin         TINYINT(1)   NOT NULL DEFAULT 0,
    disabled      TINYINT(1)   NOT NULL DEFAULT 0,
    created_at    DATETIME(6)  NOT NULL,
    updated_at    DATETIME(6)  NOT NULL,
    UNIQUE KEY users_email (email)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE memberships (
    household_id BIGINT      NOT NULL,
    user_id      BIGINT      NOT NULL,
    role         VARCHAR(10) NOT NULL DEFAULT 'member' CHECK (role IN ('owner', 'member')),
    created_at   DATETIME(6) NOT NULL,
    PRIMARY KEY (household_id, user_id),
    KEY memberships_user (user_id),
    CONSTRAINT memberships_household_fk FOREIGN KEY (household_id) REFERENCES households (id) ON DELETE CASCADE,
    CONSTRAINT memberships_user_fk FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE tokens (
    id           BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
    user_id      BIGINT       NOT NULL,
    name         VARCHAR(256) NOT NULL,
    hash         CHAR(64)     CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    legacy       TINYINT(1)   NOT NULL DEFAULT 0,
    created_at   DATETIME(6)  NOT NULL,
    last_used_at DATETIME(6)  NULL,
    UNIQUE KEY tokens_hash (hash),
    KEY tokens_user (user_id),
    CONSTRAINT tokens_user_fk FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE product_types (
    id      BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
    name_en VARCHAR(256) NOT NULL,
    name_fr VARCHAR(256) NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE freezers (
    id           BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
    household_id BIGINT       NOT NULL,
    name         VARCHAR(256) NOT NULL,
    number_boxes INT          NOT NULL CHECK (number_boxes >= 1),
    archived_at  DATETIME(6)  NULL,
    created_at   DATETIME(6)  NOT NULL,
    updated_at   DATETIME(6)  NOT NULL,
    KEY freezers_household (household_id),
    CONSTRAINT freezers_household_fk FOREIGN KEY (household_id) REFERENCES households (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE products (
    id            BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
    household_id  BIGINT       NOT NULL,
    freezer_id    BIGINT       NOT NULL,
    box           INT          NOT NULL CHECK (box >= 1),
    slot          INT          NOT NULL CHECK (slot >= 1),
    name          VARCHAR(256) NOT NULL,
    description   MEDIUMTEXT   NOT NULL,
    type_id       BIGINT       NOT NULL,
    quantity      INT          NOT NULL CHECK (quantity >= 0),
    barcode       VARCHAR(13)  NULL,
    date_in       DATE         NOT NULL,
    date_out      DATE         NULL,
    period_months INT          NOT NULL CHECK (period_months >= 0),
    version       BIGINT       NOT NULL DEFAULT 1,
    created_at    DATETIME(6)  NOT NULL,
    updated_at    DATETIME(6)  NOT NULL,
    -- Non-null only while the product is inside, so that the unique key below
    -- allows any number of taken-out products per slot but one inside.
    inside_slot   INT AS (IF(date_out IS NULL, slot, NULL)) STORED,
    CONSTRAINT products_dates CHECK (date_out IS NULL OR date_out >= date_in),
    UNIQUE KEY products_inside_slot (freezer_id, box, inside_slot),
    KEY products_household (household_id, date_out),
    KEY products_freezer (freezer_id, box, date_out),
    KEY products_type (type_id),
    KEY products_barcode (barcode),
    CONSTRAINT products_household_fk FOREIGN KEY (household_id) REFERENCES households (id),
    CONSTRAINT products_freezer_fk FOREIGN KEY (freezer_id) REFERENCES freezers (id),
    CONSTRAINT products_type_fk FOREIGN KEY (type_id) REFERENCES product_types (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE devices (
    id           VARCHAR(64)  CHARACTER SET ascii COLLATE ascii_bin NOT NULL PRIMARY KEY,
    household_id BIGINT       NOT NULL,
    kind         VARCHAR(16)  NOT NULL CHECK (kind IN ('scanner', 'integration')),
    name         VARCHAR(256) NOT NULL,
    freezer_id   BIGINT       NULL,
    mode         VARCHAR(8)   NOT NULL DEFAULT 'out' CHECK (mode IN ('in', 'out', 'move')),
    secret_hash  VARCHAR(255) NOT NULL,
    last_seen_at DATETIME(6)  NULL,
    online       TINYINT(1)   NOT NULL DEFAULT 0,
    created_at   DATETIME(6)  NOT NULL,
    KEY devices_household (household_id),
    CONSTRAINT devices_household_fk FOREIGN KEY (household_id) REFERENCES households (id) ON DELETE CASCADE,
    CONSTRAINT devices_freezer_fk FOREIGN KEY (freezer_id) REFERENCES freezers (id) ON DELETE SET NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE scan_events (
    id         BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
    device_id  VARCHAR(64)  CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    msg_id     VARCHAR(128) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
    code       VARCHAR(255) NOT NULL,
    mode       VARCHAR(8)   NOT NULL,
    op         VARCHAR(8)   NOT NULL DEFAULT '',
    status     VARCHAR(10)  NOT NULL,
    product_id BIGINT       NULL,
    message    VARCHAR(500) NOT NULL DEFAULT '',
    created_at DATETIME(6)  NOT NULL,
    UNIQUE KEY scan_events_msg (device_id, msg_id),
    KEY scan_events_created (created_at),
    CONSTRAINT scan_events_device_fk FOREIGN KEY (device_id) REFERENCES devices (id) ON DELETE CASCADE,
    CONSTRAINT scan_events_product_fk FOREIGN KEY (product_id) REFERENCES products (id) ON DELETE SET NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE alerts (
    id           BIGINT      NOT NULL AUTO_INCREMENT PRIMARY KEY,
    household_id BIGINT      NOT NULL,
    product_id   BIGINT      NOT NULL,
    stage        VARCHAR(10) NOT NULL CHECK (stage IN ('due_soon', 'overdue')),
    use_by       DATE        NOT NULL,
    created_at   DATETIME(6) NOT NULL,
    UNIQUE KEY alerts_product_stage (product_id, stage),
    CONSTRAINT alerts_household_fk FOREIGN KEY (household_id) REFERENCES households (id) ON DELETE CASCADE,
    CONSTRAINT alerts_product_fk FOREIGN KEY (product_id) REFERENCES products (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

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

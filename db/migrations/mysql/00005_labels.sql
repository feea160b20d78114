-- +goose Up
-- New products and blank labels take their ids from this one row, so that a
-- label printed ahead keeps its id for the product that claims it later.
CREATE TABLE product_id_sequence (
    id      INT    NOT NULL PRIMARY KEY CHECK (id = 1),
    last_id BIGINT NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
INSERT INTO product_id_sequence (id, last_id) VALUES (1, 0);

-- A product id printed on a blank label; claimed_at is set when a product takes it.
CREATE TABLE label_reservations (
    id           BIGINT      NOT NULL PRIMARY KEY,
    household_id BIGINT      NOT NULL,
    created_at   DATETIME(6) NOT NULL,
    claimed_at   DATETIME(6) NULL,
    KEY label_reservations_household (household_id),
    CONSTRAINT label_reservations_household_fk FOREIGN KEY (household_id) REFERENCES households (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- A household's default label printer.
CREATE TABLE printers (
    household_id BIGINT       NOT NULL PRIMARY KEY,
    kind         VARCHAR(16)  NOT NULL CHECK (kind IN ('directory', 'cups', 'tcp', 'webhook')),
    target       VARCHAR(500) NOT NULL,
    token        VARCHAR(500) NOT NULL DEFAULT '',
    size         VARCHAR(8)   NOT NULL CHECK (size IN ('62mm', '29x90', '50x25')),
    dpi          INT          NOT NULL DEFAULT 203 CHECK (dpi IN (203, 300, 600)),
    language     VARCHAR(2)   NOT NULL DEFAULT 'en' CHECK (language IN ('en', 'fr')),
    auto_print   TINYINT(1)   NOT NULL DEFAULT 1,
    updated_at   DATETIME(6)  NOT NULL,
    CONSTRAINT printers_household_fk FOREIGN KEY (household_id) REFERENCES households (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE print_jobs (
    id           BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
    household_id BIGINT       NOT NULL,
    product_id   BIGINT       NULL,
    code         VARCHAR(64)  NOT NULL,
    printer      VARCHAR(16)  NOT NULL,
    size         VARCHAR(8)   NOT NULL,
    status       VARCHAR(8)   NOT NULL CHECK (status IN ('pending', 'printed', 'failed')),
    error        VARCHAR(500) NOT NULL DEFAULT '',
    attempts     INT          NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    created_at   DATETIME(6)  NOT NULL,
    updated_at   DATETIME(6)  NOT NULL,
    KEY print_jobs_household (household_id, id),
    KEY print_jobs_product (product_id),
    CONSTRAINT print_jobs_household_fk FOREIGN KEY (household_id) REFERENCES households (id) ON DELETE CASCADE,
    CONSTRAINT print_jobs_product_fk FOREIGN KEY (product_id) REFERENCES products (id) ON DELETE SET NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- +goose Down
DROP TABLE print_jobs;
DROP TABLE printers;
DROP TABLE label_reservations;
DROP TABLE product_id_sequence;

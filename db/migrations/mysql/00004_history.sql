-- +goose Up
-- The change log of each household. product_id has no foreign key on
-- purpose: the history of a deleted product stays.
CREATE TABLE history (
    id           BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
    household_id BIGINT       NOT NULL,
    product_id   BIGINT       NULL,
    actor        VARCHAR(100) NOT NULL,
    action       VARCHAR(10)  NOT NULL CHECK (action IN ('create', 'update', 'take_out', 'put_back', 'move', 'delete', 'scan')),
    summary      TEXT         NOT NULL,
    created_at   DATETIME(6)  NOT NULL,
    KEY history_household (household_id, id),
    KEY history_product (product_id, id),
    CONSTRAINT history_household_fk FOREIGN KEY (household_id) REFERENCES households (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- +goose Down
DROP TABLE history;

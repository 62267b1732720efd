-- rdbtool's own table, not in hera_mc: hera_mc uploads each new correlator
-- configuration YAML to the Librarian (hera-mc.md §4); the Redis-only ingest
-- keeps the text here instead, one row per correlator_config_file row.

-- +goose Up
CREATE TABLE correlator_config_yaml (
    config_hash character varying NOT NULL,
    filename character varying NOT NULL,
    yaml text NOT NULL,
    stored_at timestamp with time zone NOT NULL DEFAULT now(),
    PRIMARY KEY (config_hash),
    FOREIGN KEY (config_hash) REFERENCES correlator_config_file (config_hash)
);

-- +goose Down
DROP TABLE correlator_config_yaml;

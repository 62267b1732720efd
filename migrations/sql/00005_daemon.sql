-- Daemon and subsystem tables (hera-mc.md §3.19–3.20). subsystem_error.id is
-- the one sequence the ingest relies on.

-- +goose Up
CREATE TABLE daemon_status (
    name character varying(32) NOT NULL,
    hostname character varying(32) NOT NULL,
    jd bigint NOT NULL,
    time bigint NOT NULL,
    status character varying(32) NOT NULL,
    PRIMARY KEY (name, hostname, jd)
);

CREATE TABLE subsystem_error (
    id bigserial NOT NULL,
    time bigint NOT NULL,
    subsystem character varying(32) NOT NULL,
    mc_time bigint NOT NULL,
    severity integer NOT NULL,
    log text NOT NULL,
    PRIMARY KEY (id)
);

-- +goose Down
DROP TABLE subsystem_error;
DROP TABLE daemon_status;

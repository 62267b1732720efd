-- Correlator tables of hera_mc (hera-mc.md §3.1–3.5, §3.14, §3.16): signal
-- source, catcher events and files, file queues, end-of-day, software
-- versions and the correlator configuration group. Column order, types,
-- keys and sequences follow the alembic-built schema exactly; bigserial
-- reproduces alembic's BIGSERIAL single-column keys (sequence <table>_<col>_seq).

-- +goose Up
CREATE TABLE array_signal_source (
    time bigserial NOT NULL,
    source character varying NOT NULL,
    PRIMARY KEY (time)
);

CREATE TABLE correlator_component_event_time (
    component character varying NOT NULL,
    event character varying NOT NULL,
    time double precision NOT NULL,
    PRIMARY KEY (component, event, time)
);

CREATE TABLE correlator_catcher_file (
    time bigserial NOT NULL,
    filename character varying,
    PRIMARY KEY (time)
);

CREATE TABLE correlator_file_queues (
    time bigint NOT NULL,
    queue character varying NOT NULL,
    length integer,
    oldest_entry character varying,
    newest_entry character varying,
    PRIMARY KEY (time, queue)
);

CREATE TABLE correlator_file_eod (
    jd bigserial NOT NULL,
    time_start bigint,
    time_converted bigint,
    time_uploaded bigint,
    time_launch_failed bigint,
    PRIMARY KEY (jd)
);

CREATE TABLE correlator_software_versions (
    time bigint NOT NULL,
    package character varying NOT NULL,
    version character varying NOT NULL,
    PRIMARY KEY (time, package)
);

CREATE TABLE correlator_config_file (
    config_hash character varying NOT NULL,
    filename character varying NOT NULL,
    PRIMARY KEY (config_hash)
);

CREATE TABLE correlator_config_status (
    time bigserial NOT NULL,
    config_hash character varying NOT NULL,
    PRIMARY KEY (time),
    FOREIGN KEY (config_hash) REFERENCES correlator_config_file (config_hash)
);

CREATE TABLE correlator_config_params (
    config_hash character varying NOT NULL,
    parameter character varying NOT NULL,
    value character varying NOT NULL,
    PRIMARY KEY (config_hash, parameter),
    FOREIGN KEY (config_hash) REFERENCES correlator_config_file (config_hash)
);

CREATE TABLE correlator_config_active_snap (
    config_hash character varying NOT NULL,
    hostname character varying NOT NULL,
    PRIMARY KEY (config_hash, hostname),
    FOREIGN KEY (config_hash) REFERENCES correlator_config_file (config_hash)
);

CREATE TABLE correlator_config_input_index (
    config_hash character varying NOT NULL,
    correlator_index integer NOT NULL,
    hostname character varying NOT NULL,
    antenna_index_position integer NOT NULL,
    PRIMARY KEY (config_hash, correlator_index),
    FOREIGN KEY (config_hash) REFERENCES correlator_config_file (config_hash)
);

CREATE TABLE correlator_config_phase_switch_index (
    config_hash character varying NOT NULL,
    hostname character varying NOT NULL,
    phase_switch_index integer NOT NULL,
    antpol_index_position integer NOT NULL,
    PRIMARY KEY (config_hash, hostname, phase_switch_index),
    FOREIGN KEY (config_hash) REFERENCES correlator_config_file (config_hash)
);

-- +goose Down
DROP TABLE correlator_config_phase_switch_index;
DROP TABLE correlator_config_input_index;
DROP TABLE correlator_config_active_snap;
DROP TABLE correlator_config_params;
DROP TABLE correlator_config_status;
DROP TABLE correlator_config_file;
DROP TABLE correlator_software_versions;
DROP TABLE correlator_file_eod;
DROP TABLE correlator_file_queues;
DROP TABLE correlator_catcher_file;
DROP TABLE correlator_component_event_time;
DROP TABLE array_signal_source;

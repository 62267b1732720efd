-- SNAP board and antenna tables (hera-mc.md §3.6–3.9, §3.15): F-engine init
-- status, SNAP status and inputs, SNAP config versions and antenna status.
-- antenna_status keeps the column order the alembic chain left it with.

-- +goose Up
CREATE TABLE snap_feng_init_status (
    time bigint NOT NULL,
    hostname character varying NOT NULL,
    status character varying NOT NULL,
    PRIMARY KEY (time, hostname)
);

CREATE TABLE snap_status (
    time bigint NOT NULL,
    hostname character varying NOT NULL,
    node integer,
    snap_loc_num integer,
    serial_number character varying,
    psu_alert boolean,
    pps_count bigint,
    fpga_temp double precision,
    uptime_cycles bigint,
    last_programmed_time bigint,
    is_programmed boolean,
    adc_is_configured boolean,
    is_initialized boolean,
    dest_is_configured boolean,
    version character varying,
    sample_rate double precision,
    PRIMARY KEY (time, hostname)
);

CREATE TABLE snap_input (
    time bigint NOT NULL,
    hostname character varying NOT NULL,
    snap_channel_number integer NOT NULL,
    antenna_number integer,
    antenna_feed_pol character varying,
    snap_input character varying,
    PRIMARY KEY (time, hostname, snap_channel_number),
    FOREIGN KEY (time, hostname) REFERENCES snap_status (time, hostname)
);

CREATE TABLE snap_config_version (
    init_time bigserial NOT NULL,
    version character varying NOT NULL,
    init_args character varying NOT NULL,
    config_hash character varying NOT NULL,
    PRIMARY KEY (init_time),
    FOREIGN KEY (config_hash) REFERENCES correlator_config_file (config_hash)
);

CREATE TABLE antenna_status (
    time bigint NOT NULL,
    antenna_number integer NOT NULL,
    antenna_feed_pol character varying NOT NULL,
    snap_hostname character varying,
    snap_channel_number integer,
    adc_mean double precision,
    adc_rms double precision,
    adc_power double precision,
    pam_atten integer,
    pam_power double precision,
    eq_coeffs character varying,
    fem_current double precision,
    fem_id character varying,
    fem_temp double precision,
    fem_voltage double precision,
    histogram character varying,
    pam_current double precision,
    pam_id character varying,
    pam_voltage double precision,
    fem_imu_phi double precision,
    fem_imu_theta double precision,
    fem_lna_power boolean,
    fem_switch character varying,
    fft_overflow boolean,
    PRIMARY KEY (time, antenna_number, antenna_feed_pol)
);

-- +goose Down
DROP TABLE antenna_status;
DROP TABLE snap_config_version;
DROP TABLE snap_input;
DROP TABLE snap_status;
DROP TABLE snap_feng_init_status;

-- Node tables (hera-mc.md §3.10–3.13): node sensors, power status, power
-- commands and White Rabbit status.

-- +goose Up
CREATE TABLE node_sensor (
    time bigint NOT NULL,
    node integer NOT NULL,
    top_sensor_temp double precision,
    middle_sensor_temp double precision,
    bottom_sensor_temp double precision,
    humidity_sensor_temp double precision,
    humidity double precision,
    PRIMARY KEY (time, node)
);

CREATE TABLE node_power_status (
    time bigint NOT NULL,
    node integer NOT NULL,
    snap_relay_powered boolean NOT NULL,
    snap0_powered boolean NOT NULL,
    snap1_powered boolean NOT NULL,
    snap2_powered boolean NOT NULL,
    snap3_powered boolean NOT NULL,
    fem_powered boolean NOT NULL,
    pam_powered boolean NOT NULL,
    PRIMARY KEY (time, node)
);

CREATE TABLE node_power_command (
    time bigint NOT NULL,
    node integer NOT NULL,
    part character varying NOT NULL,
    command character varying NOT NULL,
    PRIMARY KEY (time, node, part)
);

CREATE TABLE node_white_rabbit_status (
    node_time bigint NOT NULL,
    node integer NOT NULL,
    board_info_str character varying,
    aliases character varying,
    ip character varying,
    mode character varying,
    serial character varying,
    temperature double precision,
    build_date bigint,
    gw_date bigint,
    gw_version character varying,
    gw_id character varying,
    build_hash character varying,
    manufacture_tag character varying,
    manufacture_device character varying,
    manufacture_date bigint,
    manufacture_partnum character varying,
    manufacture_serial character varying,
    manufacture_vendor character varying,
    port0_ad integer,
    port0_link_asymmetry_ps integer,
    port0_manual_phase_ps integer,
    port0_clock_offset_ps integer,
    port0_cable_rt_delay_ps integer,
    port0_master_slave_delay_ps integer,
    port0_master_rx_phy_delay_ps integer,
    port0_slave_rx_phy_delay_ps integer,
    port0_master_tx_phy_delay_ps integer,
    port0_slave_tx_phy_delay_ps integer,
    port0_hd integer,
    port0_link boolean,
    port0_lock boolean,
    port0_md integer,
    port0_rt_time_ps integer,
    port0_nsec integer,
    port0_packets_received integer,
    port0_phase_setpoint_ps integer,
    port0_servo_state character varying,
    port0_sv integer,
    port0_sync_source character varying,
    port0_packets_sent integer,
    port0_update_counter integer,
    port0_time bigint,
    port1_ad integer,
    port1_link_asymmetry_ps integer,
    port1_manual_phase_ps integer,
    port1_clock_offset_ps integer,
    port1_cable_rt_delay_ps integer,
    port1_master_slave_delay_ps integer,
    port1_master_rx_phy_delay_ps integer,
    port1_slave_rx_phy_delay_ps integer,
    port1_master_tx_phy_delay_ps integer,
    port1_slave_tx_phy_delay_ps integer,
    port1_hd integer,
    port1_link boolean,
    port1_lock boolean,
    port1_md integer,
    port1_rt_time_ps integer,
    port1_nsec integer,
    port1_packets_received integer,
    port1_phase_setpoint_ps integer,
    port1_servo_state character varying,
    port1_sv integer,
    port1_sync_source character varying,
    port1_packets_sent integer,
    port1_update_counter integer,
    port1_time bigint,
    PRIMARY KEY (node_time, node)
);

-- +goose Down
DROP TABLE node_white_rabbit_status;
DROP TABLE node_power_command;
DROP TABLE node_power_status;
DROP TABLE node_sensor;

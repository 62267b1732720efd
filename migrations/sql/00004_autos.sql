-- Autocorrelation tables (hera-mc.md §3.17–3.18): per-antenna medians and
-- full spectra (real[], float4).

-- +goose Up
CREATE TABLE hera_autos (
    time bigint NOT NULL,
    antenna_number integer NOT NULL,
    antenna_feed_pol character varying NOT NULL,
    measurement_type character varying NOT NULL,
    value double precision NOT NULL,
    PRIMARY KEY (time, antenna_number, antenna_feed_pol)
);

CREATE TABLE hera_auto_spectrum (
    time bigint NOT NULL,
    antenna_number integer NOT NULL,
    antenna_feed_pol character varying NOT NULL,
    spectrum real[] NOT NULL,
    PRIMARY KEY (time, antenna_number, antenna_feed_pol)
);

-- +goose Down
DROP TABLE hera_auto_spectrum;
DROP TABLE hera_autos;

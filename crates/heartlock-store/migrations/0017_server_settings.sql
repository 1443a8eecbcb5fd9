-- Settings changed at run time by server administrators (the OIDC admin
-- API), shared by every instance. One row per setting (canonical name); a
-- secret setting's value is a Fernet token bound to the setting's name
-- (sealed = 1). The version row of a scope says the scope is managed here
-- (its rows are the whole admin-set layer, even when there are none) and
-- grows with every change, so instances notice with one cheap read.
CREATE TABLE server_settings (
    name TEXT PRIMARY KEY,
    scope TEXT NOT NULL,
    value TEXT NOT NULL,
    sealed BIGINT NOT NULL DEFAULT 0,
    updated_at BIGINT NOT NULL
);
CREATE INDEX server_settings_scope ON server_settings (scope);

CREATE TABLE server_settings_versions (
    scope TEXT PRIMARY KEY,
    version BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

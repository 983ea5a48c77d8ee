-- Sign-in attempts are reserved (a row written before the password is checked) and
-- taken back by id when the attempt succeeds or is refused.
CREATE TABLE login_failures_new (
    id         INTEGER PRIMARY KEY,
    key        TEXT    NOT NULL,
    failed_at  BIGINT  NOT NULL
);
INSERT INTO login_failures_new (key, failed_at) SELECT key, failed_at FROM login_failures;
DROP TABLE login_failures;
ALTER TABLE login_failures_new RENAME TO login_failures;
CREATE INDEX login_failures_key ON login_failures (key, failed_at);

-- One refresh of a service connection at a time: the one that claims it refreshes, the
-- others wait for its tokens (a second refresh would be refused by a rotating service).
ALTER TABLE service_connections ADD COLUMN refreshing_until BIGINT;

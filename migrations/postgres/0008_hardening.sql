-- Sign-in attempts are reserved (a row written before the password is checked) and
-- taken back by id when the attempt succeeds or is refused.
ALTER TABLE login_failures ADD COLUMN id BIGSERIAL PRIMARY KEY;

-- One refresh of a service connection at a time: the one that claims it refreshes, the
-- others wait for its tokens (a second refresh would be refused by a rotating service).
ALTER TABLE service_connections ADD COLUMN refreshing_until BIGINT;

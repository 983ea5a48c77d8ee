-- Sign-in attempts are reserved (a row written before the password is checked) and
-- taken back by id when the attempt succeeds or is refused.
ALTER TABLE login_failures ADD COLUMN id BIGSERIAL PRIMARY KEY;

-- Removing a person from an organisation (issue 20's Members page) keeps their row, marked
-- `removed_at`: a removed person signs in nowhere and is listed nowhere, and their id is
-- never handed to anybody else (SQLite reuses the highest rowid of a deleted row, and
-- plugin servers know people by id).
ALTER TABLE users ADD COLUMN removed_at BIGINT;

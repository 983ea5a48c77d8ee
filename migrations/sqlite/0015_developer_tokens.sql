-- Developer tokens (issue 20): personal access tokens a developer makes in the console for
-- the CLI (`server plugins validate|diff|deploy`). Stored by the SHA-256 of the token; a
-- token acts as its developer on their own plugins only, and nowhere else.
CREATE TABLE developer_tokens (
    id           INTEGER PRIMARY KEY,
    user_id      INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name         TEXT    NOT NULL,
    token_hash   TEXT    NOT NULL UNIQUE,
    created_at   INTEGER NOT NULL,
    last_used_at INTEGER,
    revoked_at   INTEGER
);
CREATE INDEX developer_tokens_user ON developer_tokens (user_id, id);

-- Rate-limit windows are counted on nearly every API request. They need no crash
-- safety (after a crash the current minute's counts start again), so the table is
-- UNLOGGED: its writes skip the write-ahead log and the commit waits for no flush.
ALTER TABLE rate_limits SET UNLOGGED;
